"""Loopback fakes of the WhatsApp providers' APIs (Twilio's Messages API, Meta's Graph API), voice notes made
from synthesized Indonesian speech, and signing helpers; shared by tests/test_whatsapp.py and
scripts/bench_whatsapp.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import subprocess
import threading
import zlib
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qsl

from twilio.request_validator import RequestValidator

from tests.speech import synth_radio16k

ACCOUNT_SID = "AC" + "b2" * 16
AUTH_TOKEN = "e" * 32
PUBLIC_URL = "https://lapor.bojonegorokab.go.id"
META_TOKEN = "EAAG-uji-token"
META_SECRET = "rahasia-aplikasi-meta"
META_VERIFY = "verifikasi-suara-warga"
META_PHONE_ID = "109876543210"
SENDER = "+6281234567890"
WA_FROM = "+14155238886"


def voice_note(text: str, cache_dir: Path) -> bytes:
    """An OGG Opus voice note (16 kHz mono, as WhatsApp records them) of synthesized Indonesian speech."""
    key = hashlib.sha256(text.encode()).hexdigest()[:16]
    ogg = Path(cache_dir) / f"wa_{key}.ogg"
    if not ogg.exists():
        wav = synth_radio16k(text, Path(cache_dir) / f"wa_{key}.wav")
        subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(wav), "-c:a", "libopus", "-b:a", "24k",
                        "-ac", "1", "-ar", "16000", str(ogg)], check=True)
    return ogg.read_bytes()


def png_image(width: int = 4, height: int = 3) -> bytes:
    """A small real PNG (grey pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def twilio_signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def meta_signature(body: bytes, secret: str = META_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class FakeWhatsApp(ThreadingHTTPServer):
    """Both providers' APIs on one loopback port: media by URL (Twilio) or by id (Meta), and the send endpoints.

    `fail_media[key]` answers 503 that many times before the file; `down(now)` (a clock the test controls)
    makes every request answer 503 while it returns True; `send_status` is what the send endpoints answer;
    `templates` are the message templates the account has approved (Twilio Content SID or Meta name -> text with
    {{1}} …): a template message is sent with its text filled in, an unknown one is refused as the providers do."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.media: dict[str, tuple[bytes, str]] = {}
        self.fail_media: dict[str, int] = {}
        self.sent: list[dict[str, str]] = []
        self.send_status = 201
        self.templates: dict[str, str] = {}
        self.down: Callable[[], bool] = lambda: False
        self.requests: list[tuple[str, str, int]] = []
        self._lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def twilio_media(self, message_sid: str, n: int, data: bytes, content_type: str) -> str:
        """Serve a file as Twilio would; returns the MediaUrl a webhook names (on api.twilio.com, as Twilio sends it)."""
        media_sid = "ME" + hashlib.md5(f"{message_sid}/{n}".encode()).hexdigest()  # noqa: S324 - an id, not security
        path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message_sid}/Media/{media_sid}"
        self.media[path] = (data, content_type)
        return "https://api.twilio.com" + path

    def meta_media(self, media_id: str, data: bytes, content_type: str) -> str:
        self.media[media_id] = (data, content_type)
        return media_id

    def texts_to(self, number: str) -> list[str]:
        digits = number.lstrip("+")
        return [m.get("Body") or m.get("body", "") for m in self.sent if digits in (m.get("To", "") + m.get("to", ""))]


class _Handler(BaseHTTPRequestHandler):
    server: FakeWhatsApp

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
        with self.server._lock:
            self.server.requests.append((self.command, self.path, status))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _auth(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if header == "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode():
            return "twilio"
        if header == f"Bearer {META_TOKEN}":
            return "meta"
        return None

    def _serve_media(self, key: str) -> None:
        with self.server._lock:
            failures = self.server.fail_media.get(key, 0)
            if failures:
                self.server.fail_media[key] = failures - 1
        if failures:
            return self._answer(503, b'{"code": 20500, "message": "Service Unavailable"}')
        data, content_type = self.server.media[key]
        return self._answer(200, data, content_type)

    def do_GET(self) -> None:  # noqa: N802
        if self.server.down():
            return self._answer(503, b"{}")
        who = self._auth()
        if who == "twilio" and self.path in self.server.media:
            return self._serve_media(self.path)
        if who == "meta" and self.path.startswith("/v21.0/") and self.path.removeprefix("/v21.0/") in self.server.media:
            media_id = self.path.removeprefix("/v21.0/")
            data, content_type = self.server.media[media_id]
            info = {"url": f"{self.server.base}/lookaside/{media_id}", "mime_type": content_type,
                    "file_size": len(data), "id": media_id, "messaging_product": "whatsapp"}
            return self._answer(200, json.dumps(info).encode())
        if who == "meta" and self.path.startswith("/lookaside/"):
            return self._serve_media(self.path.removeprefix("/lookaside/"))
        return self._answer(401 if who is None else 404, b'{"code": 20404}')

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.server.down():
            return self._answer(503, b"{}")
        who = self._auth()
        if who == "twilio" and self.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            message = dict(parse_qsl(body.decode()))
            if "ContentSid" in message:
                if message["ContentSid"] not in self.server.templates:
                    return self._answer(400, b'{"code": 21655, "message": "The ContentSid is Invalid"}')
                variables = json.loads(message.get("ContentVariables") or "{}")
                message["Body"] = _filled(self.server.templates[message["ContentSid"]], [variables[k] for k in sorted(variables)])
        elif who == "meta" and self.path == f"/v21.0/{META_PHONE_ID}/messages":
            payload = json.loads(body)
            message = {"to": payload["to"], "type": payload["type"]}
            if payload["type"] == "template":
                template = payload["template"]
                if template["name"] not in self.server.templates:
                    return self._answer(400, b'{"error": {"code": 132001, "message": "Template name does not exist in the translation"}}')
                values = [p["text"] for c in template.get("components", []) if c["type"] == "body" for p in c["parameters"]]
                message.update(template=template["name"], language=template["language"]["code"],
                               body=_filled(self.server.templates[template["name"]], values))
            else:
                message["body"] = payload["text"]["body"]
        else:
            return self._answer(401 if who is None else 404, b"{}")
        if self.server.send_status not in (200, 201):
            return self._answer(self.server.send_status, b'{"code": 63016, "message": "Outside the allowed window"}')
        with self.server._lock:
            self.server.sent.append(message)
            message["id"] = f"SM{len(self.server.sent):032x}" if who == "twilio" else f"wamid.balasan.{len(self.server.sent)}"
        if who == "twilio":
            return self._answer(201, json.dumps({"sid": message["id"]}).encode())
        return self._answer(200, json.dumps({"messages": [{"id": message["id"]}]}).encode())


def _filled(text: str, values: list[str]) -> str:
    """A template's text with {{1}}, {{2}} … filled in."""
    for n, value in enumerate(values, 1):
        text = text.replace("{{%d}}" % n, value)
    return text


@contextmanager
def running_fake():  # noqa: ANN201
    server = FakeWhatsApp()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def whatsapp_settings(settings, fake: FakeWhatsApp, provider: str = "twilio"):  # noqa: ANN001, ANN201
    """Settings pointing both providers at the fake, with short retry schedules for tests."""
    return settings.with_(
        public_url=PUBLIC_URL, twilio_account_sid=ACCOUNT_SID, twilio_auth_token=AUTH_TOKEN, twilio_api_base=fake.base,
        twilio_sms_from="+6235388100",  # the regency also sends SMS (to callers of the phone line)
        whatsapp_provider=provider, whatsapp_from=WA_FROM, twilio_fetch_first_s=0.01, twilio_fetch_attempts=5,
        whatsapp_reply_first_s=0.01, whatsapp_reply_attempts=4, meta_access_token=META_TOKEN, meta_app_secret=META_SECRET,
        meta_verify_token=META_VERIFY, meta_phone_number_id=META_PHONE_ID, meta_graph_base=fake.base + "/v21.0",
    )


def twilio_form(message_sid: str, body: str = "", media: list[tuple[str, str]] | None = None,
                sender: str = SENDER) -> dict[str, str]:
    """Twilio's webhook form for one WhatsApp message; `media` as (MediaUrl, content type)."""
    form = {"MessageSid": message_sid, "SmsMessageSid": message_sid, "AccountSid": ACCOUNT_SID,
            "From": f"whatsapp:{sender}", "To": f"whatsapp:{WA_FROM}", "Body": body, "NumMedia": str(len(media or []))}
    for i, (url, kind) in enumerate(media or []):
        form[f"MediaUrl{i}"], form[f"MediaContentType{i}"] = url, kind
    return form


def post_twilio(client, form: dict[str, str], signature: str | None = None):  # noqa: ANN001, ANN201
    url = PUBLIC_URL + "/twilio/whatsapp"
    sig = signature if signature is not None else twilio_signature(url, form)
    return client.post("/twilio/whatsapp", data=form, headers={"X-Twilio-Signature": sig})


def meta_payload(message: dict) -> bytes:
    """Meta's webhook JSON carrying one message."""
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": META_PHONE_ID},
        "contacts": [{"wa_id": message["from"], "profile": {"name": "Warga"}}], "messages": [message]}}]}]}).encode()


