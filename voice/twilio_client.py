"""Twilio's REST API, only what the phone channel needs: fetch a recording once and send a one-way SMS.
Retrying is the caller's business (voice/recordings.py keeps the download schedule in the database).

URLs are built from `settings.twilio_api_base` and validated SIDs, never taken from a callback, so the
account credentials are only ever sent to the configured API host.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import requests

from models.config import Settings
from models.config_check import ACCOUNT_SID
from models.errors import SuaraError
from models.phone import mask, mask_numbers, to_e164
from models.refs import format_reference

log = logging.getLogger(__name__)

RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
RETRY_STATUSES = {404, 429, 500, 502, 503, 504}
"""404: Twilio answers it until the recording is ready; the others are temporary."""


class TwilioError(SuaraError):
    code = "twilio_error"
    message_id = "Layanan Twilio tidak dapat dihubungi."
    http_status = 502


class TwilioNotReady(TwilioError):
    """A temporary failure (the recording is still being prepared, the API is busy): try again later."""

    code = "twilio_not_ready"


class TwilioNotConfigured(TwilioError):
    code = "twilio_not_configured"
    message_id = "Twilio belum dikonfigurasi dengan benar (SUARA_TWILIO_ACCOUNT_SID, SUARA_TWILIO_AUTH_TOKEN)."


@dataclass(frozen=True)
class Backoff:
    """Retry schedule: `attempts` tries, waiting first_s after the first, then doubling up to max_s."""

    attempts: int = 12
    first_s: float = 2.0
    max_s: float = 60.0

    def delay_after(self, attempts_made: int) -> float | None:
        """Seconds to wait after `attempts_made` failed tries, or None when the schedule is used up."""
        if attempts_made >= self.attempts:
            return None
        return min(self.first_s * 2 ** (attempts_made - 1), self.max_s)

    @classmethod
    def for_recordings(cls, settings: Settings) -> "Backoff":
        return cls(attempts=settings.twilio_fetch_attempts, first_s=settings.twilio_fetch_first_s)


class TwilioClient:
    """HTTP Basic auth with the account SID and auth token against `settings.twilio_api_base`."""

    def __init__(self, settings: Settings, timeout_s: float = 30.0) -> None:
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise TwilioNotConfigured("SUARA_TWILIO_ACCOUNT_SID atau SUARA_TWILIO_AUTH_TOKEN belum diisi")
        if not ACCOUNT_SID.match(settings.twilio_account_sid):
            raise TwilioNotConfigured(f"SUARA_TWILIO_ACCOUNT_SID salah bentuk ({settings.twilio_account_sid[:6]!r}…)")
        self.account_sid = settings.twilio_account_sid
        self.base = f"{settings.twilio_api_base.rstrip('/')}/2010-04-01/Accounts/{self.account_sid}"
        self.sms_from = settings.twilio_sms_from
        self.timeout_s = timeout_s
        self.http = requests.Session()
        self.http.auth = (self.account_sid, settings.twilio_auth_token)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> "TwilioClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recording_url(self, recording_sid: str) -> str:
        if not RECORDING_SID.match(recording_sid):
            raise TwilioError(f"malformed recording SID {recording_sid!r}")
        return f"{self.base}/Recordings/{recording_sid}.wav"

    def get_recording(self, recording_sid: str) -> bytes:
        """The recording as WAV bytes. Raises TwilioNotReady for 404 (not ready yet) and temporary errors,
        TwilioError for anything that will not get better by waiting."""
        url = self.recording_url(recording_sid)
        try:
            response = self.http.get(url, timeout=self.timeout_s)
        except requests.RequestException as exc:
            log.info("GET %s: %s", url, exc)
            raise TwilioNotReady(f"penyedia tidak dapat dihubungi ({type(exc).__name__})") from exc
        if response.status_code == 200 and response.content:
            return response.content
        log.info("GET %s: HTTP %s", url, response.status_code)
        if response.status_code in RETRY_STATUSES or response.status_code == 200:
            raise TwilioNotReady(f"penyedia menjawab HTTP {response.status_code}")
        raise TwilioError(f"penyedia menolak: HTTP {response.status_code} {provider_message(response)}".strip())

    def send_sms(self, to: str, body: str) -> str:
        """Send a one-way SMS from `twilio_sms_from` to a number in any usual spelling; returns the message SID."""
        if not self.sms_from:
            raise TwilioNotConfigured("SUARA_TWILIO_SMS_FROM belum diisi")
        e164 = to_e164(to)
        if e164 is None:
            raise TwilioError(f"{mask(to)} bukan nomor telepon")
        try:
            response = self.http.post(
                f"{self.base}/Messages.json", data={"To": e164, "From": self.sms_from, "Body": body[:1600]},
                timeout=self.timeout_s,
            )
        except requests.RequestException as exc:
            raise TwilioNotReady(f"penyedia tidak dapat dihubungi ({type(exc).__name__})") from exc
        if response.status_code in RETRY_STATUSES:
            raise TwilioNotReady(f"penyedia sedang sibuk (HTTP {response.status_code})")
        if response.status_code not in (200, 201):
            raise TwilioError(f"penyedia menolak: HTTP {response.status_code} {provider_message(response)}".strip())
        return str(response.json().get("sid", ""))


def provider_message(response: requests.Response) -> str:
    """The provider's own explanation of a refusal, phone numbers masked: Twilio's `{"code": 21211, "message": …}`
    or Meta's `{"error": {"code": 131047, "message": …}}`."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    error = body.get("error") if isinstance(body.get("error"), dict) else body
    return mask_numbers(f"(kode {error.get('code')}: {error.get('message')})") if error.get("code") else ""


def sms_configured(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_sms_from)


def reference_sms_text(reference: str) -> str:
    return (f"Pengaduan Anda telah diterima Pemkab Bojonegoro dengan nomor {format_reference(reference)}. "
            "Cek status dengan menelepon layanan Suara Warga lalu tekan 2.")


def send_reference_sms(settings: Settings, to: str | None, reference: str) -> str | None:
    """Tell the reporter the reference of their confirmed complaint, if SMS is configured; returns the SID."""
    if not to or not sms_configured(settings):
        return None
    with TwilioClient(settings) as client:
        return client.send_sms(to, reference_sms_text(reference))
