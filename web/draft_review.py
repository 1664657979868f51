"""The review form of a draft: what the page shows (transcript words, suggestions, limits) and how a submitted
form is checked and copied into the draft."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import g
from sqlalchemy import select

from models import lifecycle as lc
from models.base import utcnow
from models.entities import Agency, Complaint, Place, Topic, Transcript
from models.errors import SuaraError
from models.routing import default_agency_id
from transcribe.drafting.suggestions import DraftSuggestions
from web.access import reporter_of, scoped_complaints
from web.places import PlaceDirectory, PlaceEntry, PlaceOption, directory
from web.review_page import FormValues, duplicate_rows, place_chips, topic_chips
from web.state import db, state

LOW_CONFIDENCE = 0.6
"""Words recognised with less confidence than this are marked for the operator."""
CLASSIFICATIONS = {"pengaduan": "Pengaduan", "aspirasi": "Aspirasi", "permintaan_informasi": "Permintaan informasi"}


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def reference_lists() -> dict[str, Any]:
    return dict(
        topics=db().scalars(select(Topic).order_by(Topic.name)).all(),
        agencies=db().scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)).all(),
    )


def marked_words(transcript: Transcript | None) -> list[dict[str, Any]]:
    """The recognised words with their times, those recognised with little confidence marked for the operator."""
    words: list[dict[str, Any]] = []
    for w in (transcript.words or []) if transcript is not None else []:
        if not isinstance(w, dict):
            continue
        start = _number(w.get("start"))
        conf = _number(w.get("conf"))
        words.append(dict(word=str(w.get("word", "")).strip(), start=start if start is not None else 0.0,
                          end=_number(w.get("end")) or start or 0.0, conf=conf,
                          low=conf is not None and conf < LOW_CONFIDENCE))
    return words


def review_context(complaint: Complaint, form: Any = None, error: str | None = None) -> dict[str, Any]:
    """What the review page shows; `form` (a refused submit) is shown instead of the stored values."""
    transcript = None
    if complaint.call_id is not None:
        transcript = db().scalars(select(Transcript).where(Transcript.call_id == complaint.call_id).order_by(Transcript.id.desc())).first()
    lists = reference_lists()
    suggestions = DraftSuggestions.from_json(complaint.suggestions)
    places = directory()
    values = FormValues(form)
    return dict(
        complaint=complaint,
        call=complaint.call,
        transcript=transcript,
        words=marked_words(transcript),
        topic_suggestions=topic_chips(suggestions, {t.key: t for t in lists["topics"]}),
        place_suggestions=place_chips(suggestions, places),
        place_tie=suggestions.place_tie,
        confidences=suggestions.confidences,
        privacy_request=suggestions.privacy_request,
        duplicates=duplicate_rows(db(), suggestions, complaint, scoped_complaints()),
        chosen_place=chosen_place(places, complaint, form),
        chosen_agency_id=chosen_agency_id(complaint, values),
        topic_agency=topic_agency(lists["topics"], values.id("topic_id", complaint.topic_id)),
        values=values,
        error=error,
        verify_due=verification_due(complaint),
        reporter=reporter_of(complaint),
        now=utcnow(),
        **lists,
    )


def chosen_place(places: PlaceDirectory, complaint: Complaint, form: Any) -> PlaceOption | None:
    return PlaceEntry.from_form(form, places).picked(places) if form is not None else places.by_id.get(complaint.place_id or 0)


def chosen_agency_id(complaint: Complaint, values: FormValues) -> int | None:
    """The OPD the operator chose, or None while it follows the topic ("Sesuai topik"). A stored agency that is its
    topic's own (the drafter's, or the operator's same pick) follows the topic: confirmed under another topic, the
    complaint goes to that topic's agency, with JavaScript or without."""
    if values.form is not None:
        return values.id("agency_id", None)
    if complaint.agency_id == default_agency_id(db(), complaint.topic_id):
        return None
    return complaint.agency_id


