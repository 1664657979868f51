"""A phone call's session with the caller, without Flask: the call row from the first webhook (ringing), its
short code, the end of the call, what the digits a caller types refer to, who may rate, and the Media Stream.

The Twilio webhooks (`web/twilio.py`) turn requests into calls of these functions and their results into TwiML.
The caller hears the call's code, a random six-digit number, never the call's primary key: a primary key is
guessable and tells how many calls there were.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from models import phone
from models.base import utcnow
from models.config import Settings
from models.db import retrying
from models.entities import Call, CallStatus, Channel, Complaint
from models.lifecycle import Status
from models.refs import find_by_reference
from transcribe.errors import ModelError
from transcribe.types import Engine
from voice import recordings
from voice.intake import store_audio
from voice.live import LiveRegistry
from transcribe.audio import wav_bytes
from voice.session import CallSession
from voice.twilio_client import CALL_SID

log = logging.getLogger(__name__)
STREAM_STORE_OUTAGE_S = 30.0
"""How long an ended stream's audio waits for the database or a full disk before it is given up (logged)."""


def enqueue_softly(enqueue: Callable[[], object], call_id: int) -> None:
    """Enqueue a job whose need is already committed: with the queue (Redis) down the webhook or stream still
    succeeds, and the recovery job drives the call on."""
    try:
        enqueue()
    except Exception as exc:
        log.warning("call %s: job not queued (%s); the recovery job will drive it", call_id, exc)
S = CallStatus

CODE_DIGITS = 6
PROVIDER_ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
"""Twilio's final CallStatus values."""


# -- the call row ------------------------------------------------------------------------------------

def new_code(session: Session) -> str:
    """A random six-digit code no other call has."""
    while True:
        code = str(secrets.randbelow(9 * 10 ** (CODE_DIGITS - 1)) + 10 ** (CODE_DIGITS - 1))
        if session.scalar(select(Call.id).where(Call.code == code)) is None:
            return code


def _call(session: Session, call_sid: str, caller: str | None, status: CallStatus) -> Call:
    """The call of `call_sid`, made in `status` if there is none yet (of two requests racing, one makes it)."""
    call = recordings.call_by_sid(session, call_sid)
    if call is not None:
        if call.code is None:
            call.code = new_code(session)
        return call
    try:
        with session.begin_nested():
            call = Call(channel=Channel.PHONE.value, external_id=call_sid, caller_number=caller, started_at=utcnow(),
                        status=status.value, code=new_code(session), meta={"source": "twilio"})
            session.add(call)
    except IntegrityError:  # the other request made it first
        call = recordings.call_by_sid(session, call_sid)
        if call is None:
            raise
    return call


def ring(session: Session, call_sid: str, caller: str | None) -> Call:
    """The first webhook of a call: the call exists from now on, ringing (at the menu)."""
    return _call(session, call_sid, caller, S.RINGING)


def pending_call(session: Session, call_sid: str, caller: str | None) -> Call:
    """The call for a later webhook; made (recording) if its earlier webhooks never came."""
    return _call(session, call_sid, caller, S.RECORDING)


def start_recording(session: Session, call_sid: str, caller: str | None) -> Call:
    """The caller chose to record (again): a call without audio or a download on the way is recording."""
    call = pending_call(session, call_sid, caller)
    if not call.audio_path and not recordings.fetch_state(call):
        call.status, call.error = S.RECORDING.value, None
    return call


def menu_choice(session: Session, call_sid: str, caller: str | None, choice: str) -> None:
    """Note what the caller chose at the menu (a status or rating enquiry ends without a recording)."""
    call = ring(session, call_sid, caller)
    call.meta = dict(call.meta or {}, menu=choice)


def call_ended(session: Session, call_sid: str, provider_status: str | None, duration_s: float | None) -> Call | None:
    """The provider's statusCallback: note how and when the call ended. A call still at the menu is abandoned;
    one that recorded waits for its recording (the deadline counts from now)."""
    call = recordings.call_by_sid(session, call_sid)
    if call is None:
        return None
    call.ended_at = call.ended_at or utcnow()
    call.meta = dict(call.meta or {}, call_status=provider_status, call_duration_s=duration_s)
    if call.status == S.RINGING.value and provider_status in PROVIDER_ENDED:
        call.status, call.error = S.ABANDONED.value, recordings.LEFT_AT_MENU
    return call


# -- what the caller types ---------------------------------------------------------------------------

