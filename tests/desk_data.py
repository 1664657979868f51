"""Drafts made by the real drafter (transcript → `pipeline.draft_call`), for the review desk tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.config import Settings
from models.entities import Call, Complaint, Transcript
from tests.console_data import tone_wav
from transcribe.pipeline import draft_call

PEJOK_TIE = "Selamat pagi, jalan di desa Pejok rusak parah berlubang, mohon segera diperbaiki."
"""Two desa are called Pejok (Kedungadem and Kepohbaru): the drafter must offer both."""
NGUMPAK = "Jalan di desa Ngumpakdalem kecamatan Dander rusak parah dan berlubang, mohon diperbaiki."
NGUMPAK_AGAIN = "Saya mau melapor jalan rusak berlubang di desa Ngumpakdalem Dander, tolong segera diperbaiki."


def drafted(session: Session, settings: Settings, text: str, *, caller: str | None = "081234567890",
            received_at: datetime | None = None) -> Complaint:
    """A phone call with audio and this transcript, drafted by the real drafting job."""
    received_at = received_at or utcnow()
    n = (session.scalar(select(Call.id).order_by(Call.id.desc()).limit(1)) or 0) + 1
    call = Call(channel="phone", external_id=f"desk-{n}", caller_number=caller, received_at=received_at,
                duration_s=6.0, status="transcribed", audio_path=tone_wav(settings, f"desk-{n}.wav"))
    words = [{"word": w, "start": round(0.4 * i, 2), "end": round(0.4 * i + 0.3, 2), "conf": 0.9}
             for i, w in enumerate(text.split())]
    session.add(call)
    session.add(Transcript(call=call, engine="whisper", model="base", language="id", text=text, words=words, duration_s=6.0))
    session.flush()
    complaint = draft_call(session, settings, call)
    assert complaint is not None
    complaint.created_at = received_at
    session.flush()
    return complaint
