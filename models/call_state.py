"""The states of a call and the one rule for what a caller is told about it (keypad status, press 2).

    ringing (first webhook: at the menu) ──(presses 1)──► recording
        └─► abandoned (hung up at the menu, or asked a status/rating and hung up)
    recording ──(provider announces the recording)──► awaiting ──(downloaded)──► received
        │                                               │                          │
        │ (stream audio used after the deadline)        │ (last retry failed:       ▼
        ├──────────────────────────────────────► received   stream audio used)  transcribing ─► transcribed ─► drafted
        │                                               │                          │
        └─► abandoned (hung up, nothing recorded)       └─► failed (reason)        └─► no_speech / failed (reason)

Final states: drafted, failed, abandoned, no_speech. A later recording may still replace stream audio
(the better source wins) and a re-sent callback may revive a failed download; nothing else leaves them.
"""

from __future__ import annotations

import enum

from models.entities import Call, CallStatus, Complaint
from models.lifecycle import Status

S = CallStatus

LABELS: dict[str, str] = {
    S.RINGING.value: "Di menu",
    S.RECORDING.value: "Sedang merekam",
    S.AWAITING.value: "Menunggu rekaman",
    S.RECEIVED.value: "Diterima",
    S.TRANSCRIBING.value: "Ditranskripsi…",
    S.TRANSCRIBED.value: "Tertranskripsi",
    S.DRAFTED.value: "Draf siap",
    S.FAILED.value: "Gagal",
    S.ABANDONED.value: "Ditutup tanpa rekaman",
    S.NO_SPEECH.value: "Tanpa ucapan",
    S.NO_AUDIO.value: "Tanpa rekaman",
    S.SILENT.value: "Hening",
}
"""How the calls page names each state."""

WAITING_FOR_AUDIO = frozenset({S.RECORDING.value, S.AWAITING.value})
IN_PROGRESS = frozenset({S.RINGING.value}) | WAITING_FOR_AUDIO | {S.RECEIVED.value, S.TRANSCRIBING.value, S.TRANSCRIBED.value}
FINAL = frozenset({S.DRAFTED.value, S.FAILED.value, S.ABANDONED.value, S.NO_SPEECH.value, S.NO_AUDIO.value, S.SILENT.value})


class CallerStatus(enum.StrEnum):
    """What the caller hears when they ask about a call by its number; `status_<value>` is the prompt."""

    PROCESSING = "diproses"
    """We have (or are fetching) the recording and are turning it into a draft."""
    NOT_RECORDED = "tanpa_rekaman"
    FAILED = "gagal"
    NO_SPEECH = "tanpa_suara"
    MERGED = "digabung"
    REJECTED = Status.DITOLAK.value


_BY_CALL_STATUS: dict[str, CallerStatus] = {
    **{status: CallerStatus.PROCESSING for status in IN_PROGRESS},
    S.RINGING.value: CallerStatus.NOT_RECORDED,
    S.DRAFTED.value: CallerStatus.PROCESSING,
    S.FAILED.value: CallerStatus.FAILED,
    S.ABANDONED.value: CallerStatus.NOT_RECORDED,
    S.NO_AUDIO.value: CallerStatus.NOT_RECORDED,
    S.NO_SPEECH.value: CallerStatus.NO_SPEECH,
    S.SILENT.value: CallerStatus.NO_SPEECH,
}


def caller_status(call: Call | None, complaint: Complaint | None) -> str:
    """The status key a caller is told: a complaint's lifecycle status once there is a complaint (a merged
    duplicate and a rejected draft said as such), otherwise what became of their call."""
    if complaint is not None:
        if complaint.duplicate_of_id is not None:
            return CallerStatus.MERGED.value
        if complaint.status == Status.DITOLAK:
            return CallerStatus.REJECTED.value
        return complaint.status
    if call is None:
        raise ValueError("caller_status needs a call or a complaint")
    return _BY_CALL_STATUS.get(call.status, CallerStatus.PROCESSING).value
