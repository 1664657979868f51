"""Who may see what of a complaint: one rule per audience, applied by every page, API, feed, export and report.

| audience | complaints | identity (reporter fields, and inside every text) | voice |
|---|---|---|---|
| coordinator (admin, operator) | all; a confidential one's views are audited | yes | yes |
| liaison | complaints dispositioned to their agency | not for anonymous complaints | not for anonymous complaints |
| viewer (leadership) | confirmed, not confidential | never | never |
| public | published: confirmed, not confidential, not rejected | never | never |

"Identity" is what `models.identity` filters: the recorded reporter, self-introductions, a home said as the
reporter's own, phone numbers, NIK, e-mail. A liaison gets no recording of an anonymous complaint at all: a voice identifies a person, and
silencing only the spoken name would leave the voice (and what is said in it) to be recognised.

A liaison's complaints are those dispositioned (or re-routed) to their agency (`lifecycle.dispositioned_to`): the
OPD a draft or an unverified complaint names is the drafter's or operator's guess, not yet the agency's business.

Searching by phone, name or NIK is for coordinators; for everyone else an anonymous complaint is not found by
its reporter's fields, and no confidential complaint by its text.
"""

from __future__ import annotations

import enum
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, true

from models.entities import Complaint, Place, Role
from models.errors import SuaraError
from models.identity import filter_for
from models.lifecycle import Status, dispositioned_to, is_dispositioned_to

PUBLIC_MIN_COUNT = 3
"""Default for `Settings.public_min_count`: a published figure smaller than this is shown as "< 3"."""


class ComplaintNotFound(SuaraError):
    """A complaint that does not exist or that the audience may not see: both answer alike, so that an id's
    existence is not revealed."""

    code = "not_found"
    message_id = "Pengaduan tidak ditemukan."
    http_status = 404


class Kind(str, enum.Enum):
    COORDINATOR = "coordinator"
    LIAISON = "liaison"
    VIEWER = "viewer"
    PUBLIC = "public"


@dataclass(frozen=True)
class Audience:
    """Who is looking: a kind, and for a liaison their agency."""

    kind: Kind
    agency_id: int | None = None

    @classmethod
    def of(cls, user: Any) -> "Audience":
        """The audience of a user row or a logged-in user (anything with `role` and `agency_id`); None is the public."""
        role = getattr(user, "role", None) if user is not None and getattr(user, "is_authenticated", True) else None
        role = getattr(role, "value", role)
        if role in (Role.ADMIN.value, Role.OPERATOR.value):
            return cls(Kind.COORDINATOR)
        if role == Role.LIAISON.value:
            return cls(Kind.LIAISON, getattr(user, "agency_id", None))
        if role == Role.VIEWER.value:
            return cls(Kind.VIEWER)
        return PUBLIC

    @property
    def coordinator(self) -> bool:
        return self.kind is Kind.COORDINATOR

    def complaints(self) -> ColumnElement[bool]:
        """A WHERE clause for the complaints this audience may see at all."""
        confirmed = and_(Complaint.status.in_(sorted(Status.CONFIRMED)), Complaint.reference.is_not(None))
        if self.kind is Kind.COORDINATOR:
            return true()
        if self.kind is Kind.LIAISON:
            return and_(dispositioned_to(self.agency_id), confirmed) if self.agency_id else false()
        published = and_(confirmed, Complaint.confidential.is_(False))
        return published

    def scope(self, query: Select[Any]) -> Select[Any]:
        return query.where(self.complaints())

    def may_see(self, complaint: Complaint) -> bool:
        """The same rule as `complaints()`, for a loaded row."""
        confirmed = complaint.status in Status.CONFIRMED and complaint.reference is not None
        if self.kind is Kind.COORDINATOR:
            return True
        if self.kind is Kind.LIAISON:
            return is_dispositioned_to(complaint, self.agency_id) and confirmed
        published = confirmed and not complaint.confidential
        return published

    def not_found(self, complaint_id: int) -> ComplaintNotFound:
        """The refusal of a complaint this audience may not see (or that does not exist), in its words."""
        if self.kind is Kind.LIAISON:
            return ComplaintNotFound(f"complaint {complaint_id} not visible",
                                     "Pengaduan tidak ditemukan, atau belum didisposisikan ke OPD Anda.")
        return ComplaintNotFound(f"complaint {complaint_id} not visible")

    def sees_identity(self, complaint: Complaint) -> bool:
        """Whether the reporter's identity may be shown with this complaint (fields and inside texts)."""
        if self.kind is Kind.COORDINATOR:
            return True
        return self.kind is Kind.LIAISON and not complaint.anonymous

    def may_hear(self, complaint: Complaint | None) -> bool:
        """Whether the recording (and word timings of the transcript) may be served; None: a call with no complaint."""
        if self.kind is Kind.COORDINATOR:
            return True
        return complaint is not None and self.kind is Kind.LIAISON and self.may_see(complaint) and not complaint.anonymous

    def text(self, complaint: Complaint, text: str | None) -> str:
        """A text of (or about) the complaint as this audience may read it."""
        if self.sees_identity(complaint):
            return text or ""
        return filter_for(complaint).redact(text)

    @property
    def may_search_identity(self) -> bool:
        """Searching by phone, name or NIK: coordinators only."""
        return self.kind is Kind.COORDINATOR

    def text_search_scope(self) -> ColumnElement[bool]:
        """Complaints a free-text search may match: for all but coordinators never a confidential one."""
        return true() if self.kind is Kind.COORDINATOR else Complaint.confidential.is_(False)

    def text_matches(self, complaint: Complaint, words: Sequence[str]) -> bool:
        """Whether every searched word is in the text this audience reads (a search must not find a complaint by
        the reporter's name or number when they are hidden from the one searching)."""
        if self.sees_identity(complaint):
            return True
        visible = _fold(self.text(complaint, f"{complaint.title} {complaint.description}"))
        return all(_fold(word) in visible for word in words)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


