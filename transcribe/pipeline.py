"""The steps after audio is stored: transcribe a call, then draft a complaint from its transcript.

Each step is a plain function over a Session; it is idempotent, so a retried or duplicated job
does no harm. The caller commits.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.config import Settings
from models.entities import Call, CallStatus, Complaint, StatusChange, Transcript
from transcribe.errors import AudioError

log = logging.getLogger(__name__)


def call_audio_path(settings: Settings, call: Call) -> Path:
    """Absolute path of a call's stored audio."""
    if not call.audio_path:
        raise AudioError(f"call {call.id} has no stored audio", "Panggilan ini tidak memiliki rekaman.")
    return settings.audio_dir / call.audio_path


def transcribe_call(session: Session, settings: Settings, call: Call, engine_name: str | None = None) -> Transcript:
    """Recognise the call's stored audio and keep the transcript; a call already transcribed is left as it is."""
    if call.transcript is not None and engine_name is None:
        return call.transcript
    from transcribe.audio import decode_file
    from transcribe.engines import load_engine

    samples = decode_file(call_audio_path(settings, call), max_s=settings.max_audio_s)
    engine = load_engine(settings, engine_name)
    result = engine.transcribe(samples)
    transcript = Transcript(
        call=call,
        engine=result.engine,
        model=result.model,
        language=result.language,
        text=result.text,
        words=[w.to_dict() for w in result.words],
        alternatives=result.alternatives,
        duration_s=result.duration_s,
        processing_s=result.processing_s,
    )
    session.add(transcript)
    call.duration_s = call.duration_s or result.duration_s
    call.status = CallStatus.TRANSCRIBED.value
    call.error = None
    log.info("call %s transcribed by %s in %.1fs", call.id, result.engine, result.processing_s)
    return transcript


def nobody_spoke(call: Call) -> bool:
    """A phone call whose transcript is empty: there is nothing to draft, the caller is told so."""
    transcript = call.transcript
    return call.channel == "phone" and transcript is not None and not (transcript.edited_text or transcript.text).strip()


def draft_call(session: Session, settings: Settings, call: Call) -> Complaint:
    """Make the call's draft complaint from its transcript; a call that has a draft keeps it."""
    existing = session.scalars(select(Complaint).where(Complaint.call_id == call.id)).first()
    if existing is not None:
        return existing
    transcript = call.transcript
    if transcript is None:
        raise AudioError(f"call {call.id} has no transcript yet", "Panggilan ini belum ditranskripsi.")
    from transcribe.drafting_job import build_draft

    complaint = build_draft(session, settings, call, transcript)
    session.add(complaint)
    session.flush()
    session.add(StatusChange(complaint=complaint, from_status=None, to_status="draft", note=f"dari panggilan #{call.id}"))
    call.status = CallStatus.DRAFTED.value
    call.error = None
    return complaint


REDRAFTED_FIELDS = ("classification", "title", "description", "topic", "agency", "place", "location_detail",
                    "reporter_name", "reporter_phone", "urgent", "suggestions")


def redraft_call(session: Session, settings: Settings, call: Call) -> Complaint:
    """After better audio replaced what a draft was made from: a draft nobody has confirmed yet takes the
    new transcript's fields; a confirmed complaint is left as the operator made it."""
    existing = session.scalars(select(Complaint).where(Complaint.call_id == call.id)).first()
    if existing is None:
        return draft_call(session, settings, call)
    if existing.status == "draft" and call.transcript is not None:
        from transcribe.drafting_job import build_draft

        with session.no_autoflush:
            fresh = build_draft(session, settings, call, call.transcript)
            for name in REDRAFTED_FIELDS:
                setattr(existing, name, getattr(fresh, name))
            call.complaints.remove(fresh)
            if fresh in session:
                session.expunge(fresh)
    call.status = CallStatus.DRAFTED.value
    call.error = None
    return existing
