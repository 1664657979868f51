"""Log in and out, change the password; users with hashed passwords, roles and login limits (web/limits.py).

A session and a remember cookie name the user as "<id>:<session version>"; a cookie whose version is
no longer the user's (after a logout, a password or role change, a deactivation) loads nobody.
"""

from __future__ import annotations

import secrets
from functools import wraps
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, session, url_for
from flask_limiter import RequestLimit
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from models.entities import Agency, Role, User
from models.errors import SuaraError
from web import login_manager
from web.accounts import (
    change_own_password,
    check_password_strength,
    end_sessions,
    find_user,
    hash_password,
    verify_login,
)
from web.limits import (
    LOGIN_ATTEMPTS_PER_ADDRESS,
    LOGIN_FAILURES_PER_ADDRESS,
    LOGIN_FAILURES_PER_USER,
    client_address,
    limiter,
    per_user,
    wait_text,
)
from web.state import db

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., object])



class LoginUser(UserMixin):
    """The Flask-Login view of a user row (detached from the request session)."""

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.username = user.username
        self.name = user.name or user.username
        self.role = user.role
        self.agency_id = user.agency_id
        self.session_version = user.session_version
        self.must_change_password = user.must_change_password

    def get_id(self) -> str:
        """What the session and the remember cookie carry: the id and the session version."""
        return f"{self.id}:{self.session_version}"

    def has_role(self, *roles: Role) -> bool:
        return self.role in {r.value for r in roles}


@login_manager.user_loader
def _load_user(cookie_id: str) -> LoginUser | None:
    user_id, _, version = cookie_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None  # a cookie from before session versions
    user = db().get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return LoginUser(user)


def role_required(*roles: Role) -> Callable[[F], F]:
    """Allow only these roles (admin always); others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):  # noqa: ANN002, ANN003
            if not current_user.has_role(Role.ADMIN, *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


class UserExists(SuaraError):
    code = "user_exists"
    message_id = "Nama pengguna sudah dipakai."


def create_user(
    session: Session, username: str, password: str, role: Role = Role.OPERATOR, name: str = "", agency_key: str | None = None
) -> User:
    """Add a user with a hashed password; a liaison must name an agency. A name taken in any case is refused."""
    existing = find_user(session, username)
    if existing is not None:
        raise UserExists(username, f"Nama pengguna “{username}” sudah dipakai oleh “{existing.username}” "
                                   "(huruf besar dan kecil tidak dibedakan). Pilih nama lain.")
    check_password_strength(password, username)
    agency = None
    if agency_key:
        agency = session.scalars(select(Agency).where(Agency.key == agency_key)).first()
        if agency is None:
            raise SuaraError(f"unknown agency {agency_key}", f"OPD '{agency_key}' tidak dikenal.")
    if role == Role.LIAISON and agency is None:
        raise SuaraError("liaison needs an agency", "Admin penghubung harus terkait dengan satu OPD.")
    user = User(username=username, name=name or username, password_hash=hash_password(password), role=role.value, agency=agency)
    session.add(user)
    session.flush()
    return user


def issue_api_token(session: Session, user: User) -> str:
    """A new API token for the user (only its hash is stored); returns the token once."""
    import hashlib

    token = secrets.token_urlsafe(32)
    user.api_token_hash = hashlib.sha256(token.encode()).hexdigest()
    return token


class LoginForm(FlaskForm):
    username = StringField("Nama pengguna", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Kata sandi", validators=[DataRequired()])
    remember = BooleanField("Ingat saya")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("calls.index"))
    return render_template("login.html", form=LoginForm())


def _login_limited(limit: RequestLimit) -> Response:
    form = LoginForm()
    flash(f"Terlalu banyak percobaan masuk dari alamat ini. Coba lagi dalam {wait_text(limit)}.", "error")
    return Response(render_template("login.html", form=form), 429)


def _login_failed(response: Response) -> bool:
    return response.status_code == 401


def _address_and_username() -> str:
    return f"{client_address()}|{(request.form.get('username') or '').strip().lower()[:80]}"


@bp.post("/login")
@limiter.limit(LOGIN_ATTEMPTS_PER_ADDRESS, on_breach=_login_limited)
@limiter.limit(LOGIN_FAILURES_PER_ADDRESS, deduct_when=_login_failed, on_breach=_login_limited)
@limiter.limit(LOGIN_FAILURES_PER_USER, key_func=_address_and_username, deduct_when=_login_failed, on_breach=_login_limited)
def login_submit():
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 400
    user = verify_login(db(), form.username.data, form.password.data)
    if user is None:
        flash("Nama pengguna atau kata sandi salah.", "error")
        return render_template("login.html", form=form), 401
    # A new session (and with it a new CSRF token): nothing from before the login carries over.
    session.clear()
    g.pop("csrf_token", None)
    login_user(LoginUser(user), remember=form.remember.data)
    if user.must_change_password:
        return redirect(url_for("auth.password"))
    return redirect(_safe_next(request.args.get("next")) or url_for("calls.index"))


@bp.post("/logout")
@login_required
def logout():
    user = db().get(User, current_user.id)
    if user is not None:
        end_sessions(user)  # a copy of this session or of the remember cookie stops working too
        db().commit()
    logout_user()
    session.clear()
    flash("Anda telah keluar.", "info")
    return redirect(url_for("auth.login"))


class PasswordForm(FlaskForm):
    current = PasswordField("Kata sandi saat ini", validators=[DataRequired()])
    new = PasswordField("Kata sandi baru", validators=[DataRequired(), Length(max=200)])
    repeat = PasswordField("Ulangi kata sandi baru", validators=[DataRequired(), EqualTo("new", "Kedua kata sandi baru tidak sama.")])


@bp.get("/akun/kata-sandi")
@login_required
def password():
    return render_template("password.html", form=PasswordForm())


@bp.post("/akun/kata-sandi")
@login_required
@limiter.limit(LOGIN_FAILURES_PER_USER, key_func=per_user("password"), deduct_when=lambda r: r.status_code == 400)
def password_submit():
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_template("password.html", form=form), 400
    user = db().get(User, current_user.id)
    try:
        change_own_password(user, form.current.data, form.new.data)
    except SuaraError as exc:
        db().rollback()
        flash(exc.message_id, "error")
        return render_template("password.html", form=form), 400
    db().commit()
    # Every other session has ended; this one continues under the new version.
    session.clear()
    login_user(LoginUser(user))
    flash("Kata sandi diganti. Sesi di perangkat lain sudah diakhiri.", "info")
    return redirect(url_for("calls.index"))


OPEN_WHILE_PASSWORD_MUST_CHANGE = {"auth.password", "auth.password_submit", "auth.logout", "static"}


@bp.before_app_request
def _force_password_change():  # noqa: ANN202
    """After an admin's reset, the only page open to the user is the password change."""
    if request.endpoint in OPEN_WHILE_PASSWORD_MUST_CHANGE or request.blueprint in ("api", "open311", "public", "twilio"):
        return None
    if current_user.is_authenticated and getattr(current_user, "must_change_password", False):
        return redirect(url_for("auth.password"))
    return None
