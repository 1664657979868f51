"""The two WhatsApp providers behind one interface: what their webhooks deliver (parsed into `IncomingMessage`),
how their signatures are checked, and their APIs for fetching media and sending a text.

Twilio: form fields, `X-Twilio-Signature`, media by URL on the configured API host, replies via Messages.json.
Meta's WhatsApp Cloud API: JSON, `X-Hub-Signature-256` (HMAC-SHA256 of the body with the app secret), media by id
(then its short-lived URL, with the same token), replies via `/<phone-number-id>/messages`. Retrying is the
caller's business (voice/whatsapp.py keeps the schedules in the database). Credentials only ever go to the
configured API host (Twilio: only the path of the URL a webhook names is used), or to the https media URL Meta's own
API named in an authenticated answer.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Protocol
from urllib.parse import urlsplit

import requests

from models import phone
from models.config import Settings
from models.errors import SuaraError
from voice.twilio_client import provider_message

RETRY_STATUSES = {404, 408, 425, 429, 500, 502, 503, 504}
"""404: Twilio answers it until a media file is ready; the others are temporary."""
TWILIO_MEDIA_PATH = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages/(MM|SM)[0-9a-fA-F]{32}/Media/ME[0-9a-fA-F]{32}$")
MAX_MEDIA_BYTES = 16 * 1024 * 1024
"""WhatsApp's own limit for audio and video; documents above this are refused."""
MAX_TEXT_CHARS = 4000


class WhatsAppError(SuaraError):
    code = "whatsapp_error"
    message_id = "Layanan WhatsApp tidak dapat dihubungi."
    http_status = 502


class WhatsAppNotReady(WhatsAppError):
    """A temporary failure (the provider is down or busy, the file is not ready): try again later."""

    code = "whatsapp_not_ready"


# -- what arrives --------------------------------------------------------------------------------

@dataclass(frozen=True)
class IncomingMessage:
    """One message as a provider delivered it, before anything is stored."""

    provider: str
    message_id: str
    sender: str
    """E.164."""
    body: str = ""
    media_ref: str | None = None
    """Twilio: the media URL; Meta: the media id."""
    media_type: str | None = None
    filename: str | None = None


def parse_twilio(form: dict[str, str]) -> list[IncomingMessage]:
    """Twilio's webhook form: one message, with NumMedia files (each becomes its own message row)."""
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    sender = phone.to_e164((form.get("From") or "").removeprefix("whatsapp:"))
    if not re.fullmatch(r"(SM|MM)[0-9a-fA-F]{32}", sid) or sender is None:
        return []
    body = (form.get("Body") or "").strip()[:MAX_TEXT_CHARS]
    try:
        count = max(0, min(int(form.get("NumMedia") or 0), 10))
    except ValueError:
        count = 0
    messages = [IncomingMessage("twilio", sid if i == 0 else f"{sid}/{i}", sender, body if i == 0 else "",
                                form.get(f"MediaUrl{i}"), (form.get(f"MediaContentType{i}") or "").lower() or None)
                for i in range(count) if form.get(f"MediaUrl{i}")]
    return messages or ([IncomingMessage("twilio", sid, sender, body)] if body else [])


META_MEDIA = {"audio": "audio", "voice": "audio", "image": "image", "document": "document", "video": "video", "sticker": "sticker"}


def _meta_items(payload: Any, key: str) -> Iterator[Any]:
    """Every item of `entry[].changes[].value.<key>[]` in Meta's webhook JSON; unknown shapes give nothing."""
    entries = payload.get("entry") if isinstance(payload, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        changes = entry.get("changes") if isinstance(entry, dict) else None
        for change in changes if isinstance(changes, list) else []:
            value = change.get("value") if isinstance(change, dict) else None
            items = value.get(key) if isinstance(value, dict) else None
            yield from items if isinstance(items, list) else []


def parse_meta(payload: Any) -> list[IncomingMessage]:
    """The messages in Meta's webhook JSON (`messages`); statuses and unknown shapes give nothing."""
    return [parsed for message in _meta_items(payload, "messages") if (parsed := _meta_message(message))]


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's word on a message the regency sent: its id, the status, and the error code when it failed."""

    provider: str
    message_id: str
    status: str
    error_code: str | None = None

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "undelivered")


def parse_twilio_status(form: dict[str, str]) -> DeliveryReport | None:
    """Twilio's status callback form (MessageSid, MessageStatus, ErrorCode)."""
    sid, status = form.get("MessageSid") or form.get("SmsSid") or "", (form.get("MessageStatus") or "").lower()
    if not re.fullmatch(r"(SM|MM)[0-9a-fA-F]{32}", sid) or not re.fullmatch(r"[a-z_]{1,20}", status):
        return None
    code = form.get("ErrorCode") or None
    return DeliveryReport("twilio", sid, status, code[:12] if code else None)


