"""Admin page of the topic router: the versions `suara learn` made, with their figures, and switching back."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from transcribe.drafting.learning import KEEP_VERSIONS, SHIPPED, ModelStore
from web.auth import role_required
from web.console_common import record_audit
from web.state import db, state

bp = Blueprint("router_admin", __name__, url_prefix="/konsol/admin/router")


def _store() -> ModelStore:
    return ModelStore(state().settings.data_dir)


@bp.get("/")
@role_required()
def index():
    store = _store()
    return render_template("console/router_versions.html", versions=store.versions(), active=store.active(),
                           shipped=store.shipped_figures(), SHIPPED=SHIPPED, keep=KEEP_VERSIONS)


@bp.post("/aktifkan")
@role_required()
def activate():
    store = _store()
    version = request.form.get("version", "")
    if version != SHIPPED and version not in {v["version"] for v in store.versions()}:
        abort(404)
    previous = store.active()
    store.activate(version, by=current_user.username)
    record_audit("router.activate", None, version=version, previous=previous)
    db().commit()
    label = "router bawaan" if version == SHIPPED else f"versi {version}"
    flash(f"Penentuan topik kini memakai {label} (sebelumnya {previous}).", "info")
    return redirect(url_for("router_admin.index"))
