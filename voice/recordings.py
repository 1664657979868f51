"""A phone call's audio sources, durably: the provider's recording and the Media Stream's audio.

The download of a recording is a schedule kept on the call (`meta["fetch"]`), not only a job in the queue:
each job makes one attempt and schedules the next; a worker killed between or during attempts loses
nothing, because the recovery job drives every download whose next attempt is overdue, continuing the
schedule where it stopped. When the schedule is used up (or the provider never announces a recording),
the stream's audio is used; when the recording arrives after that, it replaces the stream's audio.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models.base import utcnow
from models.config import Settings
from models.entities import Call, CallStatus, Channel
from models.retry import Schedule
from voice.intake import store_audio
from voice.twilio_client import Backoff, TwilioClient, TwilioError, TwilioNotReady

log = logging.getLogger(__name__)

S = CallStatus
RECORD_MAX_S = 300
"""Longest recording the menu asks the provider for."""
AUDIO_FROM_RECORDING, AUDIO_FROM_STREAM = "recording", "stream"
MENU_MAX_S = 300
"""A caller cannot stay at the menu longer than this (every question is asked at most three times)."""
LEFT_AT_MENU = "ditutup di menu, sebelum merekam"


@dataclass(frozen=True)
class FetchState(Schedule):
    """Where the download of one recording stands; kept in the call's `meta["fetch"]`."""

    recording_sid: str = field(default="", kw_only=True)
    duration_s: float | None = field(default=None, kw_only=True)
    done: bool = field(default=False, kw_only=True)
    """True once the recording is stored, or the schedule was used up."""

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> "FetchState | None":
        return super().from_json(data) if data and data.get("recording_sid") else None

    def overdue(self, now: datetime, grace_s: float) -> bool:
        return not self.done and super().overdue(now, grace_s)


def fetch_state(call: Call) -> FetchState | None:
    return FetchState.from_json((call.meta or {}).get("fetch"))


def _set_fetch(call: Call, state: FetchState) -> None:
    call.meta = dict(call.meta or {}, fetch=state.to_json(), recording_sid=state.recording_sid)


def call_by_sid(session: Session, call_sid: str) -> Call | None:
    return session.scalars(select(Call).where(Call.channel == Channel.PHONE.value, Call.external_id == call_sid)).first()


def has_recording(call: Call, recording_sid: str | None = None) -> bool:
    meta = call.meta or {}
    return bool(call.audio_path) and meta.get("audio_from", AUDIO_FROM_RECORDING) == AUDIO_FROM_RECORDING and (
        recording_sid is None or meta.get("recording_sid") == recording_sid
    )


# -- the provider announces a recording --------------------------------------------------------------

def announce(session: Session, settings: Settings, call: Call, recording_sid: str, duration_s: float | None,
             now: datetime | None = None) -> bool:
    """Note a completed recording on the call; True when a download job should run now.

    A repeated announcement of a recording that is stored, or whose download is on schedule, changes
    nothing; one whose download stalled (its job was lost) or gave up is driven again.
    """
    now = now or utcnow()
    if has_recording(call, recording_sid):
        return False
    state = fetch_state(call)
    if state is not None and state.recording_sid == recording_sid:
        if not state.done and not state.overdue(now, settings.twilio_fetch_stall_s):
            return False
        # stalled: continue the schedule; given up (e.g. a configuration since fixed): start it again
        state = replace(state, attempts=0 if state.done else state.attempts, done=False, next_at=now.isoformat())
    else:
        state = FetchState(recording_sid=recording_sid, duration_s=duration_s, next_at=now.isoformat())
    _set_fetch(call, state)
    if not call.audio_path:
        call.status, call.error = S.AWAITING.value, None
    return True


# -- one download attempt (the job) ------------------------------------------------------------------

@dataclass(frozen=True)
class Attempt:
    """What one try came to: `retry_in_s` set when another try is scheduled; `call_id` set when audio is
    ready to transcribe (the recording, or the stream's audio after the last try)."""

    retry_in_s: float | None = None
    call_id: int | None = None
    replaced_stream: bool = False


