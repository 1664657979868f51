"""The steps after audio is stored: transcribe a call, then draft a complaint from its transcript.

Each step is a plain function over a Session; it is idempotent, so a retried or duplicated job
does no harm. The caller commits.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.config import Settings
from models.entities import Call, CallStatus, Complaint, Transcript
from models.lifecycle import open_draft
from models.status import Status
from transcribe.errors import AudioError
from transcribe.silence import Loudness
from transcribe.types import Engine

log = logging.getLogger(__name__)


def call_audio_path(settings: Settings, call: Call) -> Path:
    """Absolute path of a call's stored audio."""
    if not call.audio_path:
        raise AudioError(f"call {call.id} has no stored audio", "Panggilan ini tidak memiliki rekaman.")
    return settings.audio_dir / call.audio_path


SILENT_NOTE = "Rekaman hanya berisi keheningan; tidak ditranskripsi."


def mark_silent(call: Call, loudness: Loudness) -> None:
    """Keep a silent call as it is, marked, with no transcript and no draft."""
    call.status = CallStatus.SILENT.value
    call.error = SILENT_NOTE
    call.duration_s = call.duration_s or loudness.duration_s
    log.info("call %s is silent (%.1f s of sound in %.0f s): not transcribed", call.id, loudness.active_s, loudness.duration_s)


def transcribe_call(session: Session, settings: Settings, call: Call, engine: Engine, *,
                    again: bool = False) -> Transcript | None:
    """Recognise the call's stored audio with `engine` and keep the transcript; a call already transcribed is
    left as it is unless `again` (better audio arrived).

    Silent audio is marked instead (None); leading and trailing silence is not given to the recognizer.
    """
    if call.transcript is not None and not again:
        return call.transcript
    if call.status == CallStatus.SILENT.value and not again:
        return None
    from transcribe.audio import decode_file
    from transcribe.silence import measure, trim

    samples = decode_file(call_audio_path(settings, call), max_s=settings.max_audio_s)
    loudness = measure(samples)
    if loudness.silent:
        mark_silent(call, loudness)
        return None
    sound, offset_s = trim(samples, loudness)
    result = engine.transcribe(sound)
    transcript = Transcript(
        call=call,
        engine=result.engine,
        model=result.model,
        language=result.language,
        text=result.text,
        words=[dict(w.to_dict(), start=round(w.start + offset_s, 3), end=round(w.end + offset_s, 3)) for w in result.words],
        alternatives=result.alternatives,
        duration_s=loudness.duration_s,
        processing_s=result.processing_s,
    )
    session.add(transcript)
    call.duration_s = call.duration_s or loudness.duration_s
    call.status = CallStatus.TRANSCRIBED.value
    call.error = None
    log.info("call %s transcribed by %s in %.1fs", call.id, result.engine, result.processing_s)
    return transcript


def has_speech(transcript: Transcript) -> bool:
    """Whether anything was said besides greetings and fillers: a tone, silence or noise gives no words, or
    only what Whisper makes up for them ("Terima kasih.")."""
    from transcribe.drafting.description import GREETING_RE
    from transcribe.drafting.normalize import FILLERS

    said = GREETING_RE.sub(" ", transcript.edited_text or transcript.text or "")
    return any(w not in FILLERS for w in re.findall(r"\w+", said.lower()))


def draft_call(session: Session, settings: Settings, call: Call) -> Complaint | None:
    """Make the call's draft complaint from its transcript; a call that has a draft keeps it.

    A call in which nothing was said is marked `no_speech` and gets no draft (nothing to confirm or reject).
    """
    existing = session.scalars(select(Complaint).where(Complaint.call_id == call.id)).first()
    if existing is not None:
        return existing
    transcript = call.transcript
    if transcript is None:
        raise AudioError(f"call {call.id} has no transcript yet", "Panggilan ini belum ditranskripsi.")
    if not has_speech(transcript):
        call.status = CallStatus.NO_SPEECH.value
        call.error = None
        log.info("call %s: no speech, not drafted", call.id)
        return None
    from transcribe.drafting_job import build_draft

    complaint = build_draft(session, settings, call, transcript)
    open_draft(session, complaint, note=f"dari panggilan #{call.id}")
    call.status = CallStatus.DRAFTED.value
    call.error = None
    return complaint


def redraft_call(session: Session, settings: Settings, call: Call) -> Complaint | None:
    """After better audio replaced what a draft was made from: a draft nobody has confirmed yet takes the
    new transcript's fields; a confirmed complaint is left as the operator made it."""
    existing = session.scalars(select(Complaint).where(Complaint.call_id == call.id)).first()
    if existing is None:
        return draft_call(session, settings, call)
    if existing.status == Status.DRAFT and call.transcript is not None:
        from transcribe.drafting_job import build_draft, take_redraft

        with session.no_autoflush:
            fresh = build_draft(session, settings, call, call.transcript)
            take_redraft(existing, fresh)
            call.complaints.remove(fresh)
            if fresh in session:
                session.expunge(fresh)
    call.status = CallStatus.DRAFTED.value
    call.error = None
    return existing
