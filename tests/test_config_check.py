"""Malformed Twilio settings stop `suara serve` and `suara worker` with a clear message; `suara doctor`
prints every check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from models.config import Settings
from models.config_check import config_checks, fatal_problems
from tests.services import free_port

SUARA = Path(sys.executable).with_name("suara")
GOOD = {
    "SUARA_TWILIO_ACCOUNT_SID": "AC" + "a1" * 16,
    "SUARA_TWILIO_AUTH_TOKEN": "f" * 32,
    "SUARA_PUBLIC_URL": "https://lapor.bojonegorokab.go.id",
    "SUARA_TWILIO_SMS_FROM": "+15005550006",
}
MALFORMED = [
    ("SUARA_TWILIO_ACCOUNT_SID", "AC123", "SUARA_TWILIO_ACCOUNT_SID"),
    ("SUARA_TWILIO_ACCOUNT_SID", "SK" + "a1" * 16, "SUARA_TWILIO_ACCOUNT_SID"),  # an API key SID, not the account
    ("SUARA_TWILIO_ACCOUNT_SID", " AC" + "a1" * 16, "SUARA_TWILIO_ACCOUNT_SID"),  # pasted with a space
    ("SUARA_TWILIO_AUTH_TOKEN", "f" * 31, "SUARA_TWILIO_AUTH_TOKEN"),
    ("SUARA_TWILIO_AUTH_TOKEN", '"' + "f" * 32 + '"', "SUARA_TWILIO_AUTH_TOKEN"),
    ("SUARA_PUBLIC_URL", "lapor.bojonegorokab.go.id", "SUARA_PUBLIC_URL"),
    ("SUARA_PUBLIC_URL", "http://lapor.bojonegorokab.go.id", "SUARA_PUBLIC_URL"),
    ("SUARA_PUBLIC_URL", "https://lapor.bojonegorokab.go.id/suara?x=1", "SUARA_PUBLIC_URL"),
    ("SUARA_TWILIO_SMS_FROM", "081234567001", "SUARA_TWILIO_SMS_FROM"),
    ("SUARA_TWILIO_SMS_FROM", "Pemkab Bojonegoro", "SUARA_TWILIO_SMS_FROM"),  # a sender name is at most 11
]


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(env={**GOOD, **env}, data_dir=tmp_path, secret_key="x")


def test_good_settings_pass(tmp_path) -> None:  # noqa: ANN001
    assert fatal_problems(_settings(tmp_path)) == []
    assert fatal_problems(_settings(tmp_path, SUARA_TWILIO_SMS_FROM="SuaraWarga")) == []
    assert fatal_problems(Settings.from_env(env={}, data_dir=tmp_path, secret_key="x")) == []  # Twilio not used


@pytest.mark.parametrize("name,value,named", MALFORMED)
def test_each_malformed_value_is_named(tmp_path, name: str, value: str, named: str) -> None:  # noqa: ANN001
    problems = fatal_problems(_settings(tmp_path, **{name: value}))
    assert [p.name for p in problems] == [named]


def _run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("SUARA_")}
    full.update(SUARA_DATA_DIR=str(tmp_path / "data"), SUARA_SECRET_KEY="x", **env)
    return subprocess.run([str(SUARA), *args], env=full, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("command", [["serve", "--port", "PORT"], ["worker"]])
def test_malformed_sid_refuses_to_start(tmp_path, command: list[str]) -> None:  # noqa: ANN001
    command = [str(free_port()) if part == "PORT" else part for part in command]
    result = _run(tmp_path, *command, **{**GOOD, "SUARA_TWILIO_ACCOUNT_SID": "AC-salah"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Konfigurasi salah" in result.stderr and "SUARA_TWILIO_ACCOUNT_SID" in result.stderr
    assert "berjalan di" not in result.stdout  # the server never started


def test_doctor_prints_every_check(tmp_path) -> None:  # noqa: ANN001
    result = _run(tmp_path, "doctor", **{**GOOD, "SUARA_TWILIO_AUTH_TOKEN": "kurang"})
    lines = [line for line in result.stdout.splitlines() if line.startswith("[")]
    names = [line.split("]")[1].split(":")[0].strip() for line in lines]
    expected = len(config_checks(_settings(tmp_path, SUARA_TWILIO_AUTH_TOKEN="kurang")))
    assert names[:expected] == ["SUARA_TWILIO_ACCOUNT_SID", "SUARA_TWILIO_AUTH_TOKEN", "SUARA_TWILIO_API_BASE",
                                "SUARA_PUBLIC_URL", "SUARA_TWILIO_SMS_FROM", "WhatsApp"]
    assert {"SUARA_DATA_DIR", "SUARA_DATABASE_URL", "SUARA_WHISPER_MODEL"} <= set(names)
    assert "[GAGAL] SUARA_TWILIO_AUTH_TOKEN" in result.stdout and result.returncode == 1


WHATSAPP_TWILIO = {"SUARA_WHATSAPP_PROVIDER": "twilio", "SUARA_WHATSAPP_FROM": "+6281234567890"}
WHATSAPP_META = {"SUARA_WHATSAPP_PROVIDER": "meta", "SUARA_META_ACCESS_TOKEN": "EAAGtoken", "SUARA_META_APP_SECRET": "abc123",
                 "SUARA_META_VERIFY_TOKEN": "verif", "SUARA_META_PHONE_NUMBER_ID": "109876543210"}


@pytest.mark.parametrize("env", [WHATSAPP_TWILIO, WHATSAPP_META])
def test_whatsapp_settings_that_are_complete_pass(tmp_path: Path, env: dict[str, str]) -> None:
    assert fatal_problems(_settings(tmp_path, **env)) == []


@pytest.mark.parametrize(("env", "named"), [
    ({"SUARA_WHATSAPP_PROVIDER": "wa"}, "SUARA_WHATSAPP_PROVIDER"),
    ({**WHATSAPP_TWILIO, "SUARA_WHATSAPP_FROM": "0812345"}, "SUARA_WHATSAPP_FROM"),
    ({"SUARA_WHATSAPP_PROVIDER": "twilio"}, "SUARA_WHATSAPP_FROM"),
    ({**WHATSAPP_META, "SUARA_META_APP_SECRET": ""}, "SUARA_META_APP_SECRET"),
    ({**WHATSAPP_META, "SUARA_META_ACCESS_TOKEN": "EAAG token"}, "SUARA_META_ACCESS_TOKEN"),
    ({**WHATSAPP_META, "SUARA_META_PHONE_NUMBER_ID": "+62812"}, "SUARA_META_PHONE_NUMBER_ID"),
    ({**WHATSAPP_TWILIO, "SUARA_WHATSAPP_JOIN_MINUTES": "0"}, "SUARA_WHATSAPP_JOIN_MINUTES"),
    ({**WHATSAPP_TWILIO, "SUARA_WHATSAPP_TEMPLATE_RATING": "penilaian"}, "SUARA_WHATSAPP_TEMPLATE_RATING"),  # not a Content SID
    ({**WHATSAPP_META, "SUARA_WHATSAPP_TEMPLATE_REFERENCE": "Nomor Pengaduan"}, "SUARA_WHATSAPP_TEMPLATE_REFERENCE"),
])
def test_malformed_whatsapp_settings_are_named(tmp_path: Path, env: dict[str, str], named: str) -> None:
    problems = fatal_problems(_settings(tmp_path, **env))
    assert named in [p.name for p in problems], [p.line() for p in config_checks(_settings(tmp_path, **env))]


def test_missing_whatsapp_templates_are_a_warning_that_names_what_would_not_arrive(tmp_path: Path) -> None:
    checks = {c.name: c for c in config_checks(_settings(tmp_path, **WHATSAPP_TWILIO))}
    rating = checks["SUARA_WHATSAPP_TEMPLATE_RATING"]
    assert not rating.ok and not rating.fatal and "24 jam" in rating.message
    good = {**WHATSAPP_TWILIO, "SUARA_WHATSAPP_TEMPLATE_RATING": "HX" + "a1" * 16, "SUARA_WHATSAPP_TEMPLATE_REFERENCE": "HX" + "b2" * 16}
    assert all(c.ok for c in config_checks(_settings(tmp_path, **good)) if c.name.startswith("SUARA_WHATSAPP_TEMPLATE"))


def test_serve_refuses_a_whatsapp_provider_without_its_settings(tmp_path) -> None:  # noqa: ANN001
    result = _run(tmp_path, "serve", "--port", str(free_port()), **{**GOOD, "SUARA_WHATSAPP_PROVIDER": "meta"})
    assert result.returncode == 2, result.stdout + result.stderr
    assert "SUARA_META_APP_SECRET" in result.stderr and "berjalan di" not in result.stdout
