"""WhatsApp as a channel, without Flask: the two providers behind one interface, and what a message becomes.

- A voice note (or any audio) is downloaded by a job with the account's credentials, stored first, and becomes
  the audio of a call on channel `whatsapp`: transcription and drafting follow as for a phone call.
- A text is drafted directly; a photo or document is kept as an attachment of the conversation's complaint.
- Messages from one sender within `whatsapp_join_minutes` of each other, before an operator confirmed the draft,
  make one conversation (one call, one draft).
- `STATUS <nomor>` and the answer 1-4 to the rating question are answered, not drafted.
- Every reply (receipt, reference, status, rating question) goes through the outbox (`models.whatsapp`), sent by
  a retried job.

The providers (Twilio, Meta's WhatsApp Cloud API) are in voice/whatsapp_providers.py.
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

import numpy as np
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import phone, satisfaction
from models.audit import AuditEntry
from models.base import utcnow
from models.call_state import caller_status
from models.config import Settings
from models.entities import Call, CallStatus, Channel, Complaint, Transcript
from models.refs import find_by_reference, format_reference
from models.retry import Schedule
from models.visibility import PUBLIC
from models.whatsapp import (
    MessageKind,
    MessageStatus,
    ReplyStatus,
    WhatsAppMessage,
    WhatsAppReply,
    conversation_messages,
    in_service_window,
    kind_of,
    open_conversation,
    parse_command,
    pending_rating_question,
    queue_reply,
)
from models import lifecycle
from models.status import Status
from models.analytics import RATING_LABELS
from models.attachments import KINDS, MAX_ATTACHMENT_BYTES, Attachment, attachments_dir, sniff
from models.datadir import store_by_content
from voice.intake import store_audio
from voice.whatsapp_providers import (
    DeliveryReport,
    IncomingMessage,
    Media,
    WhatsAppError,
    WhatsAppNotReady,
    WhatsAppProvider,
    provider_for,
)
from voice.prompts import PROMPTS
from voice.twilio_client import Backoff

log = logging.getLogger(__name__)

# -- replies (Indonesian) ------------------------------------------------------------------------

RECEIPT = ("Terima kasih, pesan Anda sudah diterima layanan pengaduan Pemkab Bojonegoro. Petugas akan memeriksanya; "
           "nomor pengaduan kami kirim setelah pengaduan dicatat. Pesan, foto, atau pesan suara tambahan dalam "
           "{minutes} menit ke depan digabung dengan pengaduan ini.")
REFERENCE = ("Pengaduan Anda sudah dicatat dengan nomor {reference}. Cek status kapan saja dengan membalas: "
             "STATUS {reference}")
RATING_QUESTION = ("Pengaduan {reference} sudah selesai ditangani. Seberapa puas Anda dengan penanganannya? "
                   "Balas 1–4:\n1 Sangat Puas\n2 Puas\n3 Cukup Puas\n4 Tidak Puas")


def _numbered(text: str) -> str:
    """A reply's text as a template: each {reference} becomes the next variable, {{1}}, {{2}} … (WhatsApp numbers
    a template's variables in order)."""
    parts = text.split("{reference}")
    return "".join(part + (f"{{{{{n}}}}}" if n < len(parts) else "") for n, part in enumerate(parts, 1))


TEMPLATE_TEXTS = {"reference": _numbered(REFERENCE), "rating": _numbered(RATING_QUESTION)}
"""The templates the regency has WhatsApp approve (README): the replies sent long after the sender last wrote,
each variable the reference number."""
TEMPLATE_SETTINGS = {"reference": "whatsapp_template_reference", "rating": "whatsapp_template_rating"}
WINDOW_CLOSED = {"twilio": frozenset({"63016"}), "meta": frozenset({"131047"})}
"""The providers' error codes for free text refused because the sender's 24-hour window had closed."""
RATED = "Terima kasih atas penilaian Anda ({label}) untuk pengaduan {reference}."
NOT_FOUND = ("Maaf, nomor pengaduan {number} tidak ditemukan. Periksa kembali nomornya, mis. STATUS 2612-0113-0026.")
NO_COMPLAINT = "Kami belum menemukan pengaduan dari nomor ini. Tulis STATUS diikuti nomor pengaduan, mis. STATUS 2612-0113-0026."
MEDIA_FAILED = ("Maaf, berkas yang Anda kirim tidak dapat kami terima ({reason}). Silakan kirim ulang, atau tuliskan "
                "pengaduan Anda.")


