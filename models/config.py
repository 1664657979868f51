"""One typed settings object for every package, read from SUARA_* environment variables."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

ENGINES = ("vosk", "whisper")


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Configuration of one Suara Warga installation. Paths are absolute."""

    data_dir: Path
    """Audio, prepared models, the job store and the SQLite database live here."""
    database_url: str
    redis_url: str | None = None
    """When set, jobs are stored in Redis and run by separate `suara worker` processes."""
    vosk_model: Path | None = None
    """A Vosk/Kaldi model directory; when set, Vosk is the default engine."""
    whisper_model: Path | None = None
    """A faster-whisper model directory; None means the bundled multilingual base model."""
    engine: str = "whisper"
    whisper_beam: int = 5
    whisper_drawn_readings: int = 5
    """Readings of each recording Whisper draws besides the beam's, for routing (0: none; see WhisperOptions)."""
    whisper_compute_type: str = "int8"
    cpu_threads: int = 1
    """Threads per recognizer; 1 leaves the other core to the web server and other calls."""
    whisper_workers: int = 2
    """Whisper recognitions that run at once (CTranslate2 replicas sharing one copy of the weights): two
    calls ending a sentence together are decoded side by side instead of one after the other."""
    secret_key: str = ""
    public_url: str | None = None
    """The URL the outside world uses (Twilio signatures are computed over it)."""
    max_upload_bytes: int = 50 * 1024 * 1024
    max_audio_s: float = 2 * 60 * 60
    job_retries: int = 3
    job_retry_delay_s: int = 30
    inprocess_workers: int = 2
    """Worker threads of the in-process job consumer started by `suara serve` without Redis."""
    secure_cookies: bool = False
    trusted_proxies: int = 0
    """Reverse proxies in front of the server whose X-Forwarded-For/-Proto are believed (nginx: 1)."""
    remember_days: int = 14
    """Life of the "Ingat saya" cookie."""
    upload_rate: str = "30 per hour"
    """Uploads per user (a Flask-Limiter rate, e.g. "30 per hour; 100 per day")."""
    radio_allowed_hosts: tuple[str, ...] = ()
    """Stream hosts the radio form may use although they resolve to a loopback/private address."""
    radio_files_dir: Path | None = None
    """The only folder the radio form may read recordings from; unset: no local files."""
    sla_verify_days: int = 3
    sla_followup_days: int = 5
    sla_autoclose_days: int = 10
    public_min_count: int = 3
    """Published figures (transparency page) smaller than this are shown as "< 3" (`models.visibility`)."""
    audiosocket_listen: str | None = None
    """HOST:PORT where `suara serve` also answers Asterisk AudioSocket (live calls then show in the web)."""
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_api_base: str = "https://api.twilio.com"
    twilio_sms_from: str | None = None
    twilio_fetch_attempts: int = 12
    """Tries to download a recording (2, 4, 8 … up to 60 s apart: about 7 minutes in all by default)."""
    twilio_fetch_first_s: float = 2.0
    twilio_fetch_stall_s: float = 60.0
    """A scheduled download this late (its worker died) is driven again by the recovery job."""
    twilio_recording_deadline_s: float = 600.0
    """How long after a call ends a recording the provider never announced is waited for; then the
    stream's audio is used, or the call is closed as abandoned."""
    whatsapp_provider: str | None = None
    """"twilio" or "meta" (WhatsApp Cloud API); unset: no WhatsApp."""
    whatsapp_from: str | None = None
    """Twilio: the WhatsApp sender number (E.164, sent as `whatsapp:+62…`)."""
    whatsapp_join_minutes: float = 10.0
    """Messages from one sender this close together, before confirmation, make one draft."""
    whatsapp_reply_attempts: int = 12
    """Tries to send a reply: 30 s, 1, 2, 4, 8 minutes … up to 15 minutes apart (about 2 hours in all)."""
    whatsapp_reply_first_s: float = 30.0
    whatsapp_template_reference: str | None = None
    """The approved message template that tells the reference number ({{1}}) when the reporter last wrote more
    than 24 hours ago (WhatsApp delivers free text only within 24 hours of the sender's last message): Twilio: its
    Content SID (HX…); Meta: its name."""
    whatsapp_template_rating: str | None = None
    """The approved template of the rating question after closure ({{1}}: the reference number)."""
    whatsapp_template_language: str = "id"
    """Meta: the language code the templates were approved in."""
    meta_access_token: str | None = None
    meta_app_secret: str | None = None
    meta_verify_token: str | None = None
    meta_phone_number_id: str | None = None
    meta_graph_base: str = "https://graph.facebook.com/v21.0"

    @property
    def audio_dir(self) -> Path:
        return self.data_dir / "audio"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def jobs_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    @property
    def uses_redis(self) -> bool:
        return bool(self.redis_url)

    def with_(self, **changes: Any) -> "Settings":
        """A copy with some values changed."""
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults, then SUARA_* variables, then explicit overrides."""
        env = os.environ if env is None else env
        data_dir = Path(overrides.pop("data_dir", None) or env.get("SUARA_DATA_DIR") or "instance").resolve()
        database_url = overrides.pop("database_url", None) or env.get("SUARA_DATABASE_URL") or (
            f"sqlite:///{data_dir / 'suara.sqlite3'}"
        )
        vosk = env.get("SUARA_VOSK_MODEL")
        whisper = env.get("SUARA_WHISPER_MODEL")
        values: dict[str, Any] = dict(
            data_dir=data_dir,
            database_url=database_url,
            redis_url=env.get("SUARA_REDIS_URL") or None,
            vosk_model=Path(vosk).resolve() if vosk else None,
            whisper_model=Path(whisper).resolve() if whisper else None,
            whisper_beam=int(env.get("SUARA_WHISPER_BEAM", 5)),
            whisper_drawn_readings=int(env.get("SUARA_WHISPER_DRAWN_READINGS", 5)),
            whisper_compute_type=env.get("SUARA_WHISPER_COMPUTE", "int8"),
            cpu_threads=int(env.get("SUARA_CPU_THREADS", 1)),
            whisper_workers=int(env.get("SUARA_WHISPER_WORKERS", 2)),
            secret_key=env.get("SUARA_SECRET_KEY", ""),
            public_url=(env.get("SUARA_PUBLIC_URL") or "").rstrip("/") or None,
            max_upload_bytes=int(float(env.get("SUARA_MAX_UPLOAD_MB", 50)) * 1024 * 1024),
            max_audio_s=float(env.get("SUARA_MAX_AUDIO_S", 2 * 60 * 60)),
            job_retries=int(env.get("SUARA_JOB_RETRIES", 3)),
            job_retry_delay_s=int(env.get("SUARA_JOB_RETRY_DELAY_S", 30)),
            inprocess_workers=int(env.get("SUARA_WORKERS", 2)),
            secure_cookies=_flag(env.get("SUARA_SECURE_COOKIES"), False),
            trusted_proxies=int(env.get("SUARA_TRUSTED_PROXIES") or 0),
            remember_days=int(env.get("SUARA_REMEMBER_DAYS") or 14),
            upload_rate=env.get("SUARA_UPLOAD_RATE") or "30 per hour",
            radio_allowed_hosts=tuple(h.strip().lower() for h in (env.get("SUARA_RADIO_ALLOWED_HOSTS") or "").split(",") if h.strip()),
            radio_files_dir=Path(env["SUARA_RADIO_FILES_DIR"]).resolve() if env.get("SUARA_RADIO_FILES_DIR") else None,
            sla_verify_days=int(env.get("SUARA_SLA_VERIFY_DAYS", 3)),
            sla_followup_days=int(env.get("SUARA_SLA_FOLLOWUP_DAYS", 5)),
            sla_autoclose_days=int(env.get("SUARA_SLA_AUTOCLOSE_DAYS", 10)),
            public_min_count=max(1, int(env.get("SUARA_PUBLIC_MIN_COUNT", 3))),
            audiosocket_listen=env.get("SUARA_AUDIOSOCKET_LISTEN") or None,
            twilio_account_sid=env.get("SUARA_TWILIO_ACCOUNT_SID") or None,
            twilio_auth_token=env.get("SUARA_TWILIO_AUTH_TOKEN") or None,
            twilio_api_base=(env.get("SUARA_TWILIO_API_BASE") or "https://api.twilio.com").rstrip("/"),
            twilio_sms_from=env.get("SUARA_TWILIO_SMS_FROM") or None,
            twilio_fetch_attempts=int(env.get("SUARA_TWILIO_FETCH_ATTEMPTS", 12)),
            twilio_fetch_first_s=float(env.get("SUARA_TWILIO_FETCH_FIRST_S", 2.0)),
            twilio_fetch_stall_s=float(env.get("SUARA_TWILIO_FETCH_STALL_S", 60.0)),
            twilio_recording_deadline_s=float(env.get("SUARA_TWILIO_RECORDING_DEADLINE_S", 600.0)),
            whatsapp_provider=(env.get("SUARA_WHATSAPP_PROVIDER") or "").strip().lower() or None,
            whatsapp_from=env.get("SUARA_WHATSAPP_FROM") or None,
            whatsapp_join_minutes=float(env.get("SUARA_WHATSAPP_JOIN_MINUTES") or 10),
            whatsapp_reply_attempts=int(env.get("SUARA_WHATSAPP_REPLY_ATTEMPTS") or 12),
            whatsapp_reply_first_s=float(env.get("SUARA_WHATSAPP_REPLY_FIRST_S") or 30),
            whatsapp_template_reference=(env.get("SUARA_WHATSAPP_TEMPLATE_REFERENCE") or "").strip() or None,
            whatsapp_template_rating=(env.get("SUARA_WHATSAPP_TEMPLATE_RATING") or "").strip() or None,
            whatsapp_template_language=(env.get("SUARA_WHATSAPP_TEMPLATE_LANGUAGE") or "id").strip(),
            meta_access_token=env.get("SUARA_META_ACCESS_TOKEN") or None,
            meta_app_secret=env.get("SUARA_META_APP_SECRET") or None,
            meta_verify_token=env.get("SUARA_META_VERIFY_TOKEN") or None,
            meta_phone_number_id=env.get("SUARA_META_PHONE_NUMBER_ID") or None,
            meta_graph_base=(env.get("SUARA_META_GRAPH_BASE") or "https://graph.facebook.com/v21.0").rstrip("/"),
        )
        values.update(overrides)
        if "engine" not in overrides:
            values["engine"] = env.get("SUARA_ENGINE") or ("vosk" if values["vosk_model"] else "whisper")
        if values["engine"] not in ENGINES:
            raise ValueError(f"SUARA_ENGINE must be one of {ENGINES}, not {values['engine']!r}")
        settings = cls(**values)
        if not settings.secret_key:
            settings = settings.with_(secret_key=_persistent_secret(settings.data_dir))
        return settings


def _persistent_secret(data_dir: Path) -> str:
    """A random secret kept in the data directory, so sessions survive restarts without a secret in the repo."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process (server and worker starting together) won the race
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key
