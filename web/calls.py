"""Calls and their drafts: the first page an operator sees, the audio, and uploads."""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import StringField
from wtforms.validators import Length, Optional, ValidationError

from models import phone
from models.entities import Call, Channel, Role
from transcribe.errors import AudioError
from transcribe.pipeline import call_audio_path
from voice.intake import IncomingAudio, accept_upload
from models.errors import SuaraError
from web.access import audience
from web.auth import role_required
from web.errors import wants_json
from web.limits import limiter, per_user
from web.params import int_arg
from web.state import db, get_or_404, state

bp = Blueprint("calls", __name__)
PAGE_SIZE = 50


def indonesian_number(form: FlaskForm, field: StringField) -> None:
    """A caller number must be an Indonesian phone number (mobile 08…/+628…, or a landline with area code)."""
    number = phone.to_national(field.data or "")
    if number is None or not number.startswith("0") or re.search(r"[^\d\s()+.-]", field.data):
        raise ValidationError("Nomor penelepon harus nomor telepon Indonesia, mis. 081234567890 atau 0353 881234.")
    field.data = number


class InvalidUpload(SuaraError):
    code = "invalid_upload"
    message_id = "Unggahan tidak valid."
    http_status = 422


class UploadForm(FlaskForm):
    audio = FileField("Berkas audio", validators=[FileRequired("Pilih berkas audio.")])
    caller_number = StringField("Nomor penelepon", validators=[Optional(), Length(max=40), indonesian_number])


@bp.get("/")
@login_required
def index():
    """Operators start at the calls; a liaison at their agency's queue; a viewer at the complaint list."""
    if current_user.has_role(Role.LIAISON):
        return redirect(url_for("console.liaison"))
    if not current_user.has_role(Role.ADMIN, Role.OPERATOR):
        return redirect(url_for("console.complaints"))
    return _calls_page()


def _calls_page(form: UploadForm | None = None, upload_error: str | None = None) -> str:
    """The recent calls and the upload form (with a refused upload's message and values)."""
    page = int_arg("page", 1, minimum=1, maximum=1_000_000)
    calls = db().scalars(
        select(Call)
        .options(selectinload(Call.transcripts), selectinload(Call.complaints))
        .order_by(Call.received_at.desc(), Call.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    total = db().scalar(select(func.count(Call.id)))
    return render_template("calls.html", calls=calls, page=page, total=total, page_size=PAGE_SIZE,
                           form=form or UploadForm(), upload_error=upload_error)


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
        message = " ".join(e for errors in form.errors.values() for e in errors)
        if wants_json():
            raise InvalidUpload(message, message)
        # a person sees the message on the upload form, with what they typed
        return _calls_page(form, message), 422
    storage = form.audio.data
    incoming = IncomingAudio(
        data=storage.read(),
        channel=Channel.UPLOAD,
        caller_number=form.caller_number.data or None,
        filename=storage.filename,
    )
    try:
        call, created = accept_upload(db(), state().settings, incoming)
    except AudioError as exc:
        if wants_json():
            raise
        db().rollback()
        return _calls_page(form, exc.message_id), 422
    db().commit()
    if created:
        state().jobs.enqueue_call(call.id)
        flash(f"Rekaman diterima sebagai panggilan #{call.id} dan sedang ditranskripsi.", "info")
    else:
        flash(f"Rekaman ini sudah ada sebagai panggilan #{call.id}.", "info")
    return redirect(url_for("calls.index"))
