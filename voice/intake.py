"""Store audio first, then record the call, then enqueue the pipeline: no call is lost if a later step fails."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.base import utcnow
from models.config import Settings
from models.entities import Call, CallStatus, Channel

log = logging.getLogger(__name__)

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".opus", ".oga", ".mp3", ".m4a", ".aac", ".amr", ".webm"}


@dataclass(frozen=True)
class IncomingAudio:
    """Audio that reached the system from any channel, with what is known about the call."""

    data: bytes
    channel: Channel
    external_id: str | None = None
    """CallSid, AudioSocket UUID, show/segment id; None for uploads (the content hash is used)."""
    caller_number: str | None = None
    filename: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_s: float | None = None
    meta: dict[str, Any] | None = None


def store_audio(settings: Settings, data: bytes, suffix: str) -> tuple[str, str]:
    """Write audio durably under the data directory, named by content; returns (relative path, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    now = utcnow()
    relative = Path(f"{now:%Y}/{now:%m}/{digest[:32]}{suffix}")
    write_once(settings.audio_dir / relative, data)
    return relative.as_posix(), digest


def write_once(target: Path, data: bytes) -> None:
    """Write a content-named file durably (fsynced, then renamed into place); an existing one is kept."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)


def _suffix(filename: str | None) -> str:
    suffix = Path(filename or "").suffix.lower()
    return suffix if suffix in AUDIO_SUFFIXES else ".bin"


def receive_call(session: Session, settings: Settings, audio: IncomingAudio) -> tuple[Call, bool]:
    """Store the audio and create its call; returns (call, created). The same external id twice makes one call."""
    relative, digest = store_audio(settings, audio.data, _suffix(audio.filename))
    external_id = audio.external_id or f"sha256:{digest}"
    existing = session.scalars(
        select(Call).where(Call.channel == audio.channel.value, Call.external_id == external_id)
    ).first()
    if existing is not None:
        if existing.audio_path is None:  # a call known before its recording arrived
            existing.audio_path, existing.audio_sha256 = relative, digest
            existing.status = CallStatus.RECEIVED.value
            existing.duration_s = existing.duration_s or audio.duration_s
            session.flush()
            return existing, True
        return existing, False
    call = Call(
        channel=audio.channel.value,
        external_id=external_id,
        caller_number=audio.caller_number,
        started_at=audio.started_at,
        ended_at=audio.ended_at,
        audio_path=relative,
        audio_sha256=digest,
        duration_s=audio.duration_s,
        status=CallStatus.RECEIVED.value,
        meta=dict(audio.meta or {}, filename=audio.filename) if audio.filename else dict(audio.meta or {}),
    )
    session.add(call)
    try:
        session.flush()
    except IntegrityError:  # a concurrent request stored the same call first
        session.rollback()
        raced = session.scalars(
            select(Call).where(Call.channel == audio.channel.value, Call.external_id == external_id)
        ).one()
        return raced, False
    log.info("stored %s call %s (%s bytes) as %s", audio.channel.value, call.id, len(audio.data), relative)
    return call, True


def accept_upload(session: Session, settings: Settings, audio: IncomingAudio) -> tuple[Call, bool]:
    """Check that an uploaded or imported file is audio of an acceptable length, then receive it.

    Raises AudioError (with an Indonesian message) for garbage, empty or over-long input. The file is
    measured block by block (no samples kept); a silent recording is stored but marked, not transcribed.
    """
    from transcribe.audio import measure_bytes
    from transcribe.pipeline import mark_silent

    loudness = measure_bytes(audio.data, max_s=settings.max_audio_s)
    call, created = receive_call(session, settings, _with_duration(audio, loudness.duration_s))
    if created and loudness.silent:
        mark_silent(call, loudness)
    return call, created


def _with_duration(audio: IncomingAudio, duration_s: float) -> IncomingAudio:
    from dataclasses import replace

    return replace(audio, duration_s=audio.duration_s or duration_s)