def find_by_digits(session: Session, digits: str, caller: str | None) -> tuple[Call | None, Complaint | None]:
    """The call and complaint a caller means: a call code (what they heard), from the number that made that call
    (six digits can be guessed, and calls from before the codes have their id as code), or a complaint's reference
    number from any phone."""
    digits = re.sub(r"\D", "", digits)
    if not digits:
        return None, None
    call = session.scalars(select(Call).where(Call.code == digits, Call.channel == Channel.PHONE.value)).first()
    if call is not None and phone.same_number(call.caller_number, caller):
        return call, call.draft
    complaint = find_by_reference(session, digits)
    return (complaint.call, complaint) if complaint is not None else (None, None)


def rating_refusal(complaint: Complaint | None, caller: str | None) -> str | None:
    """The prompt that refuses a rating by phone, or None when this caller may rate the complaint."""
    if complaint is None:
        return "tidak_ditemukan"
    if complaint.status not in Status.RATEABLE:
        return "belum_selesai"
    if not phone.may_rate(phone.reporter_numbers(complaint), caller=caller):
        return "bukan_pelapor"
    return None


# -- the Media Stream --------------------------------------------------------------------------------

class MediaStreamHandler:
    """One media stream: parses Twilio's JSON messages; I/O stays in the websocket route.

    A message of an unexpected shape (not an object, a `media` that is not an object, a missing or
    non-text payload) is logged and skipped: the stream goes on and the socket never sees an error."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], enqueue_call: Callable[[int], None],
                 live: LiveRegistry) -> None:
        self.settings = settings
        self.sessions = sessions
        self.enqueue_call = enqueue_call
        self.live = live
        self.session: CallSession | None = None
        self.call_sid: str | None = None

    def handle(self, raw: str | bytes) -> bool:
        """Process one message; False when the stream is over. Anything not shaped like Twilio's messages is
        logged and skipped (a stream that sends it is not trusted with a call until a valid start)."""
        try:
            message = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError):
            log.warning("media stream %s: message is not JSON", self.call_sid)
            return True
        if not isinstance(message, dict):
            log.warning("media stream %s: message is %s, not an object", self.call_sid, type(message).__name__)
            return True
        event = message.get("event")
        if event == "start" and self.session is None:
            return self._start(message.get("start"))
        if event == "media" and self.session is not None:
            self._media(message.get("media"))
        elif event == "stop":
            return False
        return True

    def _start(self, start: Any) -> bool:
        start = start if isinstance(start, dict) else {}
        call_sid = start.get("callSid")
        if not isinstance(call_sid, str) or not CALL_SID.match(call_sid):
            log.warning("media stream: a start without a valid callSid is ignored")
            return True
        parameters = start.get("customParameters")
        caller = parameters.get("caller") if isinstance(parameters, dict) else None
        self.call_sid = call_sid
        self.session = CallSession(call_sid, 8000, "mulaw", self._engine(), self.live, source="twilio",
                                   caller_number=caller if isinstance(caller, str) and caller else None,
                                   max_s=self.settings.max_audio_s)
        return True

    def _media(self, media: Any) -> None:
        if not isinstance(media, dict):
            log.warning("media stream %s: media is %s, not an object", self.call_sid, type(media).__name__)
            return
        if media.get("track", "inbound") != "inbound":
            return
        payload = media.get("payload")
        if not isinstance(payload, str):
            log.warning("media stream %s: payload is %s, not base64 text", self.call_sid, type(payload).__name__)
            return
        try:
            self.session.push(base64.b64decode(payload, validate=True))  # type: ignore[union-attr]
        except (binascii.Error, ValueError):
            log.warning("media stream %s: bad base64 payload", self.call_sid)

    def _engine(self) -> Engine | None:
        from transcribe.engines import load_engine

        try:
            return load_engine(self.settings)
        except ModelError as exc:
            log.warning("no live transcript: %s", exc)
            return None

    def finish(self) -> None:
        """Store the stream's audio at once: it is the call's audio if the recording never arrives."""
        if self.session is None or self.call_sid is None:
            return
        result = self.session.close()
        if not len(result.samples):
            return

        def keep() -> tuple[int, int | None]:
            relative, _ = store_audio(self.settings, wav_bytes(result.samples), ".wav")
            with self.sessions() as session:
                call = pending_call(session, self.call_sid, self.session.caller_number)
                call_id = recordings.keep_stream_audio(session, call, relative, result.text)
                session.commit()
                return call.id, call_id

        try:  # the recording is the call's audio; the stream's is the fallback, worth a short wait
            stored_on, transcribe_id = retrying(keep, STREAM_STORE_OUTAGE_S, f"media stream {self.call_sid}: storing")
        except Exception as exc:
            log.error("media stream %s: its audio could not be stored (%s); the call waits for its recording",
                      self.call_sid, exc)
            return
        if transcribe_id is not None:
            enqueue_softly(lambda: self.enqueue_call(transcribe_id), transcribe_id)
        self.live.stored(self.call_sid, stored_on)
