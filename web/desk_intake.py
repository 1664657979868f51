"""Complaints typed at the desk ("Pengaduan baru") and Sambang Desa sessions.

A typed complaint is drafted from its text by the same drafter as a call, lands in the inbox as a draft and is
checked and confirmed on the same review page. A Sambang Desa session is entered once (date, desa, officials);
its complaints are then typed one after another, each starting with the session's desa, and the session's
recording can be uploaded: it is archived and cut into speakers like a radio show (`voice.radio.show`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models.attachments import AttachmentError, IncomingFile, attachments_dir, attachments_of, check_files, store_attachments
from models.audit import audit
from models.base import utcnow
from models.calendar import WIB
from models.channels import DESK_CHANNELS, SOCIAL_PLATFORMS, source_label
from models.desk import DeskIntake, SambangSession, heard_at, intake_of, session_complaints, typed_complaints
from models.entities import Channel, Complaint, Place, Role, User
from models.errors import SuaraError
from models.phone import to_national
from web.access import audience, load_complaint
from web.auth import role_required
from web.console_common import acting_user
from web.places import PlaceEntry, PlaceSearch, directory
from web.review_page import FormValues
from web.state import db, get_or_404, state

log = logging.getLogger(__name__)
bp = Blueprint("desk", __name__)

MAX_TEXT = 10_000
MIN_TEXT_WORDS = 3
OLDEST_RECEIPT = timedelta(days=366)
"""A letter may be typed in late, but not a year late (a mistyped year)."""
SESSIONS_LISTED = 50


class DeskInputError(SuaraError):
    """A desk form field the operator must correct; `field` names it so the page can mark it."""

    code = "invalid_input"
    message_id = "Isian tidak valid."
    http_status = 422

    def __init__(self, detail: str, message_id: str, field: str | None = None) -> None:
        super().__init__(detail, message_id)
        self.field = field


@dataclass(frozen=True)
class TypedComplaint:
    """What the desk form says, checked: everything the drafter does not find in the text itself."""

    channel: Channel
    text: str
    received_at: datetime
    """Naive UTC."""
    source_detail: str | None = None
    source_ref: str | None = None
    reporter_name: str | None = None
    reporter_phone: str | None = None
    anonymous: bool = False
    confidential: bool = False
    place_id: int | None = None
    """Used when the text names no place (a Sambang Desa session's desa)."""

    @classmethod
    def from_form(cls, form: Any, now: datetime, channel: Channel | None = None) -> "TypedComplaint":
        """Read and check the form; raises DeskInputError with an Indonesian message and the field at fault."""
        if channel is None:
            raw = form.get("channel") or ""
            channel = next((c for c in DESK_CHANNELS if c.value == raw), None)
            if channel is None or channel is Channel.SAMBANG_DESA:
                raise DeskInputError(f"channel {raw!r}", "Pilih saluran pengaduan.", "channel")
        text = (form.get("text") or "").replace("\r\n", "\n").strip()
        if len(text.split()) < MIN_TEXT_WORDS:
            raise DeskInputError("text too short", "Tuliskan isi pengaduan (paling sedikit tiga kata).", "text")
        if len(text) > MAX_TEXT:
            raise DeskInputError("text too long", f"Isi pengaduan terlalu panjang (paling banyak {MAX_TEXT} karakter).", "text")
        detail = (form.get("source_detail") or "").strip() or None
        if channel is Channel.SOCIAL_MEDIA:
            if detail not in SOCIAL_PLATFORMS:
                raise DeskInputError(f"platform {detail!r}", "Pilih media sosialnya (YouTube, Facebook, X, …).", "source_detail")
        elif channel is Channel.OTHER:
            detail = (form.get("other_detail") or "").strip()[:40] or None
            if detail is None:
                raise DeskInputError("other without detail", "Sebutkan saluran lainnya (mis. kotak saran, WhatsApp pribadi).",
                                     "other_detail")
        else:
            detail = None
        phone = (form.get("reporter_phone") or "").strip()
        if phone:
            number = to_national(phone)
            if number is None or not number.startswith("0"):
                raise DeskInputError(f"phone {phone!r}", "Nomor telepon pelapor tidak valid: tulis nomor Indonesia, mis. 081234567890.",
                                     "reporter_phone")
            phone = number
        return cls(
            channel=channel, text=text, received_at=_received_at(form, now), source_detail=detail,
            source_ref=(form.get("source_ref") or "").strip()[:300] or None,
            reporter_name=(form.get("reporter_name") or "").strip()[:200] or None, reporter_phone=phone or None,
            anonymous=form.get("anonymous") in ("1", "on"), confidential=form.get("confidential") in ("1", "on"),
            place_id=_place_id(PlaceEntry.from_form(form, directory()).place_id),
        )


def _received_at(form: Any, now: datetime) -> datetime:
    """When the complaint reached the regency (local date and time typed, default now): its time limit runs from then."""
    day, clock = (form.get("received_date") or "").strip(), (form.get("received_time") or "").strip()
    if not day:
        return now
    try:
        local = datetime.fromisoformat(f"{day}T{clock or '00:00'}")
    except ValueError:
        raise DeskInputError(f"received {day!r} {clock!r}", "Tanggal/jam diterima tidak valid.", "received_date") from None
    received = local - WIB
    if received > now + timedelta(minutes=5):
        raise DeskInputError("received in the future", "Tanggal diterima tidak boleh di masa depan.", "received_date")
    if received < now - OLDEST_RECEIPT:
        raise DeskInputError("received too long ago", "Tanggal diterima lebih dari setahun lalu; periksa tahunnya.", "received_date")
    return received


def _place_id(raw: int | str | None) -> int | None:
    if raw is None or raw == "":
        return None
    if not str(raw).isdigit() or directory().by_id.get(int(raw)) is None:
        raise DeskInputError(f"place {raw!r}", "Lokasi tidak dikenal; pilih dari daftar.", "place")
    return int(raw)


def _field_error(exc: DeskInputError | AttachmentError) -> DeskInputError:
    """A refused attachment is shown at the attachments field like any other input error."""
    return exc if isinstance(exc, DeskInputError) else DeskInputError(exc.detail, exc.message_id, "attachments")


def _uploaded_files(name: str = "attachments") -> list[IncomingFile]:
    return [IncomingFile(f.filename or "", f.read()) for f in request.files.getlist(name) if f and (f.filename or "")]


def create_typed_complaint(typed: TypedComplaint, files: list[IncomingFile], by: User,
                           sambang: SambangSession | None = None) -> Complaint:
    """Draft the typed text, record the draft with its intake and attachments, and commit."""
    from transcribe.drafting_job import draft_complaint

    checked = check_files(files)  # before anything is written: a refused file leaves no half complaint
    session = db()
    place = session.get(Place, typed.place_id) if typed.place_id else None
    complaint = draft_complaint(session, typed.text, channel=typed.channel.value, received_at=typed.received_at,
                                caller_number=typed.reporter_phone, default_place=place, reporter_name=typed.reporter_name,
                                data_dir=state().settings.data_dir, peers=session_complaints(session, sambang) if sambang else (),
                                private=typed.anonymous or typed.confidential)
    # a text asking not to be named has marked the draft anonymous already, for the operator to confirm
    complaint.anonymous, complaint.confidential = typed.anonymous or complaint.anonymous, typed.confidential
    session.add(complaint)
    session.flush()
    session.add(DeskIntake(complaint=complaint, text=typed.text, source_detail=typed.source_detail, source_ref=typed.source_ref,
                           sambang_session=sambang, entered_by=by))
    store_attachments(session, state().settings, complaint, checked, by)
    audit(session, by, "complaint.typed", complaint, channel=typed.channel.value, attachments=len(checked),
          sambang_session=sambang.id if sambang else None)
    session.commit()
    _announce(complaint)
    return complaint


def _announce(complaint: Complaint) -> None:
    """The inbox of every open console shows the new draft at once."""
    from flask import current_app

    broker = current_app.extensions.get("suara_broker")
    if broker is not None:
        broker.publish("drafted", complaint_id=complaint.id)


def _form_context(values: FormValues, error: DeskInputError | None = None, search: PlaceSearch | None = None,
                  default_place_id: int | None = None, **extra: Any) -> dict[str, Any]:
    places = directory()
    if values.form is None:
        place = places.by_id.get(default_place_id or 0)
    else:
        place = PlaceEntry.from_form(values.form, places).picked(places)
    if error is None and search is not None and search.error:
        error = DeskInputError(f"place {search.query!r} not picked", search.error, "place")
    return dict(values=values, error=error.message_id if error else None, error_field=getattr(error, "field", None),
                channels=[c for c in DESK_CHANNELS if c is not Channel.SAMBANG_DESA], platforms=SOCIAL_PLATFORMS,
                chosen_place=place, place_search=search, **extra)


# -- Pengaduan baru --------------------------------------------------------------------------------
@bp.get("/konsol/pengaduan-baru")
@role_required(Role.OPERATOR)
def new_form() -> str:
    return render_template("console/desk_new.html", **_form_context(FormValues()))


@bp.post("/konsol/pengaduan-baru")
@role_required(Role.OPERATOR)
def new_submit() -> Response | tuple[str, int]:
    """Draft the typed complaint and open it on the review page; a refused form comes back with everything typed."""
    search = PlaceSearch.of(request.form, directory())
    if search is not None:
        return render_template("console/desk_new.html", **_form_context(FormValues(request.form), search=search)), search.http_status
    try:
        typed = TypedComplaint.from_form(request.form, utcnow())
        complaint = create_typed_complaint(typed, _uploaded_files(), acting_user())
    except (DeskInputError, AttachmentError) as exc:
        db().rollback()
        return render_template("console/desk_new.html", **_form_context(FormValues(request.form), _field_error(exc))), 422
    flash("Draf dibuat dari teks yang diketik. Periksa saran topik, OPD dan lokasi, lalu konfirmasi.", "info")
    return redirect(url_for("console.review", complaint_id=complaint.id))


# -- attachments -----------------------------------------------------------------------------------
@bp.get("/konsol/pengaduan/<int:complaint_id>/lampiran/<int:attachment_id>")
@login_required
def attachment(complaint_id: int, attachment_id: int) -> Response:
    """An attachment, for those who may have the complaint's raw material (`Audience.may_hear`): a photo or a letter
    can show who the reporter is, exactly like a voice."""
    from models.attachments import Attachment

    complaint = load_complaint(complaint_id)
    row = db().get(Attachment, attachment_id)
    mine = row is not None and (row.complaint_id == complaint.id or (row.call_id is not None and row.call_id == complaint.call_id))
    if not mine or not audience().may_hear(complaint):
        abort(404)
    path = attachments_dir(state().settings) / row.path
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=row.content_type, conditional=True, download_name=row.filename,
                         as_attachment=not row.is_image)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"  # a PDF or image runs nothing
    return response


