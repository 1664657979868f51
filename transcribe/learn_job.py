"""`suara learn` and its nightly job: the router and the gazetteer learn from the regency's confirmed complaints."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.entities import Complaint, StatusChange
from models.identity import filter_for, strip_placeholders
from models.status import Status
from transcribe.drafting import learning
from transcribe.drafting.normalize import normalize

log = logging.getLogger(__name__)


def confirmed_examples(session: Session) -> list[learning.Example]:
    """Every confirmed complaint with a topic, as a learning example (its transcript when it came by voice)."""
    confirmed_at = dict(session.execute(
        select(StatusChange.complaint_id, StatusChange.at).where(StatusChange.from_status == Status.DRAFT)
    ).all())
    complaints = session.scalars(
        select(Complaint).where(Complaint.reference.is_not(None), Complaint.topic_id.is_not(None),
                                Complaint.duplicate_of_id.is_(None))
        .options(selectinload(Complaint.topic), selectinload(Complaint.agency), selectinload(Complaint.call))
    ).all()
    out = []
    for c in complaints:
        t = c.call.transcript if c.call is not None else None
        # Router versions are kept in the data directory and its backups: no caller's name or number goes in.
        identity = filter_for(c)

        def clean(text: str) -> str:
            return strip_placeholders(identity.redact(text))

        heard = clean(t.text) if t is not None else ""
        corrected = clean(t.edited_text or t.text) if t is not None else clean(f"{c.title}. {c.description}")
        if not (heard.strip() or corrected.strip()):
            continue
        out.append(learning.Example(str(c.id), confirmed_at.get(c.id, c.created_at), heard,
                                    tuple(clean(a) for a in t.alternatives or ()) if t is not None else (), corrected,
                                    c.topic.key, c.agency.key if c.agency is not None else None))
    return out


def place_corrections(session: Session) -> list[tuple[str, str, str]]:
    """(heard transcript, confirmed place name, its code) of voice complaints whose confirmed place the drafter
    did not find in what was heard."""
    from transcribe.drafting.gazetteer import Gazetteer

    gazetteer = Gazetteer.load()
    complaints = session.scalars(
        select(Complaint).where(Complaint.reference.is_not(None), Complaint.place_id.is_not(None),
                                Complaint.call_id.is_not(None))
        .options(selectinload(Complaint.place), selectinload(Complaint.call))
    ).all()
    out = []
    for c in complaints:
        t = c.call.transcript
        if t is None or not t.text.strip():
            continue
        found = gazetteer.locate(normalize(t.text).text)
        if c.place.code not in (found.desa_code, found.kecamatan_code):
            out.append((t.text, c.place.name, c.place.code))
    return out


@dataclass
class LearnResult:
    outcome: learning.Outcome | None
    complaints: int
    aliases: dict[str, str]


def run_learn(session: Session, data_dir: Path, min_complaints: int = 10) -> LearnResult:
    """Retrain on the confirmed complaints (when there are at least `min_complaints`) and learn misheard place names."""
    examples = confirmed_examples(session)
    aliases = learning.learn_aliases(data_dir, place_corrections(session))
    outcome = None
    if len(examples) >= min_complaints:
        outcome = learning.learn(learning.ModelStore(data_dir), examples)
    else:
        log.info("router not retrained: %d confirmed complaints, fewer than %d", len(examples), min_complaints)
    return LearnResult(outcome, len(examples), aliases)