def parse_meta_statuses(payload: Any) -> list[DeliveryReport]:
    """The delivery reports in Meta's webhook JSON (`statuses`, with `errors` when one failed)."""
    out: list[DeliveryReport] = []
    for update in _meta_items(payload, "statuses"):
        if not isinstance(update, dict) or not isinstance(update.get("id"), str) or not isinstance(update.get("status"), str):
            continue
        errors = update.get("errors")
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}
        code = first.get("code")
        out.append(DeliveryReport("meta", update["id"][:120], update["status"][:20], str(code)[:12] if code is not None else None))
    return out


def _meta_message(message: Any) -> IncomingMessage | None:
    if not isinstance(message, dict):
        return None
    mid, sender, kind = message.get("id"), phone.to_e164("+" + str(message.get("from") or "")), message.get("type")
    if not isinstance(mid, str) or not mid or len(mid) > 120 or sender is None:
        return None
    if kind == "text":
        text = message.get("text")
        body = text.get("body") if isinstance(text, dict) else None
        return IncomingMessage("meta", mid, sender, str(body or "").strip()[:MAX_TEXT_CHARS]) if body else None
    media = message.get(kind) if kind in META_MEDIA else None
    if not isinstance(media, dict) or not isinstance(media.get("id"), str):
        return None
    caption = str(media.get("caption") or "").strip()[:MAX_TEXT_CHARS]
    filename = media.get("filename") if isinstance(media.get("filename"), str) else None
    return IncomingMessage("meta", mid, sender, caption, media["id"][:200], str(media.get("mime_type") or "").lower() or None,
                           filename[:200] if filename else None)


def meta_signature_valid(app_secret: str | None, body: bytes, header: str | None) -> bool:
    """`X-Hub-Signature-256: sha256=<hex>` over the raw body with the app secret."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


# -- the providers' APIs -------------------------------------------------------------------------

@dataclass(frozen=True)
class Media:
    data: bytes
    content_type: str


class WhatsAppProvider(Protocol):
    """What the jobs need of a provider: fetch a message's media, send a text or an approved template (outside
    WhatsApp's 24-hour window); sending returns the provider's message id."""

    name: str

    def fetch_media(self, media_ref: str) -> Media: ...

    def send_text(self, to: str, body: str) -> str: ...

    def send_template(self, to: str, template: str, values: list[str]) -> str: ...

    def close(self) -> None: ...


class _HttpProvider:
    timeout_s = 30.0

    def __init__(self) -> None:
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    def __enter__(self):  # noqa: ANN204
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.http.request(method, url, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise WhatsAppNotReady(f"penyedia tidak dapat dihubungi ({type(exc).__name__})") from exc
        if response.status_code in RETRY_STATUSES:
            raise WhatsAppNotReady(f"penyedia menjawab HTTP {response.status_code}")
        if response.status_code not in (200, 201):
            raise WhatsAppError(f"penyedia menolak: HTTP {response.status_code} {provider_message(response)}".strip())
        return response

    def _download(self, url: str) -> Media:
        """A media file, read in blocks and refused past MAX_MEDIA_BYTES (never held whole before the check)."""
        response = self._request("GET", url, stream=True)
        with response:
            if int(response.headers.get("Content-Length") or 0) > MAX_MEDIA_BYTES:
                raise WhatsAppError(f"berkas terlalu besar ({int(response.headers['Content-Length']) // 1024} KB)")
            data = bytearray()
            try:
                for block in response.iter_content(64 * 1024):
                    data += block
                    if len(data) > MAX_MEDIA_BYTES:
                        raise WhatsAppError(f"berkas lebih dari {MAX_MEDIA_BYTES // (1024 * 1024)} MB")
            except requests.RequestException as exc:
                raise WhatsAppNotReady(f"unduhan terputus ({type(exc).__name__})") from exc
        if not data:
            raise WhatsAppNotReady("berkas kosong")
        return Media(bytes(data), (response.headers.get("Content-Type") or "").split(";")[0].strip().lower())


class TwilioWhatsApp(_HttpProvider):
    """Twilio's Messages API with the account SID and auth token (HTTP Basic)."""

    name = "twilio"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        if not settings.twilio_account_sid or not settings.twilio_auth_token:
            raise WhatsAppError("SUARA_TWILIO_ACCOUNT_SID atau SUARA_TWILIO_AUTH_TOKEN belum diisi")
        self.settings = settings
        self.http.auth = (settings.twilio_account_sid, settings.twilio_auth_token)
        self.base = settings.twilio_api_base.rstrip("/")

    def media_url(self, media_ref: str) -> str:
        """The media URL on the configured API host: only the path of the URL Twilio sent is used, and it must
        name this account's media."""
        path = urlsplit(media_ref).path
        match = TWILIO_MEDIA_PATH.match(path)
        if match is None or match.group(1) != self.settings.twilio_account_sid:
            raise WhatsAppError("alamat media Twilio tidak dikenal")
        return self.base + path

    def fetch_media(self, media_ref: str) -> Media:
        return self._download(self.media_url(media_ref))

    def send_text(self, to: str, body: str) -> str:
        return self._send(to, {"Body": body[:1600]})

    def send_template(self, to: str, template: str, values: list[str]) -> str:
        """A Content API template by its SID, its variables {{1}} … filled in by Twilio."""
        return self._send(to, {"ContentSid": template,
                               "ContentVariables": json.dumps({str(n): v for n, v in enumerate(values, 1)})})

    def _send(self, to: str, content: dict[str, str]) -> str:
        sender = (self.settings.whatsapp_from or "").removeprefix("whatsapp:")
        e164 = phone.to_e164(to)
        if not sender or e164 is None:
            raise WhatsAppError("SUARA_WHATSAPP_FROM atau nomor tujuan tidak sah")
        data = {"From": f"whatsapp:{sender}", "To": f"whatsapp:{e164}", **content}
        if self.settings.public_url:  # Twilio reports there whether WhatsApp delivered it (or refused it later)
            data["StatusCallback"] = f"{self.settings.public_url}/twilio/whatsapp/status"
        response = self._request("POST", f"{self.base}/2010-04-01/Accounts/{self.settings.twilio_account_sid}/Messages.json",
                                 data=data)
        return str(response.json().get("sid", ""))


