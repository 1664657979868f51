"""Twilio voice webhooks (and Twilio-compatible providers): TwiML menu in Indonesian, recording and call
status callbacks, the Media Streams websocket, and the recorded prompts.

Every webhook and the websocket handshake must carry a valid `X-Twilio-Signature` computed over the
public URL (`SUARA_PUBLIC_URL`, so it is right behind a reverse proxy); anything else gets 403. The
recording itself is fetched by a job, never inside the webhook.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from functools import wraps
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, request, send_file, url_for
from flask_sock import Sock
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, Start, VoiceResponse

from models.base import utcnow
from models import satisfaction
from models.entities import Call, CallStatus, Channel, Complaint
from transcribe.errors import ModelError
from voice.intake import IncomingAudio, receive_call, store_audio
from voice.live import registry_for
from voice.prompts import PROMPTS, prompt_path
from voice.session import CallSession, wav_bytes
from voice.twilio_client import CALL_SID, RECORDING_SID

log = logging.getLogger(__name__)

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
sock = Sock()
"""Routes are attached to the blueprint (`sock.route(..., bp=bp)`); nothing to bind to the app."""
F = TypeVar("F", bound=Callable[..., Any])

RECORD_MAX_S = 300
LANGUAGE = "id-ID"
PENDING_ERROR = "rekaman belum diterima"
STREAM_IDLE_S = 60.0



@bp.record_once
def _on_register(setup) -> None:  # noqa: ANN001 - flask.blueprints.BlueprintSetupState
    registry_for(setup.app)
    csrf = setup.app.extensions.get("csrf")
    if csrf is not None:  # Twilio cannot send a CSRF token; the signature authenticates instead
        csrf.exempt(bp)


# -- signatures ----------------------------------------------------------------------------------

def _settings():  # noqa: ANN202
    return current_app.extensions["suara"].settings


def _public_base() -> str:
    return (_settings().public_url or request.host_url).rstrip("/")


def public_url(path: str) -> str:
    """An absolute URL as the outside world (Twilio) sees it."""
    return _public_base() + path


def _signed_url() -> str:
    query = request.query_string.decode("latin-1")
    return public_url(request.path) + (f"?{query}" if query else "")


def signature_valid(url: str, params: dict[str, str]) -> bool:
    """True if `X-Twilio-Signature` matches `url` and `params` under the configured auth token."""
    token = _settings().twilio_auth_token
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token:
        log.error("Twilio request refused: SUARA_TWILIO_AUTH_TOKEN is not set")
        return False
    return bool(signature) and RequestValidator(token).validate(url, params, signature)


def twilio_signed(view: F) -> F:
    """Refuse (403) a request whose Twilio signature is missing or wrong."""

    @wraps(view)
    def wrapped(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not signature_valid(_signed_url(), request.form.to_dict()):
            log.warning("forged or unsigned Twilio request to %s from %s", request.path, request.remote_addr)
            abort(403)
        return view(*args, **kwargs)

    return wrapped  # type: ignore[return-value]


# -- TwiML helpers -------------------------------------------------------------------------------

def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _say(node: VoiceResponse | Gather, *names: str) -> None:
    """Play the recorded prompts, falling back to text-to-speech for any that is missing."""
    for name in names:
        if prompt_path(name) is not None:
            node.play(public_url(url_for("twilio.prompt", name=name)))
        else:
            node.say(PROMPTS[name], language=LANGUAGE)


def _say_digits(node: VoiceResponse, digits: str) -> None:
    _say(node, *(f"angka_{d}" for d in digits))


def _action(endpoint: str, **values: Any) -> str:
    return public_url(url_for(endpoint, **values))


def _db() -> Session:
    return current_app.extensions["suara"].sessions()


def call_reference(call_id: int) -> str:
    """The short reference the caller hears: the call's number (a complaint links to its call)."""
    return str(call_id)


# -- incoming call and menu ----------------------------------------------------------------------

@bp.post("/voice")
@twilio_signed
def voice() -> Response:
    response = VoiceResponse()
    _say(response, "salam", "persetujuan")
    _menu(response)
    return _twiml(response)


def _menu(response: VoiceResponse) -> None:
    gather = response.gather(num_digits=1, action=_action("twilio.menu"), method="POST", timeout=8)
    _say(gather, "menu_1", "menu_2", "menu_3")
    _say(response, "sampai_jumpa")
    response.hangup()