def desk_source(complaint: Complaint, conversation_panel: bool = False) -> dict[str, Any]:
    """What the review and complaint pages show of a complaint's desk intake and attachments, for the logged-in user
    (without the files of a WhatsApp conversation when the page shows them with its messages)."""
    who = audience()
    intake = intake_of(db(), complaint)
    files = attachments_of(db(), complaint) if who.may_hear(complaint) else []
    if conversation_panel:
        files = [f for f in files if f.call_id is None]
    if intake is None:
        return dict(intake=None, attachments=files)
    # The typed text, the sender's reference (an e-mail, a handle, a post link) and "lainnya"'s note are raw
    # material like a recording: a signed letter or a link names its sender where no filter can tell. Whoever may
    # not hear the recording reads the (identity-filtered) description instead.
    raw = who.may_hear(complaint)
    return dict(intake=intake, text=intake.text if raw else None,
                source=source_label(complaint.channel, intake.source_detail, free_text=raw),
                source_ref=intake.source_ref if raw else None,
                sambang=intake.sambang_session if who.coordinator else None, attachments=files)


@bp.app_context_processor
def _desk_globals() -> dict[str, Any]:
    return dict(desk_source=desk_source)


@bp.app_template_filter("tanggal")
def _day(value: date) -> str:
    """A calendar day as people read it: "Senin, 30 Nov 2026"."""
    from web.filters import MONTHS, WEEKDAYS

    return f"{WEEKDAYS[value.weekday()]}, {value.day} {MONTHS[value.month - 1]} {value.year}"


