"""Turn a call's transcript into a draft Complaint record."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from models.config import Settings
from models.entities import Call, Complaint, Transcript


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def build_draft(session: Session, settings: Settings, call: Call, transcript: Transcript) -> Complaint:
    """A draft with a title and description taken from the transcript."""
    text = (transcript.edited_text or transcript.text).strip()
    first = _sentences(text)[0] if text else ""
    title = first if len(first) <= 80 else first[:77].rsplit(" ", 1)[0] + "…"
    return Complaint(
        status="draft",
        title=title or "Panggilan tanpa ucapan",
        description=text,
        channel=call.channel,
        call=call,
        reporter_phone=call.caller_number,
        received_at=call.received_at,
    )