def status_text(call: Call | None, complaint: Complaint | None) -> str:
    """The same words the phone menu says, with the reference when there is one."""
    key = f"status_{caller_status(call, complaint)}"
    text = PROMPTS.get(key, PROMPTS["status_diproses"]).replace("rekaman Anda", "pesan Anda")
    if complaint is not None and complaint.reference:
        return f"Pengaduan {format_reference(complaint.reference)}. {text}"
    return text


# -- receiving (the webhook) ---------------------------------------------------------------------

@dataclass(frozen=True)
class Received:
    """What the webhook must do next: run the jobs of the new message rows, send the replies queued."""

    messages: list[int]
    replies: list[int]


def receive(session: Session, settings: Settings, incoming: list[IncomingMessage], now: datetime | None = None) -> Received:
    """Store every message first (the same provider id twice makes one row), join it to the sender's open
    conversation or start one, and answer commands. The caller commits, then enqueues."""
    now = now or utcnow()
    new_messages: list[int] = []
    replies: list[int] = []
    for item in incoming:
        if session.scalars(select(WhatsAppMessage.id).where(WhatsAppMessage.provider == item.provider,
                                                            WhatsAppMessage.message_id == item.message_id)).first():
            continue
        message = WhatsAppMessage(provider=item.provider, message_id=item.message_id, sender=item.sender,
                                  kind=kind_of(item.media_type).value, body=item.body, media_ref=item.media_ref,
                                  media_type=item.media_type, filename=item.filename, received_at=now,
                                  status=MessageStatus.RECEIVED.value, fetch={})
        command = parse_command(item.body) if not item.media_ref else None
        if command is not None and (command.name == "status" or pending_rating_question(session, item.sender, now)):
            message.kind, message.status = MessageKind.COMMAND.value, MessageStatus.DONE.value
            session.add(message)
            try:
                session.flush()
            except IntegrityError:  # the same delivery, handled by a concurrent request
                session.rollback()
                continue
            body = answer_status(session, item.sender, command.argument) if command.name == "status" else \
                answer_rating(session, item.sender, command.argument, now)
            if reply := queue_reply(session, f"answer:{message.id}", item.sender, body, "answer"):
                replies.append(reply.id)
            continue
        call = open_conversation(session, item.sender, now, timedelta(minutes=settings.whatsapp_join_minutes))
        if call is None:
            call = Call(channel=Channel.WHATSAPP.value, external_id=f"{item.provider}:{item.message_id}",
                        caller_number=item.sender, started_at=now, received_at=now,
                        status=CallStatus.AWAITING.value, meta={"source": item.provider})
            session.add(call)
            session.flush()
            receipt = RECEIPT.format(minutes=f"{settings.whatsapp_join_minutes:g}")
            if reply := queue_reply(session, f"receipt:{call.id}", item.sender, receipt, "receipt", call=call):
                replies.append(reply.id)
        message.call_id = call.id
        call.ended_at = now
        session.add(message)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            continue
        new_messages.append(message.id)
    return Received(new_messages, replies)


def answer_status(session: Session, sender: str, argument: str) -> str:
    """`STATUS <nomor>`: the sender's own complaint in full; anyone else's only as the public sees it."""
    if not argument:
        call = session.scalars(select(Call).where(Call.channel == Channel.WHATSAPP.value, Call.caller_number == sender)
                               .order_by(Call.id.desc())).first()
        return status_text(call, call.draft) if call is not None else NO_COMPLAINT
    complaint = find_by_reference(session, argument)
    if complaint is None or not (is_reporter(sender, complaint) or PUBLIC.may_see(complaint)):
        return NOT_FOUND.format(number=argument[:30])
    return status_text(complaint.call, complaint)


def is_reporter(sender: str, complaint: Complaint) -> bool:
    """The phone menu's rule: only the reporter's own number (the network's caller id, here WhatsApp's
    verified sender) may rate, and sees an anonymous or confidential complaint's status."""
    return any(phone.same_number(sender, number) for number in phone.reporter_numbers(complaint))


