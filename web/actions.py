"""The lifecycle actions offered as POST forms on the complaint page: who may run each and how it calls the
domain (models.lifecycle)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy.orm import Session

from models import lifecycle as lc
from models.entities import Agency, Complaint, Role, User
from models.errors import SuaraError
from web.access import COORDINATORS
from web.draft_review import InvalidInput, optional_id
from web.state import db, state


@dataclass(frozen=True)
class Action:
    """A lifecycle action offered as a POST form: who may do it and how to call the domain."""

    operation: str
    """The lifecycle operation (models.lifecycle.OPERATIONS) it runs."""
    label: str
    roles: tuple[Role, ...]
    run: Callable[[Session, Complaint, User, Any], Any]


class ActionNotAllowed(SuaraError):
    """The user may see the complaint but not run this action on it (an operator's action asked by a liaison)."""

    code = "action_not_allowed"
    http_status = 403

    def __init__(self, action: Action) -> None:
        super().__init__(f"{action.operation} not allowed", f'Tindakan "{action.label}" tidak tersedia untuk peran Anda.')


def _agency_from(form: Any, field: str = "agency_id") -> Agency:
    agency = db().get(Agency, optional_id(Agency, form.get(field)) or 0)
    if agency is None:
        raise InvalidInput("agency required", "Pilih OPD tujuan.", field)
    return agency


def _note(form: Any) -> str | None:
    return (form.get("note") or "").strip() or None


def _settings() -> Any:
    return state().settings


ACTIONS: dict[str, Action] = {
    "verifikasi": Action("verify", "Verifikasi", COORDINATORS, lambda s, c, u, f: lc.verify(s, c, by=u, note=_note(f))),
    "disposisi": Action("disposition", "Disposisi ke OPD", COORDINATORS,
                        lambda s, c, u, f: lc.disposition(s, c, _agency_from(f), by=u, note=_note(f), settings=_settings())),
    "tindak-lanjut": Action("follow_up", "Kirim tindak lanjut", (Role.LIAISON, *COORDINATORS),
                            lambda s, c, u, f: lc.record_follow_up(s, c, f.get("text") or "", by=u, settings=_settings())),
    "kembalikan": Action("return_to_agency", "Kembalikan ke OPD", COORDINATORS,
                         lambda s, c, u, f: lc.return_to_agency(s, c, by=u, note=f.get("note") or "", settings=_settings())),
    lc.Status.SELESAI: Action("close", "Selesaikan", COORDINATORS, lambda s, c, u, f: lc.close(s, c, by=u, note=_note(f))),
    lc.Status.TUNDA: Action("pause", "Tunda", COORDINATORS, lambda s, c, u, f: lc.pause(s, c, by=u, note=f.get("note") or "")),
    "lanjutkan": Action("resume", "Lanjutkan", COORDINATORS,
                        lambda s, c, u, f: lc.resume(s, c, by=u, note=_note(f), settings=_settings())),
    "bukan-wewenang": Action("not_competent", "Bukan wewenang", (Role.LIAISON, *COORDINATORS),
                             lambda s, c, u, f: lc.mark_not_competent(
                                 s, c, by=u, note=f.get("note") or "",
                                 forward_national=f.get("forward_national") in ("1", "on"),
                                 lapor_tracking_id=(f.get("lapor_tracking_id") or "").strip() or None)),
    "alihkan": Action("reroute", "Alihkan ke OPD lain", COORDINATORS,
                      lambda s, c, u, f: lc.reroute(s, c, _agency_from(f), by=u, note=_note(f), settings=_settings())),
    lc.Status.ARSIP: Action("archive", "Arsipkan", COORDINATORS, lambda s, c, u, f: lc.archive(s, c, by=u, note=f.get("note") or "")),
}
