"""Twilio voice webhooks (and Twilio-compatible providers): TwiML menu in Indonesian, recording and call
status callbacks, the Media Streams websocket, and the recorded prompts. The call session itself (the call row
from the first webhook, its code, the stream) is in `voice/phone_calls.py`; this module speaks HTTP and TwiML.

Every webhook and the websocket handshake must carry a valid `X-Twilio-Signature` computed over the
public URL (`SUARA_PUBLIC_URL`, so it is right behind a reverse proxy); anything else gets 403. The
recording itself is fetched by a job, never inside the webhook.
"""

from __future__ import annotations

import logging
import threading
import time
from functools import wraps
from pathlib import Path
from typing import Any, Callable, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, request, send_file, url_for
from flask_sock import Sock
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, Start, VoiceResponse

from models import satisfaction
from models.db import retrying
from models.call_state import caller_status
from models.config import Settings
from models.entities import Call, Complaint
from voice import phone_calls, recordings
from voice.jobs import voice_jobs
from voice.live import registry_for
from voice.phone_calls import MediaStreamHandler
from voice.prompts import PROMPT_DIR, PROMPTS, custom_prompt_dir, prompt_path
from voice.recordings import RECORD_MAX_S
from voice.twilio_client import CALL_SID, RECORDING_SID
from web.state import state

log = logging.getLogger(__name__)

bp = Blueprint("twilio", __name__, url_prefix="/twilio")
sock = Sock()
"""Routes are attached to the blueprint (`sock.route(..., bp=bp)`); nothing to bind to the app."""
F = TypeVar("F", bound=Callable[..., Any])

LANGUAGE = "id-ID"
WEBHOOK_OUTAGE_S = 10.0
"""A webhook waits this long for an unreachable database (within Twilio's 15 s timeout)."""
STREAM_IDLE_S = 60.0


@bp.record_once
def _on_register(setup) -> None:  # noqa: ANN001 - flask.blueprints.BlueprintSetupState
    from web import csrf

    registry_for(setup.app)
    csrf.exempt(bp)  # Twilio cannot send a CSRF token; the signature authenticates instead


# -- signatures ----------------------------------------------------------------------------------

def _settings() -> Settings:
    return state().settings


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
        # Twilio does not send a callback again: ride out a database restart (every view is safe to repeat)
        return retrying(lambda: view(*args, **kwargs), WEBHOOK_OUTAGE_S, f"Twilio {request.path}")

    return wrapped  # type: ignore[return-value]


# -- TwiML helpers -------------------------------------------------------------------------------

def _twiml(response: VoiceResponse) -> Response:
    return Response(str(response), mimetype="text/xml")


def _prompt_dir() -> Path:
    return custom_prompt_dir(_settings().data_dir)


def _say(node: VoiceResponse | Gather, *names: str) -> None:
    """Play the recorded prompts, falling back to text-to-speech for any that is missing. An uploaded
    prompt's URL carries its version, so Twilio's cache does not keep playing the old recording."""
    for name in names:
        path = prompt_path(name, _prompt_dir())
        if path is None:
            node.say(PROMPTS[name], language=LANGUAGE)
        elif path.parent == PROMPT_DIR:
            node.play(public_url(url_for("twilio.prompt", name=name)))
        else:
            node.play(public_url(url_for("twilio.prompt", name=name, v=int(path.stat().st_mtime))))


def _say_digits(node: VoiceResponse, digits: str) -> None:
    _say(node, *(f"angka_{d}" for d in digits))


def _action(endpoint: str, **values: Any) -> str:
    return public_url(url_for(endpoint, **values))


def _db() -> Session:
    return state().sessions()


def _caller() -> str | None:
    return request.form.get("From") or None


def _call_sid() -> str:
    """The request's CallSid; 400 when it is not one."""
    call_sid = request.form.get("CallSid", "")
    if not CALL_SID.match(call_sid):
        abort(400)
    return call_sid


# -- incoming call and menu ----------------------------------------------------------------------

TRIES = 3
"""A question is asked at most this often: silence or a wrong key gets two more chances, then goodbye."""


@bp.post("/voice")
@twilio_signed
def voice() -> Response:
    with _db() as session:
        phone_calls.ring(session, _call_sid(), _caller())
        session.commit()
    response = VoiceResponse()
    _say(response, "salam", "persetujuan")
    _ask(response, "twilio.menu", 0, ("menu_1", "menu_2", "menu_3"), num_digits=1, timeout=8)
    return _twiml(response)


def _tries() -> int:
    return max(0, min(request.args.get("tries", 0, type=int), TRIES))


def _ask(response: VoiceResponse, endpoint: str, tries: int, prompts: tuple[str, ...], values: dict[str, Any] | None = None,
         **gather_args: Any) -> None:
    """A <Gather> answered at `endpoint`; on silence Twilio goes past it, to the same endpoint without Digits,
    so every try (key or silence) is counted in one place."""
    target = _action(endpoint, **(values or {}), **({"tries": tries} if tries else {}))
    gather = response.gather(action=target, method="POST", **gather_args)
    _say(gather, *prompts)
    response.redirect(target, method="POST")