def fetch_once(settings: Settings, sessions: sessionmaker[Session], call_sid: str, recording_sid: str,
               client_factory: Callable[[], TwilioClient] | None = None, now: Callable[[], datetime] = utcnow) -> Attempt:
    """One try at downloading a recording; the schedule and outcome are written to the call."""
    backoff = Backoff.for_recordings(settings)
    with sessions() as session:
        call = call_by_sid(session, call_sid)
        if call is None:
            log.warning("recording %s: call %s unknown", recording_sid, call_sid)
            return Attempt()
        state = fetch_state(call)
        if has_recording(call, recording_sid) or state is None or state.recording_sid != recording_sid or state.done:
            return Attempt()  # stored already, or superseded by a newer recording, or given up
        # while this try runs the recovery job leaves the call alone, for twice the stall time (longer than
        # the request's timeout with the default 60 s)
        _set_fetch(call, state.trying(now(), settings.twilio_fetch_stall_s))
        session.commit()
    try:
        with (client_factory or (lambda: TwilioClient(settings)))() as client:
            data = client.get_recording(recording_sid)
    except TwilioNotReady as exc:
        return _failed_try(settings, sessions, call_sid, state, str(exc), backoff.delay_after(state.attempts + 1), now())
    except TwilioError as exc:  # will not get better by waiting: the account, the SID, the configuration
        return _failed_try(settings, sessions, call_sid, state, str(exc), None, now())
    return _store_recording(settings, sessions, call_sid, state, data)


def _failed_try(settings: Settings, sessions: sessionmaker[Session], call_sid: str, state: FetchState, reason: str,
                retry_in_s: float | None, now: datetime) -> Attempt:
    after = state.failed(reason, retry_in_s, now)
    with sessions() as session:
        call = call_by_sid(session, call_sid)
        if call is None:
            return Attempt()
        if retry_in_s is not None:
            log.info("recording %s not available (%s); try %d again in %.1f s", state.recording_sid, reason, after.attempts + 1, retry_in_s)
            _set_fetch(call, after)
            session.commit()
            return Attempt(retry_in_s=retry_in_s)
        log.warning("recording %s given up after %d tries: %s", state.recording_sid, after.attempts, reason)
        _set_fetch(call, replace(after, done=True))
        reason_id = f"rekaman {state.recording_sid} gagal diunduh setelah {after.attempts} percobaan: {reason}"
        call_id = fall_back_to_stream(session, call, reason_id, S.FAILED)
        session.commit()
        return Attempt(call_id=call_id)


def _store_recording(settings: Settings, sessions: sessionmaker[Session], call_sid: str, state: FetchState,
                     data: bytes) -> Attempt:
    relative, digest = store_audio(settings, data, ".wav")
    with sessions() as session:
        call = call_by_sid(session, call_sid)
        if call is None:
            return Attempt()
        from_stream = bool(call.audio_path) and (call.meta or {}).get("audio_from") == AUDIO_FROM_STREAM
        # compare-and-set: of two tries finishing together, one stores
        unchanged = Call.audio_path.is_(None) if call.audio_path is None else Call.audio_path == call.audio_path
        won = session.execute(
            update(Call).where(Call.id == call.id, unchanged).values(audio_path=relative, audio_sha256=digest)
        ).rowcount == 1
        if not won:
            session.rollback()
            return Attempt()
        session.refresh(call)
        _set_fetch(call, replace(state.succeeded(), done=True))
        call.meta = dict(call.meta, audio_from=AUDIO_FROM_RECORDING, recording="stored")
        call.duration_s = state.duration_s or (call.duration_s if not from_stream else None)
        if not from_stream:
            call.status, call.error = S.RECEIVED.value, None
        session.commit()
        log.info("twilio recording %s stored on call %s%s", state.recording_sid, call.id,
                 " in place of the stream's audio" if from_stream else "")
        return Attempt(call_id=call.id, replaced_stream=from_stream)


