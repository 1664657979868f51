"""Twilio's REST API, only what the phone channel needs: fetch a recording (retrying while Twilio is still
preparing it) and send a one-way SMS. Also the recording job: download, store, enqueue.

URLs are built from `settings.twilio_api_base` and validated SIDs, never taken from a callback, so the
account credentials are only ever sent to the configured API host.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Callable

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.config import Settings
from models.entities import Call, CallStatus, Channel
from models.errors import SuaraError
from models.refs import format_reference
from voice.intake import IncomingAudio, receive_call

log = logging.getLogger(__name__)

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
RETRY_STATUSES = {404, 429, 500, 502, 503, 504}
"""404: Twilio answers it until the recording is ready; the others are temporary."""


class TwilioError(SuaraError):
    code = "twilio_error"
    message_id = "Layanan Twilio tidak dapat dihubungi."
    http_status = 502


class TwilioNotConfigured(TwilioError):
    code = "twilio_not_configured"
    message_id = "Twilio belum dikonfigurasi (SUARA_TWILIO_ACCOUNT_SID, SUARA_TWILIO_AUTH_TOKEN)."


@dataclass(frozen=True)
class Backoff:
    """Retry schedule: `attempts` tries, waiting first_s, then doubling up to max_s."""

    attempts: int = 6
    first_s: float = 1.0
    max_s: float = 30.0

    def delays(self) -> list[float]:
        return [min(self.first_s * 2**i, self.max_s) for i in range(self.attempts - 1)]


class TwilioClient:
    """HTTP Basic auth with the account SID and auth token against `settings.twilio_api_base`."""

    def __init__(self, settings: Settings, backoff: Backoff = Backoff(), sleep: Callable[[float], None] = time.sleep,
                 timeout_s: float = 30.0) -> None:
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise TwilioNotConfigured("Twilio account SID or auth token not set")
        if not ACCOUNT_SID.match(settings.twilio_account_sid):
            raise TwilioNotConfigured(f"malformed account SID {settings.twilio_account_sid!r}")
        self.account_sid = settings.twilio_account_sid
        self.base = f"{settings.twilio_api_base.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}"
        self.sms_from = settings.twilio_sms_from
        self.backoff, self.sleep, self.timeout_s = backoff, sleep, timeout_s
        self.http = requests.Session()
        self.http.auth = (self.account_sid, settings.twilio_auth_token)

    def close(self) -> None:
        self.http.close()

    def recording_url(self, recording_sid: str) -> str:
        if not RECORDING_SID.match(recording_sid):
            raise TwilioError(f"malformed recording SID {recording_sid!r}")
        return f"{self.base}/Recordings/{recording_sid}.wav"

    def download_recording(self, recording_sid: str) -> bytes:
        """The recording as WAV bytes; retries 404 (not ready yet) and temporary errors with backoff."""
        url = self.recording_url(recording_sid)
        delays = self.backoff.delays()
        for attempt in range(len(delays) + 1):
            try:
                response = self.http.get(url, timeout=self.timeout_s)
            except requests.RequestException as exc:
                reason = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200 and response.content:
                    return response.content
                if response.status_code not in RETRY_STATUSES:
                    raise TwilioError(f"GET {url}: HTTP {response.status_code}")
                reason = f"HTTP {response.status_code}"
            if attempt < len(delays):
                log.info("recording %s not available (%s); retry in %.1f s", recording_sid, reason, delays[attempt])
                self.sleep(delays[attempt])
        raise TwilioError(f"recording {recording_sid} still unavailable after {len(delays) + 1} attempts ({reason})")

    def send_sms(self, to: str, body: str) -> str:
        """Send a one-way SMS from `twilio_sms_from`; returns the message SID."""
        if not self.sms_from:
            raise TwilioNotConfigured("SUARA_TWILIO_SMS_FROM not set")
        response = self.http.post(
            f"{self.base}/Messages.json", data={"To": to, "From": self.sms_from, "Body": body[:1600]}, timeout=self.timeout_s
        )
        if response.status_code not in (200, 201):
            raise TwilioError(f"SMS to {to}: HTTP {response.status_code}")
        return str(response.json().get("sid", ""))


def sms_configured(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_sms_from)


def send_reference_sms(settings: Settings, to: str | None, reference: str) -> str | None:
    """Tell the reporter the reference of their confirmed complaint, if SMS is configured; returns the SID."""
    if not to or not sms_configured(settings):
        return None
    client = TwilioClient(settings)
    try:
        return client.send_sms(
            to, f"Pengaduan Anda telah diterima Pemkab Bojonegoro dengan nomor {format_reference(reference)}. "
                "Cek status dengan menelepon layanan Suara Warga lalu tekan 2."
        )
    finally:
        client.close()


# -- the recording job ---------------------------------------------------------------------------

def fetch_recording(
    settings: Settings,
    sessions: sessionmaker[Session],
    enqueue: Callable[[int], None],
    call_sid: str,
    recording_sid: str,
    duration_s: float | None = None,
    client: TwilioClient | None = None,
) -> int | None:
    """Download a finished recording, store it on its call, enqueue the pipeline; idempotent on
    (CallSid, RecordingSid). Returns the call id, or None when the call already had this recording.

    Meant to run as a job (huey task or background thread): it blocks while Twilio prepares the file.
    """
    with sessions() as session:
        call = _call_by_sid(session, call_sid)
        if call is not None and call.audio_path and (call.meta or {}).get("recording_sid") == recording_sid:
            return None
    own_client = client is None
    client = client or TwilioClient(settings)
    try:
        data = client.download_recording(recording_sid)
    except TwilioError as exc:
        _mark_download_failed(sessions, call_sid, recording_sid, str(exc))
        raise
    finally:
        if own_client:
            client.close()
    with sessions() as session:
        call, created = receive_call(session, settings, IncomingAudio(
            data, Channel.PHONE, external_id=call_sid, filename=f"{recording_sid}.wav", duration_s=duration_s,
            meta={"source": "twilio", "recording_sid": recording_sid},
        ))
        meta = dict(call.meta or {})
        if created:
            meta.update(recording_sid=recording_sid, recording="stored")
            meta.pop("recording_error", None)
            call.meta = meta
            call.error = None
        session.commit()
        call_id = call.id
    if created:
        enqueue(call_id)
        log.info("twilio recording %s stored on call %s", recording_sid, call_id)
    return call_id if created else None


def _call_by_sid(session: Session, call_sid: str) -> Call | None:
    return session.scalars(select(Call).where(Call.channel == Channel.PHONE.value, Call.external_id == call_sid)).first()


def _mark_download_failed(sessions: sessionmaker[Session], call_sid: str, recording_sid: str, reason: str) -> None:
    with sessions() as session:
        call = _call_by_sid(session, call_sid)
        if call is not None and not call.audio_path:
            call.status = CallStatus.NO_AUDIO.value
            call.error = f"rekaman {recording_sid} gagal diunduh: {reason}"[:2000]
            call.meta = dict(call.meta or {}, recording="download_failed", recording_sid=recording_sid)
            session.commit()