def _ask_again(response: VoiceResponse, endpoint: str, tries: int, apology: str, prompts: tuple[str, ...],
               values: dict[str, Any] | None = None, **gather_args: Any) -> None:
    """After silence or a wrong entry: apologise and ask again, or say goodbye after the last try."""
    _say(response, apology)
    if tries + 1 < TRIES:
        _ask(response, endpoint, tries + 1, prompts, values, **gather_args)
    else:
        _goodbye(response)


def _goodbye(response: VoiceResponse) -> None:
    _say(response, "sampai_jumpa")
    response.hangup()


NUMBER_ENTRY = dict(finish_on_key="#", timeout=10)


@bp.post("/menu")
@twilio_signed
def menu() -> Response:
    choice = request.form.get("Digits", "")
    response = VoiceResponse()
    if choice == "1":
        _record(response, 0)
    elif choice in ("2", "3"):
        with _db() as session:
            phone_calls.menu_choice(session, _call_sid(), _caller(), choice)
            session.commit()
        endpoint = "twilio.status_lookup" if choice == "2" else "twilio.rate_lookup"
        _ask(response, endpoint, 0, ("masukkan_nomor",), **NUMBER_ENTRY)
    else:
        _ask_again(response, "twilio.menu", _tries(), "pilihan_salah" if choice else "tidak_ada_pilihan",
                   ("menu_1", "menu_2", "menu_3"), num_digits=1, timeout=8)
    return _twiml(response)


def _record(response: VoiceResponse, take: int) -> None:
    """Record the complaint (take 0, or again after an empty recording) with the live stream beside it."""
    with _db() as session:
        phone_calls.start_recording(session, _call_sid(), _caller())
        session.commit()
    start = Start()
    stream = start.stream(url=_stream_url(), track="inbound_track")
    stream.parameter(name="caller", value=request.form.get("From", ""))
    response.append(start)
    _say(response, "rekam", "rekam_selesai")
    recorded_url = _action("twilio.recorded", **({"tries": take} if take else {}))
    response.record(
        max_length=RECORD_MAX_S, finish_on_key="#", play_beep=True, timeout=10,
        action=recorded_url, method="POST",
        recording_status_callback=_action("twilio.recording"), recording_status_callback_method="POST",
        recording_status_callback_event="completed absent",
    )
    # Twilio skips the action when nothing was recorded: the caller must still hear what happened
    response.redirect(recorded_url, method="POST")


def _stream_url() -> str:
    # Flask builds websocket rules as absolute ws:// URLs; only their path is ours to use.
    parts = urlsplit(public_url(urlsplit(url_for("twilio.stream")).path))
    return parts._replace(scheme="wss" if parts.scheme == "https" else "ws").geturl()


def _nothing_recorded() -> bool:
    duration = _float(request.form.get("RecordingDuration"))
    return not request.form.get("RecordingUrl") or not duration


@bp.post("/recorded")
@twilio_signed
def recorded() -> Response:
    """After <Record>: the call reference, twice; or, when nothing was recorded, the offer to record again."""
    response = VoiceResponse()
    with _db() as session:
        call = recordings.call_by_sid(session, request.form.get("CallSid", ""))
        reference = call.code if call is not None else None
        if call is not None and not _nothing_recorded():
            _announce(session, call)
    if reference is None:
        _say(response, "tidak_ada_rekaman")
        _goodbye(response)
    elif _nothing_recorded():
        _ask_again(response, "twilio.record_again", _tries(), "rekaman_kosong", ("rekam_ulang",), num_digits=1, timeout=8)
    else:
        _say(response, "terima_kasih", "nomor_anda")
        _say_digits(response, reference)
        _say(response, "ulangi_nomor")
        _say_digits(response, reference)
        _goodbye(response)
    return _twiml(response)


@bp.post("/record-again")
@twilio_signed
def record_again() -> Response:
    response = VoiceResponse()
    if request.form.get("Digits") == "1":
        _record(response, _tries())
    else:
        _say(response, "tidak_ada_rekaman")
        _goodbye(response)
    return _twiml(response)


# -- recording and call status callbacks ---------------------------------------------------------

@bp.post("/recording")
@twilio_signed
def recording() -> tuple[str, int]:
    """recordingStatusCallback: fetch a completed recording in a job; absent/failed ones fall back to the
    stream's audio or close the call with the reason. A re-sent callback drives a stalled download again."""
    call_sid, recording_sid = request.form.get("CallSid", ""), request.form.get("RecordingSid", "")
    status = request.form.get("RecordingStatus", "")
    if not CALL_SID.match(call_sid) or not RECORDING_SID.match(recording_sid):
        abort(400)
    with _db() as session:
        call = phone_calls.pending_call(session, call_sid, _caller())
        if status == "completed":
            _announce(session, call)
        elif status in ("absent", "failed"):
            call_id = recordings.recording_missing(session, call, recording_sid, status, request.form.get("ErrorCode"))
            session.commit()
            if call_id is not None:
                phone_calls.enqueue_softly(lambda: state().jobs.enqueue_call(call_id), call_id)
    return "", 204  # in-progress and other events need nothing