def meta_status_payload(message_id: str, status: str, code: int | None = None, recipient: str = SENDER) -> bytes:
    """Meta's webhook JSON carrying one status of a message the business sent (`errors` when it failed)."""
    update = {"id": message_id, "status": status, "timestamp": "1764576000", "recipient_id": recipient.lstrip("+")}
    if code is not None:
        update["errors"] = [{"code": code, "title": "Re-engagement message", "message": "Re-engagement message"}]
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "metadata": {"phone_number_id": META_PHONE_ID}, "statuses": [update]}}]}]}).encode()


def post_twilio_status(client, message_sid: str, status: str, error_code: str | None = None):  # noqa: ANN001, ANN201
    """Twilio's status callback for a message the business sent, signed."""
    form = {"MessageSid": message_sid, "SmsSid": message_sid, "AccountSid": ACCOUNT_SID, "MessageStatus": status,
            "To": f"whatsapp:{SENDER}", "From": f"whatsapp:{WA_FROM}"}
    if error_code is not None:
        form["ErrorCode"] = error_code
    url = PUBLIC_URL + "/twilio/whatsapp/status"
    return client.post("/twilio/whatsapp/status", data=form, headers={"X-Twilio-Signature": twilio_signature(url, form)})


def post_meta(client, body: bytes, signature: str | None = None):  # noqa: ANN001, ANN201
    sig = signature if signature is not None else meta_signature(body)
    return client.post("/whatsapp/meta", data=body, content_type="application/json", headers={"X-Hub-Signature-256": sig})