def topic_agency(topics: list[Topic], topic_id: int | None) -> Agency | None:
    """The agency the shown topic goes to, named beside "Sesuai topik"."""
    return next((t.agency for t in topics if t.id == topic_id), None)


def verification_due(complaint: Complaint) -> datetime | None:
    """When a draft must be verified: the time limit runs from receipt, before anyone confirms it."""
    if complaint.status != lc.Status.DRAFT:
        return complaint.due_at
    return draft_due(complaint.received_at)


def draft_due(received_at: datetime) -> datetime:
    """The verification limit of a draft received then."""
    calendar = _calendar()
    # the limit depends only on the local day of receipt: computed once per day for a page of drafts
    day = calendar.local_date(received_at)
    known = g.setdefault("suara_verify_due", {})
    if day not in known:
        known[day] = lc.verification_due(received_at, calendar, state().settings)
    return known[day]


def _calendar() -> Any:
    from models.calendar import WorkingCalendar

    cache = g.setdefault("suara_calendar", None)
    if cache is None:
        cache = g.suara_calendar = WorkingCalendar.load(db())
    return cache


class InvalidInput(SuaraError):
    code = "invalid_input"
    message_id = "Isian tidak valid."
    http_status = 422

    def __init__(self, detail: str = "", message_id: str | None = None, field: str | None = None) -> None:
        super().__init__(detail, message_id)
        self.field = field
        """The form field to mark, when one is at fault."""


def optional_id(model: type, raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        ident = int(raw)
    except ValueError:
        raise InvalidInput(f"bad id {raw!r}") from None
    if db().get(model, ident) is None:
        raise InvalidInput(f"unknown {model.__name__} {ident}")
    return ident


def apply_draft_fields(complaint: Complaint, form: Any) -> dict[str, tuple[Any, Any]]:
    """Copy the review form into the draft; returns {field: (old, new)} for the audit trail."""
    changes: dict[str, tuple[Any, Any]] = {}

    def put(field: str, value: Any) -> None:
        old = getattr(complaint, field)
        if old != value:
            changes[field] = (old, value)
            setattr(complaint, field, value)

    title = (form.get("title") or "").strip()
    if not title:
        raise InvalidInput("title required", "Judul pengaduan wajib diisi.", "title")
    put("title", title[:200])
    put("description", (form.get("description") or "").strip())
    classification = form.get("classification") or "pengaduan"
    if classification not in CLASSIFICATIONS:
        raise InvalidInput("bad classification")
    put("classification", classification)
    put("topic_id", optional_id(Topic, form.get("topic_id")))
    put("agency_id", optional_id(Agency, form.get("agency_id")))
    if complaint.agency_id is None:
        put("agency_id", default_agency_id(db(), complaint.topic_id))
    put("place_id", optional_id(Place, str(PlaceEntry.from_form(form, directory()).place_id or "")))
    put("location_detail", (form.get("location_detail") or "").strip()[:300] or None)
    put("reporter_name", (form.get("reporter_name") or "").strip()[:200] or None)
    phone = (form.get("reporter_phone") or "").strip()
    if phone and not re.fullmatch(r"\+?[0-9 ()-]{6,20}", phone):
        raise InvalidInput("bad phone", "Nomor telepon pelapor tidak valid: tulis angka saja, mis. 081234567890.", "reporter_phone")
    put("reporter_phone", phone or None)
    for flag in ("anonymous", "confidential", "urgent"):
        put(flag, form.get(flag) in ("1", "on", "true", "y"))
    return changes


def save_transcript(complaint: Complaint, text: str | None) -> bool:
    if text is None or complaint.call_id is None:
        return False
    transcript = db().scalars(select(Transcript).where(Transcript.call_id == complaint.call_id).order_by(Transcript.id.desc())).first()
    if transcript is None:
        return False
    text = text.replace("\r\n", "\n").strip()
    new = None if text == transcript.text.strip() else text
    if new == transcript.edited_text:
        return False
    transcript.edited_text = new
    return True
