"""Complaint statuses, the stages whose time limits they run in, and every set of statuses a rule reads.

Kept apart from `models.lifecycle` (which moves complaints between them) so that the ORM entities can name
their default status without importing the lifecycle. No other module writes a status as a string.
"""

from __future__ import annotations

import enum
from typing import ClassVar


class LabelledEnum(enum.StrEnum):
    """A string enum whose members also carry their Indonesian label: `Status.TUNDA.label`."""

    label: str

    def __new__(cls, value: str, label: str) -> "LabelledEnum":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class Status(LabelledEnum):
    DRAFT = "draft", "Draf"
    BELUM_DIVERIFIKASI = "belum_diverifikasi", "Belum Diverifikasi"
    TERVERIFIKASI = "terverifikasi", "Terverifikasi"
    TERDISPOSISI = "terdisposisi", "Terdisposisi"
    DITINDAKLANJUTI = "ditindaklanjuti", "Ditindaklanjuti"
    SELESAI = "selesai", "Selesai"
    TUNDA = "tunda", "Tunda"
    BUKAN_WEWENANG = "bukan_wewenang", "Bukan Wewenang"
    ARSIP = "arsip", "Arsip"
    DITOLAK = "ditolak", "Ditolak"

    # Sets of statuses, assigned below the class (an Enum body cannot hold sets of its own members). Every rule
    # about which statuses are "open", "closed" and so on is read from these, never from a list written elsewhere.
    UNCONFIRMED: ClassVar[frozenset["Status"]]
    """Not a complaint (yet): a draft from a call, or a draft the operator rejected. Not counted, not published."""
    OPEN: ClassVar[frozenset["Status"]]
    """Confirmed and still in the regency's hands ("masih berjalan"), paused ones (tunda) included."""
    CLOSED: ClassVar[frozenset["Status"]]
    """Confirmed and out of the regency's hands: finished, handed to the competent body, or archived."""
    CONFIRMED: ClassVar[frozenset["Status"]]
    """Complaints proper (OPEN | CLOSED): counted in the figures, published (unless rahasia), handed over."""
    LIMITED: ClassVar[frozenset["Status"]]
    """Statuses with a running time limit (`Complaint.due_at`); tunda and bukan_wewenang have none."""
    OVERDUE_COUNTED: ClassVar[frozenset["Status"]]
    """Statuses in which a passed limit makes the complaint overdue ("terlambat"): the limit binds a person."""
    RATEABLE: ClassVar[frozenset["Status"]]
    """The reporter may rate the handling: the agency answered, or the complaint was finished."""
    AGENCY_OVERDUE_COUNTED: ClassVar[frozenset["Status"]]
    """Statuses in which a passed limit makes the complaint overdue for the OPD it was dispositioned to: the limit
    binds the OPD (the follow-up), not the coordinators (verification and disposition)."""
    WITH_AGENCY: ClassVar[frozenset["Status"]]
    """Open statuses in an OPD liaison's queue: dispositioned, answered, or paused (tunda)."""
    DUPLICATE_TARGETS: ClassVar[frozenset["Status"]]
    """Statuses a new call may be a duplicate of: drafts and open complaints."""


class Stage(LabelledEnum):
    VERIFIKASI = "verifikasi", "Verifikasi dan disposisi"
    TINDAK_LANJUT = "tindak_lanjut", "Tindak lanjut OPD"
    TUTUP_OTOMATIS = "tutup_otomatis", "Menunggu tanggapan pelapor"


STAGE_OF_STATUS: dict[Status, Stage] = {
    Status.DRAFT: Stage.VERIFIKASI,
    Status.BELUM_DIVERIFIKASI: Stage.VERIFIKASI,
    Status.TERVERIFIKASI: Stage.VERIFIKASI,
    Status.TERDISPOSISI: Stage.TINDAK_LANJUT,
    Status.DITINDAKLANJUTI: Stage.TUTUP_OTOMATIS,
}
OBLIGATION_STAGES = frozenset({Stage.VERIFIKASI, Stage.TINDAK_LANJUT})
"""Stages whose limit binds a person; past the auto-close limit the system acts, nobody is late."""

Status.UNCONFIRMED = frozenset({Status.DRAFT, Status.DITOLAK})
Status.OPEN = frozenset(
    {Status.BELUM_DIVERIFIKASI, Status.TERVERIFIKASI, Status.TERDISPOSISI, Status.DITINDAKLANJUTI, Status.TUNDA}
)
Status.CLOSED = frozenset({Status.SELESAI, Status.BUKAN_WEWENANG, Status.ARSIP})
Status.CONFIRMED = Status.OPEN | Status.CLOSED
Status.LIMITED = frozenset(STAGE_OF_STATUS)
Status.OVERDUE_COUNTED = frozenset(status for status, stage in STAGE_OF_STATUS.items() if stage in OBLIGATION_STAGES)
Status.AGENCY_OVERDUE_COUNTED = frozenset(status for status, stage in STAGE_OF_STATUS.items() if stage is Stage.TINDAK_LANJUT)
Status.RATEABLE = frozenset({Status.DITINDAKLANJUTI, Status.SELESAI})
Status.WITH_AGENCY = frozenset({Status.TERDISPOSISI, Status.DITINDAKLANJUTI, Status.TUNDA})
Status.DUPLICATE_TARGETS = Status.OPEN | {Status.DRAFT}
