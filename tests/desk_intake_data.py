"""Test data for typed complaints: attachments with identity inside, desk intakes, Sambang Desa sessions."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.attachments import Attachment, IncomingFile, check_files, store_attachments
from models.config import Settings
from models.desk import DeskIntake, SambangSession
from models.entities import Complaint, Place

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e5273cbc0000000049454e44ae426082"
)
"""A valid 1×1 PNG."""


def letter_pdf(text: str) -> bytes:
    """A scanned letter as far as sniffing is concerned: a PDF header, then the letter's words in plain bytes."""
    return b"%PDF-1.4\n% " + text.encode() + b"\n%%EOF\n"


def attach(session: Session, settings: Settings, complaint: Complaint, data: bytes, filename: str) -> Attachment:
    (row,) = store_attachments(session, settings, complaint, check_files([IncomingFile(filename, data)]), None)
    return row


def typed_intake(session: Session, complaint: Complaint, text: str, source_ref: str | None = None,
                 sambang: SambangSession | None = None) -> DeskIntake:
    intake = DeskIntake(complaint=complaint, text=text, source_ref=source_ref, sambang_session=sambang)
    session.add(intake)
    session.flush()
    return intake


def sambang_session(session: Session, desa: str = "Kalitidu", held_on: date | None = None) -> SambangSession:
    place = session.scalars(select(Place).where(Place.name == desa, Place.kind == "desa")).first()
    row = SambangSession(held_on=held_on or date(2026, 12, 1), place=place, officials="Bupati Bojonegoro\nCamat Kalitidu")
    session.add(row)
    session.flush()
    return row