def _announce(session: Session, call: Call) -> None:
    """A completed recording, from its status callback or from the <Record> action (which names it too:
    the download starts even if the callback never comes)."""
    recording_sid = request.form.get("RecordingSid", "")
    if not RECORDING_SID.match(recording_sid):
        return
    duration_s = _float(request.form.get("RecordingDuration"))
    drive = recordings.announce(session, _settings(), call, recording_sid, duration_s)
    session.commit()
    if drive:
        phone_calls.enqueue_softly(
            lambda: voice_jobs(state().jobs).fetch_recording(call.external_id, recording_sid, duration_s), call.id)


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None


@bp.post("/status")
@twilio_signed
def call_status() -> tuple[str, int]:
    """statusCallback of the call: note how and when it ended (the recording deadline counts from then); a
    caller who hung up at the menu leaves an abandoned call."""
    with _db() as session:
        phone_calls.call_ended(session, request.form.get("CallSid", ""), request.form.get("CallStatus"),
                               _float(request.form.get("CallDuration")))
        session.commit()
    return "", 204


# -- status lookup and rating --------------------------------------------------------------------

def _ask_number_again(response: VoiceResponse, endpoint: str) -> Response:
    """Nothing found for the digits typed (or none typed): apologise and ask again, or goodbye after the last try."""
    apology = "tidak_ditemukan" if request.form.get("Digits") else "tidak_ada_pilihan"
    _ask_again(response, endpoint, _tries(), apology, ("masukkan_nomor",), **NUMBER_ENTRY)
    return _twiml(response)


@bp.post("/status-lookup")
@twilio_signed
def status_lookup() -> Response:
    response = VoiceResponse()
    with _db() as session:
        call, complaint = phone_calls.find_by_digits(session, request.form.get("Digits", ""), _caller())
        if call is None and complaint is None:
            return _ask_number_again(response, "twilio.status_lookup")
        name = f"status_{caller_status(call, complaint)}"
        _say(response, name if name in PROMPTS else "status_diproses")
    _goodbye(response)
    return _twiml(response)


RATING_PROMPTS = ("nilai_1", "nilai_2", "nilai_3", "nilai_4")


@bp.post("/rate")
@twilio_signed
def rate_lookup() -> Response:
    response = VoiceResponse()
    with _db() as session:
        _, complaint = phone_calls.find_by_digits(session, request.form.get("Digits", ""), _caller())
        refusal = phone_calls.rating_refusal(complaint, _caller())
        if refusal == "tidak_ditemukan":
            return _ask_number_again(response, "twilio.rate_lookup")
        if refusal is None:
            _ask(response, "twilio.rate", 0, RATING_PROMPTS, {"complaint_id": complaint.id}, num_digits=1, timeout=8)
            return _twiml(response)
        _say(response, refusal)
    _goodbye(response)
    return _twiml(response)


@bp.post("/rate/<int:complaint_id>")
@twilio_signed
def rate(complaint_id: int) -> Response:
    response = VoiceResponse()
    digits = request.form.get("Digits", "")
    rating = satisfaction.PHONE_RATINGS.get(digits)
    with _db() as session:
        complaint = session.get(Complaint, complaint_id)
        refusal = phone_calls.rating_refusal(complaint, _caller())
        if refusal is None and rating is None:
            _ask_again(response, "twilio.rate", _tries(), "pilihan_salah" if digits else "tidak_ada_pilihan",
                       RATING_PROMPTS, {"complaint_id": complaint_id}, num_digits=1, timeout=8)
            return _twiml(response)
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
    _goodbye(response)
    return _twiml(response)


# -- prompts -------------------------------------------------------------------------------------

@bp.get("/prompts/<name>.wav")
def prompt(name: str) -> Response:
    """A recorded prompt (public: Twilio fetches these without a signature)."""
    path = prompt_path(name, _prompt_dir())
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
    handler = stream_handler(current_app._get_current_object())  # type: ignore[attr-defined]
    heard = time.monotonic()
    try:
        while not STOPPING.is_set():
            raw = ws.receive(timeout=STREAM_POLL_S)
            if raw is None:
                if time.monotonic() - heard > STREAM_IDLE_S:
                    break
                continue
            heard = time.monotonic()
            if not handler.handle(raw):
                break
    finally:
        handler.finish()


STREAM_POLL_S = 0.5
STOPPING = threading.Event()
"""Set when this server process is asked to stop: open media streams end within STREAM_POLL_S, their audio is
stored, and a restart does not wait out gunicorn's graceful timeout (Twilio goes on recording the call)."""


def stop_streams() -> None:
    STOPPING.set()




def stream_handler(app: Any) -> MediaStreamHandler:
    """A handler for one media stream of `app`: the call session with the app's settings, database, jobs and
    live registry."""
    with app.app_context():
        app_state = state()
    return MediaStreamHandler(app_state.settings, app_state.sessions,
                              lambda call_id: app_state.jobs.enqueue_call(call_id), registry_for(app))