@bp.post("/menu")
@twilio_signed
def menu() -> Response:
    choice = request.form.get("Digits", "")
    response = VoiceResponse()
    if choice == "1":
        _record(response)
    elif choice in ("2", "3"):
        endpoint = "twilio.status_lookup" if choice == "2" else "twilio.rate_lookup"
        gather = response.gather(finish_on_key="#", timeout=10, action=_action(endpoint), method="POST")
        _say(gather, "masukkan_nomor")
        _say(response, "sampai_jumpa")
    else:
        _say(response, "pilihan_salah")
        _menu(response)
    return _twiml(response)


def _record(response: VoiceResponse) -> None:
    call_sid = request.form.get("CallSid", "")
    if not CALL_SID.match(call_sid):
        abort(400)
    with _db() as session:
        _pending_call(session, call_sid, request.form.get("From"))
        session.commit()
    start = Start()
    stream = start.stream(url=_stream_url(), track="inbound_track")
    stream.parameter(name="caller", value=request.form.get("From", ""))
    response.append(start)
    _say(response, "rekam", "rekam_selesai")
    response.record(
        max_length=RECORD_MAX_S, finish_on_key="#", play_beep=True, timeout=10,
        action=_action("twilio.recorded"), method="POST",
        recording_status_callback=_action("twilio.recording"), recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )


def _stream_url() -> str:
    # Flask builds websocket rules as absolute ws:// URLs; only their path is ours to use.
    parts = urlsplit(public_url(urlsplit(url_for("twilio.stream")).path))
    return parts._replace(scheme="wss" if parts.scheme == "https" else "ws").geturl()


def _pending_call(session: Session, call_sid: str, caller: str | None) -> Call:
    """The call row, made as soon as the caller chooses to record: the reference exists before the audio."""
    call = _call_by_sid(session, call_sid)
    if call is None:
        call = Call(
            channel=Channel.PHONE.value, external_id=call_sid, caller_number=caller, started_at=utcnow(),
            status=CallStatus.NO_AUDIO.value, error=PENDING_ERROR, meta={"source": "twilio", "recording": "pending"},
        )
        session.add(call)
        session.flush()
    return call


def _call_by_sid(session: Session, call_sid: str) -> Call | None:
    return session.scalars(select(Call).where(Call.channel == Channel.PHONE.value, Call.external_id == call_sid)).first()


@bp.post("/recorded")
@twilio_signed
def recorded() -> Response:
    """The <Record> action: thank the caller and tell them their call reference, twice."""
    response = VoiceResponse()
    with _db() as session:
        call = _call_by_sid(session, request.form.get("CallSid", ""))
        reference = call_reference(call.id) if call is not None else None
    if reference is None:
        _say(response, "tidak_ada_rekaman")
    else:
        _say(response, "terima_kasih", "nomor_anda")
        _say_digits(response, reference)
        _say(response, "ulangi_nomor")
        _say_digits(response, reference)
        _say(response, "sampai_jumpa")
    response.hangup()
    return _twiml(response)


# -- recording and call status callbacks ---------------------------------------------------------

@bp.post("/recording")
@twilio_signed
def recording() -> tuple[str, int]:
    """recordingStatusCallback: fetch a completed recording in a job; keep absent/failed ones with the reason."""
    call_sid, recording_sid = request.form.get("CallSid", ""), request.form.get("RecordingSid", "")
    status = request.form.get("RecordingStatus", "")
    if not CALL_SID.match(call_sid) or not RECORDING_SID.match(recording_sid):
        abort(400)
    state = current_app.extensions["suara"]
    with _db() as session:
        call = _pending_call(session, call_sid, request.form.get("From"))
        meta = dict(call.meta or {})
        if status == "completed":
            if meta.get("recording_sid") == recording_sid and meta.get("recording") in ("queued", "stored"):
                return "", 204  # a duplicate callback: this recording is already being fetched or stored
            meta.update(recording_sid=recording_sid, recording="queued")
            call.meta = meta
            session.commit()
            _schedule_fetch(call_sid, recording_sid, _float(request.form.get("RecordingDuration")))
            return "", 204
        if status in ("absent", "failed"):
            reason = f"Twilio: rekaman {status}" + (f" (kode {request.form['ErrorCode']})" if request.form.get("ErrorCode") else "")
            if call.audio_path is None:
                call.status, call.error = CallStatus.NO_AUDIO.value, reason
            call.meta = dict(meta, recording=status, recording_sid=recording_sid)
            session.commit()
            _use_stream_audio(session, state, call)
            return "", 204
    return "", 204  # in-progress and other events need nothing


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


