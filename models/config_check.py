"""Settings checked before anything starts: a malformed Twilio credential, public URL or SMS sender stops
`suara serve` and `suara worker` with a clear message, instead of every call failing quietly later.

Only the shape of each value is checked here (no I/O); `suara doctor` adds the checks that need the
disk, the database and the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from models.config import Settings
from models.phone import is_e164

ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
TWILIO_AUTH_TOKEN = re.compile(r"^[0-9a-fA-F]{32}$")
ALPHANUMERIC_SENDER = re.compile(r"^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class Check:
    """One line of `suara doctor`: what was checked, whether it passed, and what to do if not."""

    name: str
    ok: bool
    message: str
    fatal: bool = True
    """A failing fatal check stops `suara serve` and `suara worker`; others are warnings."""

    def line(self) -> str:
        mark = "OK   " if self.ok else ("GAGAL" if self.fatal else "PERIKSA")
        return f"[{mark}] {self.name}: {self.message}"


def _url_problem(url: str, *, allow_path: bool) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "harus berupa alamat http(s)://nama-host"
    if parts.query or parts.fragment or (not allow_path and parts.path not in ("", "/")):
        return "tanpa path, query, atau fragmen (mis. https://lapor.bojonegorokab.go.id)"
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        return "harus memakai https (Twilio menolak webhook http untuk alamat publik)"
    return None


def twilio_checks(settings: Settings) -> list[Check]:
    """The Twilio settings, when any of them is set."""
    checks: list[Check] = []
    sid, token, sender = settings.twilio_account_sid, settings.twilio_auth_token, settings.twilio_sms_from
    if not (sid or token or sender):
        return [Check("Twilio", True, "tidak dipakai (SUARA_TWILIO_* tidak diisi)", fatal=False)]
    if not sid or not ACCOUNT_SID.match(sid):
        checks.append(Check("SUARA_TWILIO_ACCOUNT_SID", False,
                            "harus 'AC' diikuti 32 digit heksadesimal (lihat Twilio Console > Account Info)"
                            + (f"; terisi {sid[:6]!r}… ({len(sid)} karakter)" if sid else "; belum diisi")))
    else:
        checks.append(Check("SUARA_TWILIO_ACCOUNT_SID", True, f"{sid[:6]}… terisi dengan benar"))
    official = urlsplit(settings.twilio_api_base).hostname == "api.twilio.com"
    if not token:
        checks.append(Check("SUARA_TWILIO_AUTH_TOKEN", False, "belum diisi: tanda tangan webhook tidak dapat diperiksa"))
    elif (official and not TWILIO_AUTH_TOKEN.match(token)) or re.search(r"\s", token) or len(token) < 16:
        checks.append(Check("SUARA_TWILIO_AUTH_TOKEN", False,
                            f"harus 32 digit heksadesimal (terisi {len(token)} karakter; spasi atau tanda kutip ikut tersalin?)"))
    else:
        checks.append(Check("SUARA_TWILIO_AUTH_TOKEN", True, "terisi dengan benar"))
    problem = _url_problem(settings.twilio_api_base, allow_path=True)
    checks.append(Check("SUARA_TWILIO_API_BASE", problem is None, problem or settings.twilio_api_base))
    if settings.public_url is None:
        checks.append(Check("SUARA_PUBLIC_URL", False, "belum diisi: di belakang reverse proxy semua webhook akan ditolak (403)",
                            fatal=False))
    else:
        problem = _url_problem(settings.public_url, allow_path=False)
        checks.append(Check("SUARA_PUBLIC_URL", problem is None, problem or settings.public_url))
    if sender is None:
        checks.append(Check("SUARA_TWILIO_SMS_FROM", True, "tidak diisi: SMS nomor pengaduan tidak dikirim", fatal=False))
    elif is_e164(sender) or ALPHANUMERIC_SENDER.match(sender):
        checks.append(Check("SUARA_TWILIO_SMS_FROM", True, sender))
    else:
        checks.append(Check("SUARA_TWILIO_SMS_FROM", False,
                            f"{sender!r} bukan nomor E.164 (mis. +6281234567890) atau nama pengirim (≤ 11 huruf/angka)"))
    return checks


def public_url_check(settings: Settings) -> list[Check]:
    """The public URL on its own, when Twilio is not configured (it is still used for links)."""
    if settings.public_url is None or settings.twilio_account_sid or settings.twilio_auth_token or settings.twilio_sms_from:
        return []
    problem = _url_problem(settings.public_url, allow_path=False)
    return [Check("SUARA_PUBLIC_URL", problem is None, problem or settings.public_url)]


WHATSAPP_PROVIDERS = ("twilio", "meta")
META_PHONE_NUMBER_ID = re.compile(r"^[0-9]{5,20}$")
TEMPLATE_FORMS = {"twilio": (re.compile(r"^HX[0-9a-fA-F]{32}$"), "Content SID Twilio: 'HX' diikuti 32 digit heksadesimal"),
                  "meta": (re.compile(r"^[a-z0-9_]{1,512}$"), "nama template Meta: huruf kecil, angka dan garis bawah")}
TEMPLATES = {"SUARA_WHATSAPP_TEMPLATE_REFERENCE": ("whatsapp_template_reference", "nomor pengaduan"),
             "SUARA_WHATSAPP_TEMPLATE_RATING": ("whatsapp_template_rating", "pertanyaan kepuasan")}


def template_checks(settings: Settings, provider: str) -> list[Check]:
    """The approved templates of the replies sent long after the reporter last wrote: malformed stops the
    server; missing is a warning (those replies cannot reach a reporter who wrote more than 24 hours before)."""
    form, expected = TEMPLATE_FORMS[provider]
    checks = []
    for name, (field, what) in TEMPLATES.items():
        value = getattr(settings, field)
        if value is None:
            checks.append(Check(name, False, f"belum diisi: {what} tidak terkirim bila pelapor terakhir mengirim pesan "
                                             "lebih dari 24 jam sebelumnya (WhatsApp hanya mengantar template)", fatal=False))
        else:
            checks.append(Check(name, bool(form.match(value)), value if form.match(value) else f"harus {expected}"))
    return checks


def whatsapp_checks(settings: Settings) -> list[Check]:
    """WhatsApp through Twilio or Meta's Cloud API, when SUARA_WHATSAPP_PROVIDER is set."""
    provider = settings.whatsapp_provider
    if provider is None:
        return [Check("WhatsApp", True, "tidak dipakai (SUARA_WHATSAPP_PROVIDER tidak diisi)", fatal=False)]
    if provider not in WHATSAPP_PROVIDERS:
        return [Check("SUARA_WHATSAPP_PROVIDER", False, f"{provider!r}: harus 'twilio' atau 'meta'")]
    checks = [Check("SUARA_WHATSAPP_PROVIDER", True, provider)]
    if settings.whatsapp_join_minutes <= 0:
        checks.append(Check("SUARA_WHATSAPP_JOIN_MINUTES", False, "harus lebih dari 0 menit"))
    if provider == "twilio":
        if not (settings.twilio_account_sid and settings.twilio_auth_token):
            checks.append(Check("SUARA_TWILIO_ACCOUNT_SID", False,
                                "WhatsApp lewat Twilio memerlukan SUARA_TWILIO_ACCOUNT_SID dan SUARA_TWILIO_AUTH_TOKEN"))
        sender = (settings.whatsapp_from or "").removeprefix("whatsapp:")
        checks.append(Check("SUARA_WHATSAPP_FROM", is_e164(sender),
                            sender if is_e164(sender) else "harus nomor WhatsApp pengirim E.164 (mis. +6281234567890)"))
        return checks + template_checks(settings, provider)
    for name, value in (("SUARA_META_ACCESS_TOKEN", settings.meta_access_token),
                        ("SUARA_META_APP_SECRET", settings.meta_app_secret),
                        ("SUARA_META_VERIFY_TOKEN", settings.meta_verify_token)):
        if not value:
            checks.append(Check(name, False, "belum diisi (lihat Meta for Developers > WhatsApp > Konfigurasi)"))
        elif re.search(r"\s", value):
            checks.append(Check(name, False, "berisi spasi (spasi atau tanda kutip ikut tersalin?)"))
        else:
            checks.append(Check(name, True, "terisi"))
    number_id = settings.meta_phone_number_id or ""
    checks.append(Check("SUARA_META_PHONE_NUMBER_ID", bool(META_PHONE_NUMBER_ID.match(number_id)),
                        number_id if META_PHONE_NUMBER_ID.match(number_id) else "harus ID nomor telepon (angka) dari Meta"))
    problem = _url_problem(settings.meta_graph_base, allow_path=True)
    checks.append(Check("SUARA_META_GRAPH_BASE", problem is None, problem or settings.meta_graph_base))
    return checks + template_checks(settings, provider)


def config_checks(settings: Settings) -> list[Check]:
    """Every check of the settings' shape, in the order `suara doctor` prints them."""
    return twilio_checks(settings) + public_url_check(settings) + whatsapp_checks(settings)


def fatal_problems(settings: Settings) -> list[Check]:
    return [check for check in config_checks(settings) if not check.ok and check.fatal]