PUBLIC = Audience(Kind.PUBLIC)


def kecamatan_of(complaint: Complaint) -> Place | None:
    """The kecamatan a complaint is in (its place, or its desa's kecamatan)."""
    place = complaint.place
    return (place.parent or place) if place is not None else None


def public_summary(complaint: Complaint, with_place: bool = True) -> str:
    """What a published complaint is about, with no free text: "Jalan dan jembatan di Kec. Kedungadem"."""
    summary = complaint.topic.name if complaint.topic is not None else "Pengaduan warga"
    kecamatan = kecamatan_of(complaint) if with_place else None
    return f"{summary} di Kec. {kecamatan.name}" if kecamatan is not None else summary


def public_count(value: int | None, minimum: int = PUBLIC_MIN_COUNT) -> str:
    """A published count: small non-zero cells as "< 3", so that no one reporter can be singled out."""
    if value is None:
        return "–"
    return f"< {minimum}" if 0 < value < minimum else str(value)


def public_share(share: float | None, base: int, minimum: int = PUBLIC_MIN_COUNT) -> float | None:
    """A published share, withheld (None) when it is computed over fewer than `minimum` complaints."""
    return None if share is None or base < minimum else share


def listable(query: Select[Any]) -> Select[Any]:
    """Published complaints a public list may show one by one: never an anonymous one (a reporter who asked not to
    be known is not singled out by topic, place and day either; its reference still finds it, as on /lacak)."""
    return PUBLIC.scope(query).where(Complaint.anonymous.is_(False))


@dataclass(frozen=True)
class Listed:
    """A complaint in a public list, and whether its kecamatan may be named with it."""

    complaint: Complaint
    with_place: bool


def public_listing(complaints: Sequence[Complaint], minimum: int = PUBLIC_MIN_COUNT) -> list[Listed]:
    """The complaints a public list shows one by one, with the small-count rule of the published figures.

    A listed complaint says its topic, agency and channel: where fewer than `minimum` of the list say the same, the
    complaint is left out (a count the figures show as "< 3" would single it out). It names its kecamatan only where
    at least `minimum` of the list say the same in the same kecamatan."""

    def subject(c: Complaint) -> tuple[Any, ...]:
        return c.topic_id, c.agency_id, c.channel

    def cell(c: Complaint) -> tuple[Any, ...]:
        kecamatan = kecamatan_of(c)
        return *subject(c), kecamatan.id if kecamatan is not None else None

    subjects = Counter(subject(c) for c in complaints)
    cells = Counter(cell(c) for c in complaints)
    return [Listed(c, cells[cell(c)] >= minimum and kecamatan_of(c) is not None)
            for c in complaints if subjects[subject(c)] >= minimum]
