"""Calls and their drafts: the first page an operator sees, the audio, and uploads."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import StringField
from wtforms.validators import Length, Optional

from models.entities import Call, Channel, Role
from transcribe.pipeline import call_audio_path
from voice.intake import IncomingAudio, accept_upload
from web.access import audience
from web.auth import role_required
from web.limits import limiter, per_user
from web.params import int_arg
from web.state import db, get_or_404, state

bp = Blueprint("calls", __name__)
PAGE_SIZE = 50


class UploadForm(FlaskForm):
    audio = FileField("Berkas audio", validators=[FileRequired("Pilih berkas audio.")])
    caller_number = StringField("Nomor penelepon", validators=[Optional(), Length(max=40)])


@bp.get("/")
@login_required
def index():
    """Operators start at the calls; a liaison at their agency's queue; a viewer at the complaint list."""
    if current_user.has_role(Role.LIAISON):
        return redirect(url_for("console.liaison"))
    if not current_user.has_role(Role.ADMIN, Role.OPERATOR):
        return redirect(url_for("console.complaints"))
    page = int_arg("page", 1, minimum=1, maximum=1_000_000)
    calls = db().scalars(
        select(Call)
        .options(selectinload(Call.transcripts), selectinload(Call.complaints))
        .order_by(Call.received_at.desc(), Call.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    total = db().scalar(select(func.count(Call.id)))
    return render_template("calls.html", calls=calls, page=page, total=total, page_size=PAGE_SIZE, form=UploadForm())


@bp.get("/calls/<int:call_id>/audio")
@login_required
def audio(call_id: int):
    """The recording, for those who may hear it (`Audience.may_hear`): a voice identifies a person."""
    call = get_or_404(Call, call_id)
    who = audience()
    if not who.coordinator and not any(who.may_hear(c) for c in call.complaints):
        abort(404)
    path = call_audio_path(state().settings, call)
    if not path.exists():
        abort(404)
    return send_file(path, conditional=True, download_name=f"panggilan-{call.id}{path.suffix}")


@bp.post("/calls/upload")
@role_required(Role.OPERATOR)
@limiter.limit(lambda: state().settings.upload_rate, key_func=per_user("upload"))
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("calls.index"))
    storage = form.audio.data
    incoming = IncomingAudio(
        data=storage.read(),
        channel=Channel.UPLOAD,
        caller_number=form.caller_number.data or None,
        filename=storage.filename,
    )
    call, created = accept_upload(db(), state().settings, incoming)
    db().commit()
    if created:
        state().jobs.enqueue_call(call.id)
        flash(f"Rekaman diterima sebagai panggilan #{call.id} dan sedang ditranskripsi.", "info")
    else:
        flash(f"Rekaman ini sudah ada sebagai panggilan #{call.id}.", "info")
    return redirect(url_for("calls.index"))
