"""The admin pages of the console: users (roles, passwords, API tokens), agencies (OPD) and holidays. Views of the
console blueprint, so their endpoint names (`console.users` …) stay those of the console."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import lifecycle as lc
from models.agencies import save_agency
from models.base import utcnow
from models.entities import Agency, Role, User
from models.errors import SuaraError
from web.accounts import reset_password, set_active, set_role
from web.auth import role_required
from web.console_common import ROLE_LABELS, _fail_message, acting_user, bp, record_audit
from web.params import EARLIEST, LATEST, int_arg
from web.review_page import FormValues
from web.state import db, state


SHOWN_ONCE = "_shown_once"
"""Session key of a secret the users page shows once, after the redirect of the POST that made it (a reload of the
page repeats the GET, never the POST: the secret already handed over keeps working)."""


@bp.get("/konsol/admin/pengguna")
@role_required()
def users():
    kind, username, secret = session.pop(SHOWN_ONCE, None) or (None, None, None)
    return _users_page(**({kind: (username, secret)} if kind in ("new_password", "new_token") else {}))


def _show_once(kind: str, user: User, secret: str) -> Response:
    """Post/redirect/get for a new secret: kept in the session until the users page shows it. The session cookie is
    signed, not encrypted: the secret sits, HttpOnly, in the cookie of the admin it is shown to, for one redirect."""
    session[SHOWN_ONCE] = (kind, user.username, secret)
    return redirect(url_for("console.users"), code=303)


@bp.post("/konsol/admin/pengguna")
@role_required()
def user_create():
    from web.auth import create_user

    role = request.form.get("role", "")
    if role not in ROLE_LABELS:
        return _users_page(form=request.form, error="Pilih peran."), 422
    agency = db().get(Agency, request.form.get("agency_id", type=int) or 0)
    try:
        user = create_user(db(), (request.form.get("username") or "").strip(), request.form.get("password") or "",
                           Role(role), name=(request.form.get("name") or "").strip(), agency_key=agency.key if agency else None)
        record_audit("user.create", user, username=user.username, role=role, agency=agency.key if agency else None)
        db().commit()
    except SuaraError as exc:
        db().rollback()
        return _users_page(form=request.form, error=exc.message_id), 422
    flash(f"Pengguna {user.username} dibuat.", "info")
    return redirect(url_for("console.users"))


@bp.post("/konsol/admin/pengguna/<int:user_id>/aktif")
@role_required()
def user_toggle(user_id: int):
    user = db().get(User, user_id) or abort(404)
    if user.id == current_user.id:
        flash("Anda tidak dapat menonaktifkan akun sendiri.", "error")
        return redirect(url_for("console.users"))
    set_active(user, not user.active)
    record_audit("user.activate" if user.active else "user.deactivate", user)
    db().commit()
    flash(f"Pengguna {user.username} {'diaktifkan' if user.active else 'dinonaktifkan'}.", "info")
    return redirect(url_for("console.users"))


@bp.post("/konsol/admin/pengguna/<int:user_id>/sandi")
@role_required()
def user_reset_password(user_id: int):
    """A temporary password, shown once; the user must change it at the next login. The form's ticked box confirms
    it (a reset ends the user's sessions and their old password at once)."""
    user = db().get(User, user_id) or abort(404)
    if user.id == current_user.id:  # the reset would end this very session before the new password is shown
        flash("Ganti kata sandi Anda sendiri lewat menu nama Anda > Ganti kata sandi.", "error")
        return redirect(url_for("console.users"))
    if request.form.get("confirm") != "1":
        flash(f"Kata sandi {user.username} tidak diubah: centang “Ya, atur ulang kata sandi {user.username}” dahulu.", "error")
        return redirect(url_for("console.users"))
    temporary = reset_password(user)
    record_audit("user.password_reset", user)
    db().commit()
    return _show_once("new_password", user, temporary)


@bp.post("/konsol/admin/pengguna/<int:user_id>/peran")
@role_required()
def user_role(user_id: int):
    user = db().get(User, user_id) or abort(404)
    role = request.form.get("role", "")
    if role not in ROLE_LABELS or user.id == current_user.id:
        flash("Peran tidak valid (peran akun sendiri tidak dapat diubah).", "error")
        return redirect(url_for("console.users"))
    try:
        set_role(db(), user, Role(role), request.form.get("agency_id", type=int))
    except SuaraError as exc:
        _fail_message(exc)
        return redirect(url_for("console.users"))
    record_audit("user.role", user, role=role, agency=user.agency.key if user.agency else None)
    db().commit()
    flash(f"Peran {user.username} kini {ROLE_LABELS[role]}; sesinya diakhiri.", "info")
    return redirect(url_for("console.users"))


def _users_page(form: Any = None, error: str | None = None, **shown_once: Any) -> Response:
    """The user list and the new-user form (a refused form keeps what was typed, except the password); a new token
    or temporary password is shown once, never cached."""
    rows = db().scalars(select(User).options(joinedload(User.agency)).order_by(User.username)).all()
    shown = {"new_token": None, "new_password": None, **shown_once}
    response = Response(render_template("console/users.html", users=rows, agencies=db().scalars(select(Agency).order_by(Agency.name)).all(),
                                        values=FormValues(form), error=error, default_role=Role.OPERATOR.value, **shown))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/konsol/admin/pengguna/<int:user_id>/token")
@role_required()
def user_token(user_id: int):
    """Issue a new API token; it is shown once and only its hash is kept."""
    from web.auth import issue_api_token

    user = db().get(User, user_id) or abort(404)
    token = issue_api_token(db(), user)
    record_audit("user.api_token", user)
    db().commit()
    return _show_once("new_token", user, token)


@bp.get("/konsol/admin/opd")
@role_required()
def agencies():
    return render_template("console/agencies.html", agencies=db().scalars(select(Agency).order_by(Agency.name)).all())


@bp.post("/konsol/admin/opd")
@role_required()
def agency_save():
    try:
        agency, created = save_agency(db(), request.form.get("key") or "", request.form.get("name") or "",
                                      active=request.form.get("active", "1") in ("1", "on"))
    except SuaraError as exc:
        _fail_message(exc)
        return redirect(url_for("console.agencies"))
    record_audit("agency.create" if created else "agency.update", agency, key=agency.key, name=agency.name, active=agency.active)
    db().commit()
    flash(f"OPD {agency.name} disimpan.", "info")
    return redirect(url_for("console.agencies"))


@bp.get("/konsol/admin/libur")
@role_required()
def holidays():
    from models.calendar import HOLIDAY_KINDS, Holiday

    year = int_arg("tahun", utcnow().year, minimum=EARLIEST.year, maximum=LATEST.year)
    rows = db().scalars(select(Holiday).where(Holiday.day >= date(year, 1, 1), Holiday.day <= date(year, 12, 31)).order_by(Holiday.day)).all()
    return render_template("console/holidays.html", holidays=rows, year=year, kinds=HOLIDAY_KINDS)


@bp.post("/konsol/admin/libur")
@role_required()
def holiday_save():
    from models.calendar import InvalidHoliday, remove_holiday, set_holiday

    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        flash("Tanggal tidak valid.", "error")
        return redirect(url_for("console.holidays"))
    if request.form.get("action") == "remove":
        remove_holiday(db(), day, acting_user())
        flash(f"{day:%d-%m-%Y} kini hari kerja.", "info")
    else:
        try:
            set_holiday(db(), day, request.form.get("name", ""), request.form.get("kind", "libur_nasional"), acting_user())
        except InvalidHoliday:
            db().rollback()
            flash("Nama dan jenis hari libur wajib diisi.", "error")
            return redirect(url_for("console.holidays", tahun=day.year))
        flash(f"Hari libur {day:%d-%m-%Y} disimpan.", "info")
    lc.refresh_open_due_dates(db(), state().settings)  # a changed holiday moves running time limits
    db().commit()
    return redirect(url_for("console.holidays", tahun=day.year))