class MetaWhatsApp(_HttpProvider):
    """Meta's WhatsApp Cloud API (Graph API) with the system user's access token (Bearer)."""

    name = "meta"

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        if not settings.meta_access_token or not settings.meta_phone_number_id:
            raise WhatsAppError("SUARA_META_ACCESS_TOKEN atau SUARA_META_PHONE_NUMBER_ID belum diisi")
        self.settings = settings
        self.http.headers["Authorization"] = f"Bearer {settings.meta_access_token}"
        self.base = settings.meta_graph_base.rstrip("/")

    def fetch_media(self, media_ref: str) -> Media:
        """Two steps, as Meta documents them: the media id gives a short-lived URL, fetched with the same token."""
        if not re.fullmatch(r"[0-9A-Za-z_.-]{1,200}", media_ref):
            raise WhatsAppError("id media Meta tidak sah")
        info = self._request("GET", f"{self.base}/{media_ref}").json()
        url = info.get("url") if isinstance(info, dict) else None
        # the token goes with the download, so only to an https URL (or to the configured Graph host itself)
        if not isinstance(url, str) or not (urlsplit(url).scheme == "https" or urlsplit(url).netloc == urlsplit(self.base).netloc):
            raise WhatsAppError("Meta tidak memberi alamat media https")
        if int(info.get("file_size") or 0) > MAX_MEDIA_BYTES:
            raise WhatsAppError("berkas terlalu besar")
        media = self._download(url)
        return replace(media, content_type=media.content_type or str(info.get("mime_type") or ""))

    def send_text(self, to: str, body: str) -> str:
        return self._send(to, {"type": "text", "text": {"preview_url": False, "body": body[:4096]}})

    def send_template(self, to: str, template: str, values: list[str]) -> str:
        """An approved template by name, in the configured language, its body's {{1}} … filled in."""
        return self._send(to, {"type": "template", "template": {
            "name": template, "language": {"code": self.settings.whatsapp_template_language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": v} for v in values]}],
        }})

    def _send(self, to: str, content: dict[str, Any]) -> str:
        e164 = phone.to_e164(to)
        if e164 is None:
            raise WhatsAppError("nomor tujuan tidak sah")
        response = self._request("POST", f"{self.base}/{self.settings.meta_phone_number_id}/messages", json={
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": e164.lstrip("+"), **content,
        })
        messages = response.json().get("messages") or [{}]
        return str(messages[0].get("id", ""))


PROVIDERS: dict[str, Callable[[Settings], WhatsAppProvider]] = {"twilio": TwilioWhatsApp, "meta": MetaWhatsApp}


def provider_for(settings: Settings, name: str | None = None) -> WhatsAppProvider:
    """The provider a message came through (or the configured one, for replies)."""
    name = name or settings.whatsapp_provider
    if name not in PROVIDERS:
        raise WhatsAppError("SUARA_WHATSAPP_PROVIDER belum diisi ('twilio' atau 'meta')")
    return PROVIDERS[name](settings)