@bp.app_template_filter("file_size")
def _file_size(size_bytes: int) -> str:
    if size_bytes < 1024:
        return f"{size_bytes} B"
    if size_bytes < 1024 * 1024:
        return f"{size_bytes / 1024:.0f} KB"
    return f"{size_bytes / (1024 * 1024):.1f} MB".replace(".", ",")


# -- Sambang Desa ----------------------------------------------------------------------------------
def _sessions_page(values: FormValues, error: DeskInputError | None = None, search: PlaceSearch | None = None) -> str:
    sessions = db().scalars(select(SambangSession).options(joinedload(SambangSession.place).joinedload(Place.parent))
                            .order_by(SambangSession.held_on.desc(), SambangSession.id.desc()).limit(SESSIONS_LISTED)).all()
    counts = dict(db().execute(select(DeskIntake.sambang_session_id, func.count()).where(DeskIntake.sambang_session_id.is_not(None))
                               .group_by(DeskIntake.sambang_session_id)).all())
    today = (utcnow() + WIB).date()
    return render_template("console/sambang_list.html", sessions=sessions, counts=counts, today=today,
                           **_form_context(values, error, search))


@bp.get("/konsol/sambang-desa")
@role_required(Role.OPERATOR)
def sambang_list() -> str:
    return _sessions_page(FormValues())


