"""Where a complaint goes when the operator names no agency (OPD): the one responsible for its topic."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.entities import Topic


def default_agency_id(session: Session, topic_id: int | None) -> int | None:
    """The agency that handles this topic, if the topic names one."""
    topic = session.get(Topic, topic_id) if topic_id is not None else None
    return topic.agency_id if topic is not None else None
