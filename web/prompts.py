"""Admin page for the phone prompts: hear each one, upload the regency's own recording, go back to the bundled one."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for

from transcribe.errors import AudioError
from voice.prompts import PROMPTS, custom_prompt_dir, is_custom, prompt_path, remove_custom_prompt, store_custom_prompt
from web.auth import role_required
from web.console_common import record_audit
from web.state import db, state

bp = Blueprint("prompts", __name__, url_prefix="/konsol/admin/suara-telepon")
MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def _dir():  # noqa: ANN202
    return custom_prompt_dir(state().settings.data_dir)


@bp.get("/")
@role_required()
def index():
    rows = [(name, text, is_custom(name, _dir()), prompt_path(name, _dir()) is not None) for name, text in PROMPTS.items()]
    return render_template("console/prompts.html", rows=rows)


@bp.get("/<name>.wav")
@role_required()
def audio(name: str):
    path = prompt_path(name, _dir())
    if path is None:
        abort(404)
    return send_file(path, mimetype="audio/wav", max_age=0)


@bp.post("/<name>")
@role_required()
def upload(name: str):
    if name not in PROMPTS:
        abort(404)
    if request.form.get("action") == "reset":
        if remove_custom_prompt(_dir(), name):
            record_audit("prompt.reset", None, prompt=name)
            db().commit()
            flash(f"Pesan “{name}” kembali memakai suara bawaan.", "info")
        return redirect(url_for("prompts.index", _anchor=f"p-{name}"))
    upload = request.files.get("audio")
    data = upload.read(MAX_UPLOAD_BYTES + 1) if upload else b""
    if not data:
        flash("Pilih berkas rekaman (WAV, MP3, OGG…).", "error")
    elif len(data) > MAX_UPLOAD_BYTES:
        flash("Berkas terlalu besar (maksimal 10 MB).", "error")
    else:
        try:
            seconds = store_custom_prompt(_dir(), name, data)
        except AudioError as exc:
            flash(f"Rekaman untuk “{name}” tidak dipakai: {exc.message_id}", "error")
        else:
            record_audit("prompt.upload", None, prompt=name, seconds=round(seconds, 1))
            db().commit()
            flash(f"Rekaman “{name}” ({seconds:.1f} detik) kini diputar untuk penelepon.", "info")
    return redirect(url_for("prompts.index", _anchor=f"p-{name}"))