def _use_stream_audio(session: Session, state: Any, call: Call) -> None:
    """No recording, but the media stream's audio was kept: transcribe that instead."""
    path = (call.meta or {}).get("stream_audio")
    if call.audio_path or not path:
        return
    data = (state.settings.audio_dir / path).read_bytes()
    call, created = receive_call(session, state.settings, IncomingAudio(
        data, Channel.PHONE, external_id=call.external_id, filename=f"{call.external_id}-stream.wav"))
    call.meta = dict(call.meta or {}, audio_from="stream")
    session.commit()
    if created:
        state.jobs.enqueue_call(call.id)


def _schedule_fetch(call_sid: str, recording_sid: str, duration_s: float | None) -> None:
    """Download the recording in a retried job: Twilio may still be preparing the file."""
    current_app.extensions["suara"].jobs.fetch_recording_task(call_sid, recording_sid, duration_s)


@bp.post("/status")
@twilio_signed
def call_status() -> tuple[str, int]:
    """statusCallback of the call: note how and when it ended."""
    call_sid = request.form.get("CallSid", "")
    with _db() as session:
        call = _call_by_sid(session, call_sid)
        if call is not None:
            call.ended_at = call.ended_at or utcnow()
            call.meta = dict(call.meta or {}, call_status=request.form.get("CallStatus"),
                             call_duration_s=_float(request.form.get("CallDuration")))
            session.commit()
    return "", 204


# -- status lookup and rating --------------------------------------------------------------------

def find_complaint(session: Session, digits: str) -> tuple[Call | None, Complaint | None]:
    """The call and complaint a caller means by the digits they typed: a call reference or a complaint number."""
    digits = re.sub(r"\D", "", digits)
    if not digits:
        return None, None
    call = session.get(Call, int(digits)) if len(digits) <= 12 else None
    if call is not None and call.channel == Channel.PHONE.value:
        return call, call.draft
    candidates = session.scalars(select(Complaint).where(Complaint.reference.like(f"%{digits[-4:]}"))).all()
    for complaint in candidates:
        if re.sub(r"\D", "", complaint.reference or "") == digits:
            return complaint.call, complaint
    return None, None


@bp.post("/status-lookup")
@twilio_signed
def status_lookup() -> Response:
    response = VoiceResponse()
    with _db() as session:
        call, complaint = find_complaint(session, request.form.get("Digits", ""))
        if call is None and complaint is None:
            _say(response, "tidak_ditemukan")
        else:
            status = complaint.status if complaint is not None else "draft"
            name = f"status_{status}"
            _say(response, name if name in PROMPTS else "status_draft")
    _say(response, "sampai_jumpa")
    response.hangup()
    return _twiml(response)


def _same_number(a: str | None, b: str | None) -> bool:
    def norm(n: str | None) -> str:
        digits = re.sub(r"\D", "", n or "")
        return "62" + digits[1:] if digits.startswith("0") else digits

    return bool(norm(a)) and norm(a) == norm(b)


def _rating_refusal(complaint: Complaint | None, caller: str | None) -> str | None:
    if complaint is None:
        return "tidak_ditemukan"
    if complaint.status not in satisfaction.RATEABLE_STATUSES:
        return "belum_selesai"
    reporter = {complaint.reporter_phone, complaint.call.caller_number if complaint.call else None}
    if not any(_same_number(caller, number) for number in reporter):
        return "bukan_pelapor"
    return None


@bp.post("/rate")
@twilio_signed
def rate_lookup() -> Response:
    response = VoiceResponse()
    with _db() as session:
        _, complaint = find_complaint(session, request.form.get("Digits", ""))
        refusal = _rating_refusal(complaint, request.form.get("From"))
        if refusal is None:
            gather = response.gather(num_digits=1, timeout=8, action=_action("twilio.rate", complaint_id=complaint.id), method="POST")
            _say(gather, "nilai_1", "nilai_2", "nilai_3", "nilai_4")
        else:
            _say(response, refusal)
    _say(response, "sampai_jumpa")
    response.hangup()
    return _twiml(response)