def answer_rating(session: Session, sender: str, digit: str, now: datetime) -> str:
    """The answer 1-4 to the rating question: recorded with the phone menu's rule about who may rate."""
    complaint = pending_rating_question(session, sender, now)
    if complaint is None:
        return NO_COMPLAINT
    if not is_reporter(sender, complaint):
        return PROMPTS["bukan_pelapor"]
    rating = satisfaction.PHONE_RATINGS[digit]
    try:
        satisfaction.rate(session, complaint, rating, satisfaction.RatingSource.WHATSAPP, now=now)
    except satisfaction.RatingLocked:
        return PROMPTS["nilai_terkunci"]
    except satisfaction.NotRateable:
        return PROMPTS["belum_selesai"]
    log.info("complaint %s rated %s on WhatsApp", complaint.id, rating)
    return RATED.format(label=RATING_LABELS[rating], reference=format_reference(complaint.reference or ""))


# -- processing a message (the job) --------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """What one run of a message's job came to: `retry_in_s` when another download try is scheduled,
    `transcribe` when the conversation's audio changed, `drafted` when its draft was made or updated,
    `replies` queued (a refused file is told to the sender)."""

    retry_in_s: float | None = None
    transcribe: int | None = None
    drafted: int | None = None
    replies: tuple[int, ...] = ()


def process(settings: Settings, sessions: sessionmaker[Session], message_id: int,
            provider_factory: Callable[[str], WhatsAppProvider] | None = None,
            now: Callable[[], datetime] = utcnow) -> Step:
    """Draft a text; download a media file once (the next try scheduled on the row) and store it."""
    with sessions() as session:
        message = session.get(WhatsAppMessage, message_id)
        if message is None or message.status in (MessageStatus.DONE.value, MessageStatus.FAILED.value):
            return Step()
        if message.kind == MessageKind.TEXT.value:
            call = message.call
            message.status = MessageStatus.DONE.value
            draft_conversation(session, settings, call)
            session.commit()
            return Step(drafted=call.id)
        schedule = Schedule.from_json(message.fetch)
        message.status, message.fetch = MessageStatus.FETCHING.value, schedule.trying(now(), settings.twilio_fetch_stall_s).to_json()
        provider_name, media_ref = message.provider, message.media_ref or ""
        session.commit()
    backoff = Backoff.for_recordings(settings)
    try:
        factory = provider_factory or (lambda name: provider_for(settings, name))
        provider = factory(provider_name)
        try:
            media = provider.fetch_media(media_ref)
        finally:
            provider.close()
    except WhatsAppNotReady as exc:
        return _failed_try(settings, sessions, message_id, schedule, str(exc), backoff.delay_after(schedule.attempts + 1), now())
    except WhatsAppError as exc:
        return _failed_try(settings, sessions, message_id, schedule, str(exc), None, now())
    return _store_media(settings, sessions, message_id, schedule, media)


def _failed_try(settings: Settings, sessions: sessionmaker[Session], message_id: int, schedule: Schedule, reason: str,
                retry_in_s: float | None, now: datetime) -> Step:
    after = schedule.failed(reason, retry_in_s, now)
    with sessions() as session:
        message = session.get(WhatsAppMessage, message_id)
        if message is None:
            return Step()
        message.fetch = after.to_json()
        if retry_in_s is not None:
            log.info("WhatsApp media of message %s not available (%s); try %d in %.1f s", message_id, reason, after.attempts + 1, retry_in_s)
            session.commit()
            return Step(retry_in_s=retry_in_s)
        log.warning("WhatsApp media of message %s given up after %d tries: %s", message_id, after.attempts, reason)
        return _refuse(settings, session, message, f"gagal diunduh setelah {after.attempts} percobaan: {reason}", "berkas tidak dapat diunduh")


def _refuse(settings: Settings, session: Session, message: WhatsAppMessage, error: str, told: str) -> Step:
    """Keep the message failed with its reason and tell the sender; the conversation goes on without it (a
    conversation with nothing else in it is closed as failed, visible on the calls page)."""
    message.status, message.error = MessageStatus.FAILED.value, error[:2000]
    call = message.call
    reply = queue_reply(session, f"media-failed:{message.id}", message.sender, MEDIA_FAILED.format(reason=told), "error",
                        call=call)
    drafted = None
    if call is not None and call.draft is None and not call.audio_path and not _has_pending_audio(session, call):
        if conversation_text(session, call):
            draft_conversation(session, settings, call)
            drafted = call.id
        else:
            call.status, call.error = CallStatus.FAILED.value, f"WhatsApp: {error}"[:2000]
    session.commit()
    return Step(drafted=drafted, replies=(reply.id,) if reply else ())


def _has_pending_audio(session: Session, call: Call) -> bool:
    return any(m.kind == MessageKind.AUDIO.value and m.status in (MessageStatus.RECEIVED.value, MessageStatus.FETCHING.value)
               for m in conversation_messages(session, call))


def _store_media(settings: Settings, sessions: sessionmaker[Session], message_id: int, schedule: Schedule, media: Media) -> Step:
    with sessions() as session:
        message = session.get(WhatsAppMessage, message_id)
        if message is None or message.status != MessageStatus.FETCHING.value:
            return Step()  # another try stored it first
        message.fetch = schedule.succeeded().to_json()
        call = message.call
        if message.kind == MessageKind.AUDIO.value:
            relative, _ = store_audio(settings, media.data, _audio_suffix(media.content_type or message.media_type))
            message.audio_path, message.status = relative, MessageStatus.DONE.value
            session.flush()
            _join_audio(session, settings, call)
            session.commit()
            log.info("WhatsApp voice note %s stored on call %s", message_id, call.id)
            return Step(transcribe=call.id)
        content_type = sniff(media.data)
        if content_type is None:
            return _refuse(settings, session, message, f"jenis berkas tidak diterima ({media.content_type or 'tidak diketahui'})",
                           "hanya foto JPEG/PNG/WebP, PDF, atau pesan suara")
        if len(media.data) > MAX_ATTACHMENT_BYTES:
            return _refuse(settings, session, message, f"berkas {len(media.data) // 1024} KB melebihi batas", "berkas terlalu besar")
        relative, digest = store_attachment(settings, media.data, content_type)
        session.add(Attachment(call_id=call.id, complaint_id=call.draft.id if call.draft else None, path=relative,
                               content_type=content_type, size_bytes=len(media.data), sha256=digest,
                               filename=(message.filename or f"whatsapp-{message.id}{KINDS[content_type][0]}")[:200],
                               caption=message.body or None, source=Channel.WHATSAPP.value))
        message.status = MessageStatus.DONE.value
        drafted = None
        if message.body or not _has_pending_audio(session, call):
            draft_conversation(session, settings, call)
            drafted = call.id
        session.commit()
        return Step(drafted=drafted)


AUDIO_SUFFIXES = {"audio/ogg": ".ogg", "audio/opus": ".opus", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac",
                  "audio/amr": ".amr", "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/webm": ".webm"}


def _audio_suffix(content_type: str | None) -> str:
    return AUDIO_SUFFIXES.get((content_type or "").split(";")[0].strip().lower(), ".bin")


def store_attachment(settings: Settings, data: bytes, content_type: str) -> tuple[str, str]:
    """Write a checked attachment durably, named by content (never by the sender's file name)."""
    return store_by_content(attachments_dir(settings), data, KINDS[content_type][0], utcnow())


def _join_audio(session: Session, settings: Settings, call: Call) -> None:
    """The conversation's audio: its one voice note as it came, or its notes joined (a second apart), to be
    transcribed again from the start."""
    from transcribe.audio import TARGET_RATE_HZ, decode_file, write_wav

    notes = [m.audio_path for m in conversation_messages(session, call) if m.kind == MessageKind.AUDIO.value and m.audio_path]
    if len(notes) == 1:
        relative, digest = notes[0], hashlib.sha256((settings.audio_dir / notes[0]).read_bytes()).hexdigest()
    else:
        gap = np.zeros(TARGET_RATE_HZ, dtype=np.int16)
        parts: list[np.ndarray] = []
        for note in notes:
            parts += [decode_file(settings.audio_dir / note, max_s=settings.max_audio_s), gap]
        with tempfile.TemporaryDirectory() as tmp:
            data = write_wav(Path(tmp) / "joined.wav", np.concatenate(parts[:-1])).read_bytes()
        relative, digest = store_audio(settings, data, ".wav")
    call.audio_path, call.audio_sha256 = relative, digest
    call.duration_s = None
    call.transcripts.clear()
    call.status, call.error, call.attempts = CallStatus.RECEIVED.value, None, 0


# -- the draft -----------------------------------------------------------------------------------

def conversation_parts(session: Session, call: Call) -> list[tuple[str, str]]:
    """What the sender said and wrote, as (key, text): the voice notes' transcript first (as corrected by an
    operator), then the texts and captions in order. A part's key is the same before and after an operator's
    correction of the transcript, so a draft knows which parts it already holds."""
    from transcribe.pipeline import has_speech

    parts = []
    transcript = call.transcript
    if transcript is not None and has_speech(transcript):
        parts.append((_part_key(transcript.text.strip()), (transcript.edited_text or transcript.text).strip()))
    parts += [(_part_key(m.body.strip()), m.body.strip()) for m in conversation_messages(session, call)
              if m.kind in (MessageKind.TEXT.value, MessageKind.FILE.value) and m.body.strip()]
    return [(key, text) for key, text in parts if text]


def conversation_text(session: Session, call: Call) -> str:
    return "\n".join(text for _, text in conversation_parts(session, call))


def _part_key(part: str) -> str:
    return hashlib.sha256(part.encode()).hexdigest()[:12]


def draft_conversation(session: Session, settings: Settings, call: Call) -> Complaint | None:
    """Make or update the conversation's draft from everything it holds so far. A draft an operator already
    edited keeps their fields; its description gains only what was said or written since it was last drafted."""
    from transcribe.drafting_job import build_draft, take_redraft

    parts = conversation_parts(session, call)
    text = "\n".join(part for _, part in parts)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    if not text or (call.draft is not None and (call.meta or {}).get("drafted_from") == digest):
        return call.draft  # nothing new since the last drafting
    voice_only = call.transcript is not None and text == (call.transcript.edited_text or call.transcript.text).strip()
    source = call.transcript if voice_only else Transcript(text=text, edited_text=text, words=[], alternatives=[])
    existing = call.draft
    with session.no_autoflush:
        fresh = build_draft(session, settings, call, source)
        if existing is not None:  # only its fields are wanted: keep it out of the call's complaints
            fresh.call = None
            call.complaints.remove(fresh) if fresh in call.complaints else None
    if existing is None:
        fresh.title = fresh.title if fresh.title != "Panggilan tanpa ucapan" else "Pesan WhatsApp"
        lifecycle.open_draft(session, fresh, note=f"dari WhatsApp #{call.id}")
        for attachment in session.scalars(select(Attachment).where(Attachment.call_id == call.id)):
            attachment.complaint_id = fresh.id
        complaint = fresh
    else:
        if existing.status != Status.DRAFT:
            return existing
        if _edited_by_operator(session, existing):
            drafted = set((call.meta or {}).get("drafted_parts", []))
            new = [part for key, part in parts if key not in drafted]
            existing.description = "\n".join([existing.description, *new]) if existing.description else "\n".join(new)
            existing.anonymous = bool(existing.anonymous or fresh.anonymous)  # a later "jangan sebut nama saya" too
        else:
            take_redraft(existing, fresh)
        complaint = existing
    call.status, call.error = CallStatus.DRAFTED.value, None
    call.meta = dict(call.meta or {}, drafted_from=digest, drafted_parts=[key for key, _ in parts])
    return complaint


def _edited_by_operator(session: Session, complaint: Complaint) -> bool:
    return session.scalars(select(AuditEntry.id).where(
        AuditEntry.action == "complaint.edit", AuditEntry.object_type == "complaint", AuditEntry.object_id == complaint.id
    )).first() is not None


# -- notifications after the operator's steps ----------------------------------------------------

def sender_of(complaint: Complaint) -> str | None:
    """The WhatsApp number a complaint came from (its conversation's sender), or None for other channels."""
    if complaint.call is None or complaint.call.channel != Channel.WHATSAPP.value:
        return None
    return complaint.call.caller_number


def notify(session: Session, complaint: Complaint) -> list[int]:
    """Queue what the reporter should hear about the complaint's stage: the reference once it is confirmed,
    the rating question once it is closed (each once). Returns the new replies' ids; the caller commits."""
    to = sender_of(complaint)
    if to is None or not complaint.reference:
        return []
    reference = format_reference(complaint.reference)
    queued = [queue_reply(session, f"reference:{complaint.id}", to, REFERENCE.format(reference=reference), "reference",
                          complaint=complaint)]
    if complaint.status == Status.SELESAI and complaint.rating is None and is_reporter(to, complaint):
        queued.append(queue_reply(session, f"rating:{complaint.id}", to, RATING_QUESTION.format(reference=reference),
                                  "rating", complaint=complaint))
    return [reply.id for reply in queued if reply is not None]


def sweep(session: Session) -> list[int]:
    """Replies owed for WhatsApp complaints confirmed or closed by any path (console, auto-close, API)."""
    complaints = session.scalars(
        select(Complaint).join(Call, Complaint.call_id == Call.id)
        .where(Call.channel == Channel.WHATSAPP.value, Complaint.reference.is_not(None), Complaint.duplicate_of_id.is_(None))
        .where(~select(WhatsAppReply.id).where(WhatsAppReply.complaint_id == Complaint.id, WhatsAppReply.kind == "rating").exists())
    ).all()
    return [reply_id for complaint in complaints for reply_id in notify(session, complaint)]


# -- sending a reply (the job) -------------------------------------------------------------------

def send_once(settings: Settings, sessions: sessionmaker[Session], reply_id: int,
              provider_factory: Callable[[str], WhatsAppProvider] | None = None,
              now: Callable[[], datetime] = utcnow) -> float | None:
    """One try at sending a reply; returns the seconds to the next try, or None when done (sent or refused)."""
    backoff = Backoff(attempts=settings.whatsapp_reply_attempts, first_s=settings.whatsapp_reply_first_s, max_s=900.0)
    with sessions() as session:
        reply = session.get(WhatsAppReply, reply_id)
        if reply is None or reply.status != ReplyStatus.PENDING.value:
            return None
        schedule = Schedule.from_json(reply.schedule)
        how = delivery(session, settings, reply, now())
        if how.refused is not None:
            reply.status, reply.schedule = ReplyStatus.FAILED.value, schedule.failed(how.refused, None, now()).to_json()
            log.warning("WhatsApp reply %s to %s not sent: %s", reply_id, phone.mask(reply.to), how.refused)
            session.commit()
            return None
        reply.template = how.template
        reply.schedule = schedule.trying(now(), settings.twilio_fetch_stall_s).to_json()
        to, body = reply.to, reply.body
        session.commit()
    error: str | None = None
    retry_in_s: float | None = None
    provider_id = None
    try:
        factory = provider_factory or (lambda name: provider_for(settings, name))
        provider = factory(settings.whatsapp_provider or "")
        try:
            provider_id = provider.send_template(to, how.template, list(how.values)) if how.template else provider.send_text(to, body)
        finally:
            provider.close()
    except WhatsAppNotReady as exc:
        error, retry_in_s = str(exc), backoff.delay_after(schedule.attempts + 1)
    except WhatsAppError as exc:
        error = str(exc)
    with sessions() as session:
        reply = session.get(WhatsAppReply, reply_id)
        after = schedule.succeeded() if error is None else schedule.failed(error, retry_in_s, now())
        reply.schedule = after.to_json()
        if error is None:
            reply.status, reply.sent_at, reply.provider_id = ReplyStatus.SENT.value, now(), provider_id
        elif retry_in_s is not None:
            log.info("WhatsApp reply %s not sent (%s); try %d in %.0f s", reply_id, error, after.attempts + 1, retry_in_s)
        else:
            reply.status = ReplyStatus.FAILED.value
            log.warning("WhatsApp reply %s to %s refused after %d tries: %s", reply_id, phone.mask(to), after.attempts, error)
        session.commit()
    return retry_in_s


@dataclass(frozen=True)
class Delivery:
    """How a reply goes: as free text, as an approved template with its values, or not at all (`refused`)."""

    template: str | None = None
    values: tuple[str, ...] = ()
    refused: str | None = None


def delivery(session: Session, settings: Settings, reply: WhatsAppReply, now: datetime) -> Delivery:
    """Free text within 24 hours of the sender's last message (WhatsApp's service window). After that, the
    reference number and the rating question go as the templates the regency had approved; without one, not at
    all, since WhatsApp would refuse them (the reason is kept on the reply and shown to operators)."""
    setting = TEMPLATE_SETTINGS.get(reply.kind)
    if reply.template is None and (setting is None or in_service_window(session, reply.to, now)):
        return Delivery()
    template = reply.template or getattr(settings, str(setting))
    if not template:
        return Delivery(refused=f"pelapor terakhir mengirim pesan lebih dari 24 jam lalu: WhatsApp hanya mengantar "
                                f"template yang sudah disetujui, dan template ini belum diatur ({_variable(str(setting))})")
    # the reference number and the rating question are queued for a confirmed complaint (`notify`)
    reference = format_reference(session.get(Complaint, reply.complaint_id).reference)
    return Delivery(template, (reference,) * TEMPLATE_TEXTS[reply.kind].count("{{"))


def _variable(setting: str) -> str:
    """The environment variable an admin sets for a template ("admin: SUARA_WHATSAPP_TEMPLATE_RATING")."""
    return f"admin: SUARA_{setting.upper()}"


def delivery_report(session: Session, settings: Settings, report: DeliveryReport, now: datetime) -> int | None:
    """Apply a provider's delivery report to the reply it is about (the caller commits). Free text that WhatsApp
    refused because the sender's window had closed goes again as its kind's template: returns the reply's id to
    enqueue. Another failure marks the reply failed with the provider's code; reports of messages this regency
    did not send, and reports of success, change nothing."""
    if not report.failed:
        return None
    reply = session.scalars(select(WhatsAppReply).where(WhatsAppReply.provider_id == report.message_id)).first()
    if reply is None:
        return None
    setting = TEMPLATE_SETTINGS.get(reply.kind)
    template = getattr(settings, setting) if setting else None
    window_closed = report.error_code in WINDOW_CLOSED.get(report.provider, ())
    if window_closed and reply.template is None and template:
        reply.template, reply.provider_id, reply.status = template, None, ReplyStatus.PENDING.value
        reply.schedule = Schedule(next_at=now.isoformat()).to_json()
        log.info("WhatsApp reply %s: the window had closed; sent again as template %s", reply.id, template)
        return reply.id
    reason = f"tidak terkirim menurut {report.provider} (kode {report.error_code or report.status})"
    if window_closed:
        reason += ": di luar 24 jam sejak pesan terakhir pelapor"
        reason += f", dan template ini belum diatur ({_variable(setting)})" if setting and not template else ""
    reply.status = ReplyStatus.FAILED.value
    reply.schedule = Schedule.from_json(reply.schedule).failed(reason, None, now).to_json()
    log.warning("WhatsApp reply %s to %s %s", reply.id, phone.mask(reply.to), reason)
    return None


# -- recovery ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Overdue:
    messages: list[int]
    replies: list[int]


def overdue(settings: Settings, sessions: sessionmaker[Session], now: datetime) -> Overdue:
    """Downloads and replies whose next try is overdue (their job was lost with a worker), and replies owed."""
    grace_s = settings.twilio_fetch_stall_s
    with sessions() as session:
        messages = [m.id for m in session.scalars(select(WhatsAppMessage).where(
            WhatsAppMessage.status.in_([MessageStatus.RECEIVED.value, MessageStatus.FETCHING.value])))
            if Schedule.from_json(m.fetch).overdue(now, grace_s) and m.received_at + timedelta(seconds=grace_s) < now]
        owed = sweep(session)
        session.commit()
        replies = [r.id for r in session.scalars(select(WhatsAppReply).where(WhatsAppReply.status == ReplyStatus.PENDING.value))
                   if r.id in owed or Schedule.from_json(r.schedule).overdue(now, grace_s)]
    return Overdue(messages, replies)