@bp.post("/konsol/sambang-desa")
@role_required(Role.OPERATOR)
def sambang_create() -> Response | tuple[str, int]:
    """Open a session: its date, the desa visited and who was present."""
    form = request.form
    search = PlaceSearch.of(form, directory(), desa_only=True)
    if search is not None:
        return _sessions_page(FormValues(form), search=search), search.http_status
    try:
        try:
            held_on = date.fromisoformat((form.get("held_on") or "").strip())
        except ValueError:
            raise DeskInputError("bad date", "Isi tanggal Sambang Desa.", "held_on") from None
        if held_on > (utcnow() + WIB).date() + timedelta(days=1):
            raise DeskInputError("future date", "Tanggal Sambang Desa tidak boleh di masa depan.", "held_on")
        place = directory().by_id.get(_place_id(PlaceEntry.from_form(form, directory()).place_id) or 0)
        if place is None or place.is_kecamatan:
            raise DeskInputError("no desa", "Pilih desa/kelurahan yang dikunjungi.", "place")
    except DeskInputError as exc:
        return _sessions_page(FormValues(form), exc), 422
    by = acting_user()
    sambang = SambangSession(held_on=held_on, place_id=place.id, officials=(form.get("officials") or "").strip()[:2000],
                             note=(form.get("note") or "").strip()[:2000] or None, created_by=by)
    db().add(sambang)
    db().flush()
    audit(db(), by, "sambang.create", sambang, place=place.code, held_on=held_on.isoformat())
    db().commit()
    flash(f"Sesi {sambang.title} dibuka. Ketik pengaduan warga satu per satu.", "info")
    return redirect(url_for("desk.sambang_session", sambang_id=sambang.id))


