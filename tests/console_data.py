"""Test data for the console, API and browser tests: calls with audio and drafts, complaints in any status."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import lifecycle as lc
from models.base import utcnow
from models.config import Settings
from models.entities import Agency, Call, Complaint, Place, StatusChange, Topic, Transcript, User
from transcribe.audio import write_wav

WORDS = ["jalan", "di", "desa", "sukorejo", "rusak", "parah", "mohon", "segera", "diperbaiki", "terima", "kasih"]


def tone_wav(settings: Settings, name: str, seconds: float = 6.0) -> str:
    """A synthetic 16 kHz tone in the audio folder; returns the path relative to it."""
    t = np.arange(int(16000 * seconds)) / 16000
    write_wav(settings.audio_dir / name, (np.sin(2 * np.pi * 330 * t) * 6000).astype(np.int16))
    return name


def make_draft(session: Session, settings: Settings, *, title: str = "Jalan rusak di Sukorejo", urgent: bool = False,
               reporter: str = "Budi Santoso", phone: str = "081234567890", audio: bool = True,
               suggestions: dict | None = None, received_at: datetime | None = None) -> Complaint:
    """A call with audio and a word-timed transcript, and its draft complaint."""
    received_at = received_at or utcnow()
    n = session.scalar(select(Call.id).order_by(Call.id.desc()).limit(1)) or 0
    call = Call(channel="phone", external_id=f"test-{n + 1}", caller_number=phone, received_at=received_at,
                duration_s=6.0, status="drafted", audio_path=tone_wav(settings, f"call-{n + 1}.wav") if audio else None)
    words = [{"word": w, "start": round(0.5 * i, 2), "end": round(0.5 * i + 0.4, 2), "conf": 0.4 if w == "sukorejo" else 0.95}
             for i, w in enumerate(WORDS)]
    session.add(call)
    session.add(Transcript(call=call, engine="whisper", model="base", language="id", text=" ".join(WORDS), words=words, duration_s=6.0))
    draft = Complaint(status="draft", title=title, description=" ".join(WORDS), channel="phone", call=call,
                      reporter_name=reporter, reporter_phone=phone, urgent=urgent, received_at=received_at,
                      created_at=received_at, suggestions=suggestions or {})
    session.add(draft)
    session.flush()
    session.add(StatusChange(complaint=draft, from_status=None, to_status="draft"))
    session.flush()
    return draft


def agency(session: Session, key: str) -> Agency:
    return session.scalars(select(Agency).where(Agency.key == key)).one()


def user(session: Session, username: str) -> User:
    return session.scalars(select(User).where(User.username == username)).one()


def make_complaint(session: Session, settings: Settings, status: str = "terdisposisi", *, agency_key: str = "dpubmpr",
                   anonymous: bool = False, confidential: bool = False, title: str = "Jalan berlubang",
                   reporter: str = "Siti Aminah", phone: str = "085700011122", received_at: datetime | None = None,
                   by: str = "operator") -> Complaint:
    """A complaint taken through the real lifecycle up to `status` (verify, disposition, follow-up …)."""
    operator = user(session, by)
    c = make_draft(session, settings, title=title, reporter=reporter, phone=phone, audio=False, received_at=received_at)
    c.anonymous, c.confidential = anonymous, confidential
    topic = session.scalars(select(Topic).where(Topic.key == "jalan")).one()
    c.topic = topic
    c.place = session.scalars(select(Place).where(Place.kind == "desa").order_by(Place.id)).first()
    if status == "draft":
        return c
    now = received_at or utcnow()
    lc.confirm_draft(session, c, by=operator, settings=settings, now=now)
    path = {
        "belum_diverifikasi": [],
        "terverifikasi": ["verify"],
        "terdisposisi": ["verify", "disposition"],
        "ditindaklanjuti": ["verify", "disposition", "follow_up"],
        "selesai": ["verify", "disposition", "follow_up", "close"],
        "tunda": ["verify", "pause"],
        "bukan_wewenang": ["verify", "not_competent"],
        "arsip": ["archive"],
    }[status]
    for step in path:
        if step == "verify":
            lc.verify(session, c, by=operator, now=now)
        elif step == "disposition":
            lc.disposition(session, c, agency(session, agency_key), by=operator, settings=settings, now=now)
        elif step == "follow_up":
            lc.record_follow_up(session, c, "Sudah ditangani.", by=operator, settings=settings, now=now)
        elif step == "close":
            lc.close(session, c, by=operator, now=now)
        elif step == "pause":
            lc.pause(session, c, by=operator, note="menunggu data", now=now)
        elif step == "not_competent":
            lc.mark_not_competent(session, c, by=operator, note="bukan urusan daerah", now=now)
        elif step == "archive":
            lc.archive(session, c, by=operator, note="tidak jelas", now=now)
    if c.agency_id is None:
        c.agency = agency(session, agency_key)
    session.flush()
    return c


def past(days: int) -> datetime:
    return utcnow() - timedelta(days=days)