@bp.post("/rate/<int:complaint_id>")
@twilio_signed
def rate(complaint_id: int) -> Response:
    response = VoiceResponse()
    rating = satisfaction.PHONE_RATINGS.get(request.form.get("Digits", ""))
    with _db() as session:
        complaint = session.get(Complaint, complaint_id)
        refusal = _rating_refusal(complaint, request.form.get("From")) or (None if rating else "pilihan_salah")
        if refusal is None:
            try:
                satisfaction.rate(session, complaint, rating, satisfaction.RatingSource.PHONE)
            except satisfaction.RatingLocked:
                refusal = "nilai_terkunci"
        if refusal is None:
            session.commit()
            log.info("complaint %s rated %s by phone", complaint_id, rating)
            _say(response, "nilai_diterima")
        else:
            _say(response, refusal)
    _say(response, "sampai_jumpa")
    response.hangup()
    return _twiml(response)


# -- prompts -------------------------------------------------------------------------------------

@bp.get("/prompts/<name>.wav")
def prompt(name: str) -> Response:
    """A recorded prompt (public: Twilio fetches these without a signature)."""
    path = prompt_path(name)
    if path is None:
        abort(404)
    return send_file(path, mimetype="audio/wav", max_age=86400)


# -- Media Streams -------------------------------------------------------------------------------

@bp.before_request
def _stream_signed() -> Response | None:
    """Refuse (403) a media stream whose signature is missing or wrong, before the websocket is accepted:
    a close frame sent after the upgrade can be lost to a reset, a refused handshake cannot."""
    if request.endpoint != "twilio.stream":
        return None
    url = _stream_url() + (f"?{request.query_string.decode('latin-1')}" if request.query_string else "")
    if signature_valid(url, {}):
        return None
    log.warning("forged or unsigned media stream from %s", request.remote_addr)
    return Response("forbidden", status=403, mimetype="text/plain")


@sock.route("/stream", bp=bp)
def stream(ws) -> None:  # noqa: ANN001 - simple_websocket.Server
    """Live audio of a call being recorded: μ-law 8 kHz frames to the recognizer; the audio is kept.
    Its signature was checked by `_stream_signed`."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    handler = MediaStreamHandler(app)
    try:
        while (raw := ws.receive(timeout=STREAM_IDLE_S)) is not None:
            if not handler.handle(raw):
                break
    finally:
        handler.finish()


def _object(value: Any) -> dict[str, Any]:
    """A JSON object of a message, or an empty one for anything else (a list, a number, null)."""
    return value if isinstance(value, dict) else {}


class MediaStreamHandler:
    """One media stream: parses Twilio's JSON messages; I/O stays in the websocket route."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.extensions["suara"]
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
        message = _object(message)
        event = message.get("event")
        if event == "start" and self.session is None:
            start = _object(message.get("start"))
            call_sid = str(start.get("callSid", ""))
            if not CALL_SID.match(call_sid):
                log.warning("media stream without a valid callSid")
                return False
            caller = _object(start.get("customParameters")).get("caller")
            self.call_sid = call_sid
            self.session = CallSession(call_sid, 8000, "mulaw", self._engine(), registry_for(self.app), source="twilio",
                                       caller_number=caller if isinstance(caller, str) and caller else None,
                                       max_s=self.state.settings.max_audio_s)
        elif event == "media" and self.session is not None:
            media = _object(message.get("media"))
            payload = media.get("payload", "")
            if media.get("track", "inbound") != "inbound":
                return True
            try:
                if not isinstance(payload, str):
                    raise ValueError(f"payload of type {type(payload).__name__}")
                self.session.push(base64.b64decode(payload, validate=True))
            except (binascii.Error, ValueError):
                log.warning("media stream %s: bad base64 payload", self.call_sid)
        elif event == "stop":
            return False
        return True

    def _engine(self):  # noqa: ANN202
        from transcribe.engines import load_engine

        try:
            return load_engine(self.state.settings)
        except ModelError as exc:
            log.warning("no live transcript: %s", exc)
            return None

    def finish(self) -> None:
        """Keep the stream's audio on the call, in case the recording never arrives."""
        if self.session is None or self.call_sid is None:
            return
        result = self.session.close()
        if not len(result.samples):
            return
        settings = self.state.settings
        relative, _ = store_audio(settings, wav_bytes(result.samples), ".wav")
        with self.state.sessions() as session:
            call = _pending_call(session, self.call_sid, self.session.caller_number)
            call.meta = dict(call.meta or {}, stream_audio=relative, stream_text=result.text[:4000])
            session.commit()
            if call.meta.get("recording") in ("absent", "failed", "download_failed"):
                _use_stream_audio(session, self.state, call)
            registry_for(self.app).stored(self.call_sid, call.id)