# -- the stream's audio ------------------------------------------------------------------------------

def keep_stream_audio(session: Session, call: Call, relative: str, text: str) -> int | None:
    """Note the stream's stored audio on the call; when the recording already failed, use it at once
    (returns the call id to transcribe)."""
    call.meta = dict(call.meta or {}, stream_audio=relative, stream_text=text[:4000])
    if not call.audio_path and call.status in (S.FAILED.value, S.ABANDONED.value, S.NO_AUDIO.value):
        return fall_back_to_stream(session, call, call.error or "", S(call.status))
    return None


def fall_back_to_stream(session: Session, call: Call, reason: str, otherwise: CallStatus) -> int | None:
    """Use the stream's audio for a call without a recording (returns the call id to transcribe), or close
    the call as `otherwise` with the reason."""
    relative = (call.meta or {}).get("stream_audio")
    if call.audio_path:
        return None
    if relative:
        call.audio_path = relative
        call.audio_sha256 = None
        call.status, call.error = S.RECEIVED.value, None
        call.meta = dict(call.meta or {}, audio_from=AUDIO_FROM_STREAM, recording_error=reason[:1000])
        session.flush()
        log.info("call %s: %s; the stream's audio is used instead", call.id, reason)
        return call.id
    call.status, call.error = otherwise.value, reason[:2000]
    return None


def recording_missing(session: Session, call: Call, recording_sid: str, provider_status: str, error_code: str | None) -> int | None:
    """The provider reports no recording (absent: nothing was said; failed): fall back to the stream's audio."""
    state = fetch_state(call)
    if state is not None and state.recording_sid != recording_sid and not state.done:
        return None  # the caller recorded again; that recording is on its way
    reason = f"Twilio: rekaman {provider_status}" + (f" (kode {error_code})" if error_code else "")
    call.meta = dict(call.meta or {}, recording=provider_status, recording_sid=recording_sid)
    return fall_back_to_stream(session, call, reason, S.ABANDONED if provider_status == "absent" else S.FAILED)


# -- recovery ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recovery:
    redrive: list[tuple[str, str]]
    """(CallSid, RecordingSid) of downloads whose job was lost."""
    transcribe: list[int]
    """Calls that now use their stream's audio."""


def recover(settings: Settings, sessions: sessionmaker[Session], now: datetime | None = None) -> Recovery:
    """Find downloads whose next try is overdue, and calls whose recording was never announced by the deadline."""
    now = now or utcnow()
    redrive: list[tuple[str, str]] = []
    transcribe: list[int] = []
    deadline = timedelta(seconds=settings.twilio_recording_deadline_s)
    with sessions() as session:
        waiting = session.scalars(select(Call).where(
            Call.channel == Channel.PHONE.value, Call.status.in_([S.RINGING.value, S.RECORDING.value, S.AWAITING.value])
        )).all()
        for call in waiting:
            if call.status == S.RINGING.value:  # its end was never reported: closed once past any menu
                ended = call.ended_at or ((call.started_at or call.received_at) + timedelta(seconds=MENU_MAX_S))
                if ended + deadline < now:
                    call.status, call.error = S.ABANDONED.value, LEFT_AT_MENU
                continue
            state = fetch_state(call)
            if state is not None and not state.done:
                if state.overdue(now, settings.twilio_fetch_stall_s):
                    redrive.append((call.external_id or "", state.recording_sid))
                continue
            ended = call.ended_at or ((call.started_at or call.received_at) + timedelta(seconds=RECORD_MAX_S + 60))
            if ended + deadline < now:
                call_id = fall_back_to_stream(session, call, "rekaman tidak pernah dikirim oleh penyedia telepon",
                                              S.ABANDONED)
                if call_id is not None:
                    transcribe.append(call_id)
        session.commit()
    return Recovery(redrive, transcribe)

