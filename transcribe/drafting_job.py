"""Turn a call's transcript into a draft Complaint record, with the drafter's suggestions and duplicates."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from models.config import Settings
from models.entities import Agency, Call, Complaint, Place, Topic, Transcript
from models.lifecycle import Status
from transcribe.drafting import Draft, Drafter, DuplicateCandidate, find_duplicates, learning
from transcribe.drafting.gazetteer import Gazetteer
from transcribe.drafting.duplicates import SAME_SHOW_THRESHOLD, text_similarity
from transcribe.drafting.suggestions import DuplicateSuggestion

DUPLICATE_WINDOW_DAYS = 30

_drafter: Drafter | None = None
_drafter_key: tuple[str, float, float] | None = None
_drafter_lock = threading.Lock()


def shared_drafter(data_dir: Path | None = None) -> Drafter:
    """One drafter per process: its router and gazetteer are loaded once, on first use. With the data directory,
    the router is the one active there (`suara learn`, or the admin's switch) and the gazetteer knows the
    regency's learned misheard place names; both are reloaded when another router version becomes active or
    new misheard names are learned."""
    global _drafter, _drafter_key
    key = (str(data_dir), learning.ModelStore(data_dir).stamp(), learning.aliases_stamp(data_dir)) if data_dir is not None else None
    with _drafter_lock:
        if _drafter is None or key != _drafter_key:
            if data_dir is None:
                _drafter = Drafter()
            else:
                _drafter = Drafter(router=learning.active_router(data_dir),
                                   gazetteer=Gazetteer.load().with_aliases(learning.load_aliases(data_dir)))
            _drafter_key = key
        return _drafter


def build_draft(session: Session, settings: Settings, call: Call, transcript: Transcript) -> Complaint:
    """A draft complaint with every field the drafter found; its suggestions keep what needs a look.

    A show's caller whose name the operator typed ("Pak Bambang, Kalitidu") is the reporter, and the desa typed
    is the place when the caller names none.
    """
    from models.desk import default_place_for_call, peers_of_call
    from models.radio import typed_caller

    text = (transcript.edited_text or transcript.text).strip()
    # the operator's edit is what was said: the recognizer's words and other readings no longer apply
    words = None if transcript.edited_text else transcript.words
    alternatives = [] if transcript.edited_text else (transcript.alternatives or [])
    typed = shared_drafter(settings.data_dir).typed_reporter(typed_caller(call))
    typed_place = session.scalars(select(Place).where(Place.code == typed.place_code)).first() if typed.place_code else None
    complaint = draft_complaint(session, text, channel=call.channel, received_at=call.received_at,
                                caller_number=call.caller_number, words=words, alternatives=alternatives,
                                exclude_call_id=call.id, peers=peers_of_call(session, call), reporter_name=typed.name,
                                default_place=typed_place or default_place_for_call(session, call),
                                data_dir=settings.data_dir)
    complaint.call = call
    return complaint


def draft_complaint(session: Session, text: str, *, channel: str, received_at: datetime, caller_number: str | None = None,
                    words: list | None = None, alternatives: list[str] | None = None, exclude_call_id: int | None = None,
                    peers: Sequence[Complaint] = (), default_place: Place | None = None,
                    reporter_name: str | None = None, data_dir: Path | None = None, private: bool = False) -> Complaint:
    """A draft complaint drafted from `text` (a transcript, or what an operator typed at the desk), not yet added.

    `peers` are the other complaints of the same gathering (a radio show, a Sambang Desa session): those saying the
    same thing are suggested as duplicates. `default_place` fills the place when the text names none.
    `reporter_name`, typed by an operator, is certain, whatever the drafter finds in the text. With the
    data directory, the regency's active router and learned place names draft it (`shared_drafter`). `private`:
    the complaint is already known to be anonymous or confidential (the desk form says so). A reporter who asks not
    to be named gets a draft marked anonymous, for the operator to confirm.
    """
    draft = shared_drafter(data_dir).draft(text, caller_number=caller_number, words=words, received_at=received_at,
                                   alternatives=alternatives or [])
    topic = session.scalars(select(Topic).where(Topic.key == draft.topic)).first()
    agency = session.scalars(select(Agency).where(Agency.key == draft.agency)).first()
    place = _place(session, draft) or default_place
    duplicates = {d.id: d for d in duplicate_candidates(session, draft, received_at, exclude_call_id)}
    for same in gathering_duplicates(draft, peers):
        if same.score > getattr(duplicates.get(same.id), "score", 0.0):
            duplicates[same.id] = same
    suggestions = draft.suggestions(sorted(duplicates.values(), key=lambda d: -d.score))
    if reporter_name:
        suggestions = replace(suggestions, confidences={**suggestions.confidences, "reporter_name": 1.0})
    anonymous = draft.privacy_request is not None
    return Complaint(
        status=Status.DRAFT,
        classification=draft.classification,
        title=draft.title or "Panggilan tanpa ucapan",
        description=draft.description or text,
        topic=topic,
        agency=agency,
        place=place,
        location_detail=draft.location_detail(private=private or anonymous),
        reporter_name=reporter_name or draft.reporter_name,
        reporter_phone=(draft.phones[0] if draft.phones else None) or caller_number,
        anonymous=anonymous,
        urgent=draft.urgent,
        channel=channel,
        received_at=received_at,
        suggestions=suggestions.to_json(),
    )


REDRAFTED_FIELDS = ("classification", "title", "description", "topic", "agency", "place", "location_detail",
                    "reporter_name", "reporter_phone", "urgent", "suggestions")


def take_redraft(draft: Complaint, fresh: Complaint) -> None:
    """A draft no one has edited takes the fields of a fresh drafting of more or better text; a request not to be
    named, once heard, stays heard (the fresh text may be a later part without it)."""
    for name in REDRAFTED_FIELDS:
        setattr(draft, name, getattr(fresh, name))
    draft.anonymous = bool(draft.anonymous or fresh.anonymous)


def _place(session: Session, draft: Draft) -> Place | None:
    code = draft.desa_code or draft.kecamatan_code
    return session.scalars(select(Place).where(Place.code == code)).first() if code else None


def duplicate_candidates(session: Session, draft: Draft, received_at: datetime,
                         exclude_call_id: int | None = None) -> list[DuplicateSuggestion]:
    """Open complaints of the last 30 days on the same topic or place that look like the same problem."""
    since = received_at - timedelta(days=DUPLICATE_WINDOW_DAYS)
    same = [Topic.key == draft.topic]
    for code in (draft.desa_code, draft.kecamatan_code):
        if code:
            same.append(Place.code == code)
    rows = session.scalars(
        select(Complaint)
        .outerjoin(Complaint.topic)
        .outerjoin(Complaint.place)
        .options(joinedload(Complaint.topic), joinedload(Complaint.place).joinedload(Place.parent))
        .where(Complaint.created_at >= since, Complaint.status.in_(sorted(Status.DUPLICATE_TARGETS)), or_(*same))
        .order_by(Complaint.created_at.desc())
        .limit(300)
    ).unique().all()
    by_id = {c.id: c for c in rows}
    candidates = [
        DuplicateCandidate(
            id=c.id,
            topic=c.topic.key if c.topic else None,
            text=f"{c.title}. {c.description}",
            desa_code=c.place.code if c.place and c.place.parent else None,
            kecamatan_code=(c.place.parent.code if c.place.parent else c.place.code) if c.place else None,
            created_at=c.created_at,
        )
        for c in rows
        if exclude_call_id is None or c.call_id != exclude_call_id
    ]
    found = find_duplicates(draft, candidates, now=received_at, window_days=DUPLICATE_WINDOW_DAYS)
    return [DuplicateSuggestion(cid, score, by_id[cid].reference, by_id[cid].title, by_id[cid].status) for cid, score in found]


def gathering_duplicates(draft: Draft, peers: Sequence[Complaint]) -> list[DuplicateSuggestion]:
    """The complaints of the same gathering (the other callers of a radio show, the other speakers of a Sambang
    Desa session) that say the same thing, best first."""
    scored = [(c, text_similarity(draft, {"text": f"{c.title}. {c.description}"})) for c in peers]
    return sorted([DuplicateSuggestion(c.id, score, c.reference, c.title, c.status)
                   for c, score in scored if score >= SAME_SHOW_THRESHOLD], key=lambda d: -d.score)