def _session_page(sambang: SambangSession, values: FormValues, error: DeskInputError | None = None,
                  search: PlaceSearch | None = None) -> str:
    from models.radio import STATUS_LABELS

    complaints = session_complaints(db(), sambang)
    return render_template("console/sambang_session.html", sambang=sambang, complaints=complaints,
                           show_labels=STATUS_LABELS, **_form_context(values, error, search, default_place_id=sambang.place_id))


@bp.get("/konsol/sambang-desa/<int:sambang_id>")
@role_required(Role.OPERATOR)
def sambang_session(sambang_id: int) -> str:
    return _session_page(get_or_404(SambangSession, sambang_id), FormValues())


@bp.post("/konsol/sambang-desa/<int:sambang_id>/pengaduan")
@role_required(Role.OPERATOR)
def sambang_add(sambang_id: int) -> Response | tuple[str, int]:
    """One complaint heard at the session; back to the session for the next one (or to its review page)."""
    sambang = get_or_404(SambangSession, sambang_id)
    search = PlaceSearch.of(request.form, directory())
    if search is not None:
        return _session_page(sambang, FormValues(request.form), search=search), search.http_status
    try:
        typed = TypedComplaint.from_form(request.form, utcnow(), channel=Channel.SAMBANG_DESA)
        if not (request.form.get("received_date") or "").strip():  # heard at the session, not when typed in
            typed = replace(typed, received_at=heard_at(sambang))
        complaint = create_typed_complaint(typed, _uploaded_files(), acting_user(), sambang)
    except (DeskInputError, AttachmentError) as exc:
        db().rollback()
        return _session_page(get_or_404(SambangSession, sambang_id), FormValues(request.form), _field_error(exc)), 422
    if request.form.get("action") == "review":
        return redirect(url_for("console.review", complaint_id=complaint.id))
    number = len(typed_complaints(db(), sambang))
    flash(f"Pengaduan ke-{number} sesi ini disimpan sebagai draf #{complaint.id}: {complaint.title}", "info")
    return redirect(url_for("desk.sambang_session", sambang_id=sambang.id) + "#pengaduan-baru")


@bp.post("/konsol/sambang-desa/<int:sambang_id>/rekaman")
@role_required(Role.OPERATOR)
def sambang_recording(sambang_id: int) -> Response | tuple[str, int]:
    """The session's recording: archived and cut into speakers like a radio show; each speaker becomes a call."""
    from voice.radio.show import ResegmentError
    from voice.sambang import segment_recording

    sambang = get_or_404(SambangSession, sambang_id)
    files = request.files.getlist("recording")
    upload = files[0] if files and files[0].filename else None
    if upload is None:
        return _session_page(sambang, FormValues(), DeskInputError("no file", "Pilih berkas rekaman sesi.", "recording")), 422
    if sambang.show_id is not None:
        flash("Sesi ini sudah punya rekaman; potong ulang di halaman rekamannya bila perlu.", "error")
        return redirect(url_for("desk.sambang_session", sambang_id=sambang.id))
    try:
        done = segment_recording(db(), state().settings, sambang, upload.read(), upload.filename or "rekaman")
        audit(db(), acting_user(), "sambang.recording", sambang, show=sambang.show_id, segments=len(done.created))
        db().commit()
    except (SuaraError, ResegmentError) as exc:
        db().rollback()
        return _session_page(get_or_404(SambangSession, sambang_id), FormValues(),
                             DeskInputError(exc.detail, exc.message_id, "recording")), 422
    for result in done.created:
        state().jobs.enqueue_call(result.call_id)
    flash(f"Rekaman dipotong menjadi {len(done.created)} pembicara; masing-masing sedang ditranskripsi menjadi draf.", "info")
    return redirect(url_for("desk.sambang_session", sambang_id=sambang.id))
