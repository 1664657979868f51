"""Shared fixtures: a fresh database and data directory per test, the app, users, helpers."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

import models.all  # noqa: F401
from models.base import Base
from models.config import Settings
from models.db import make_engine, session_factory
from models.entities import Role
from models.seed import seed_reference_data

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("SUARA_TEST_CACHE", REPO / ".cache"))
PASSWORD = "rahasia-uji-123"


@pytest.fixture(scope="session")
def bundled_whisper_dir() -> Path:
    """The bundled Whisper model joined once per machine into the test cache."""
    from transcribe.whisper_model import ensure_bundled_whisper

    return ensure_bundled_whisper(CACHE / "models")


@pytest.fixture
def settings(tmp_path: Path, bundled_whisper_dir: Path) -> Settings:
    data = tmp_path / "data"
    return Settings.from_env(
        env={},
        data_dir=data,
        database_url=f"sqlite:///{tmp_path / 'suara.sqlite3'}",
        secret_key="uji",
        whisper_model=bundled_whisper_dir,
        job_retry_delay_s=0,
        job_retries=1,
    )


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashes() -> None:
    """A cheap password hash for the whole run: the suite creates and logs in thousands of users, and
    scrypt's 60 ms each added minutes. Every hash still goes through `web.accounts.hash_password`."""
    import web.accounts

    global SERVED_PASSWORD_METHOD
    SERVED_PASSWORD_METHOD = web.accounts.PASSWORD_METHOD
    web.accounts.PASSWORD_METHOD = "pbkdf2:sha256:1000"


SERVED_PASSWORD_METHOD = ""
"""The method the product hashes passwords with (before the suite lowered it)."""


def _create_and_seed(url: str):  # noqa: ANN202
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    with session_factory(engine)() as session:
        seed_reference_data(session)
        session.commit()
    return engine


@pytest.fixture(scope="session")
def seeded_sqlite(tmp_path_factory) -> Path:  # noqa: ANN001
    """The schema and reference data built once; every test's SQLite database starts as a copy of it."""
    path = tmp_path_factory.mktemp("template") / "suara.sqlite3"
    _create_and_seed(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def db_engine(settings: Settings, seeded_sqlite: Path):  # noqa: ANN201
    database = Path(settings.database_url.removeprefix("sqlite:///"))
    if settings.database_url.startswith("sqlite:///") and not database.exists():
        shutil.copyfile(seeded_sqlite, database)
        engine = make_engine(settings.database_url)
    else:
        engine = _create_and_seed(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(db_engine) -> Session:  # noqa: ANN001
    with session_factory(db_engine)() as s:
        yield s


@pytest.fixture
def app(settings: Settings, db_engine):  # noqa: ANN001, ANN201
    from web import create_app

    app = create_app({"SETTINGS": settings, "TESTING": True})
    yield app
    app.extensions["suara"].engine.dispose()


@pytest.fixture
def client(app):  # noqa: ANN001, ANN201
    return app.test_client()


@pytest.fixture
def users(session: Session) -> dict[str, int]:
    """One user of each role; liaisons for two agencies."""
    from web.auth import create_user

    made = {
        "admin": create_user(session, "admin", PASSWORD, Role.ADMIN),
        "operator": create_user(session, "operator", PASSWORD, Role.OPERATOR),
        "viewer": create_user(session, "viewer", PASSWORD, Role.VIEWER),
        "liaison_pu": create_user(session, "liaison_pu", PASSWORD, Role.LIAISON, agency_key="dpubmpr"),
        "liaison_dinkes": create_user(session, "liaison_dinkes", PASSWORD, Role.LIAISON, agency_key="dinkes"),
    }
    session.commit()
    return {name: user.id for name, user in made.items()}


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html) or re.search(
        r'<meta name="csrf-token" content="([^"]+)"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):  # noqa: ANN001, ANN201
    page = client.get("/login")
    return client.post("/login", data={"username": username, "password": password, "csrf_token": csrf_from(page.text)})


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str:  # noqa: ANN001
    from tests.services import RedisServer

    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    import shutil
    import tempfile

    from tests.services import PostgresServer

    # Not under pytest's tmp dir: its parents are private to root and the server runs as `postgres`.
    workdir = Path(tempfile.mkdtemp(prefix="suara-pg-"))
    server = PostgresServer(workdir)
    yield server.url
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def live_server(app):  # noqa: ANN001, ANN201
    """The app on a real threaded HTTP server on a free loopback port; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    app.config["SSE_KEEPALIVE_S"] = 1.0
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


@pytest.fixture
def browser():  # noqa: ANN201
    """Debian's chromium, headless, through Playwright."""
    from playwright.sync_api import sync_playwright

    from tests.browser import ARGS, CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


# `make check` runs `-m "not slow"`: the tests that need no recognition model, browser, sound server,
# database server or real HTTP server. A test is slow when it asks for one of these fixtures or is marked.
SLOW_FIXTURES = frozenset({
    "browser", "live_server", "redis_url", "postgres_url", "pulse", "whisper", "vosk", "vosk_model_dir",
    "vosk_settings", "vosk_app", "speech_cache", "spoken_wav", "spoken_8k", "spoken_show", "speech_wav",
    "speech_samples", "show_mp3", "show_cache", "phone_call", "phone_call_8k", "fake_twilio", "ws_url",
    "audiosocket_server", "server", "loopback_server", "proxied_app", "engine_settings",
    "pg", "full_disk", "note", "fake",  # a PostgreSQL restart, a tmpfs mount, a spoken voice note, the WhatsApp providers' server
})


SLOW_MODULES = frozenset({
    "test_privacy_matrix", "test_access_matrix",  # every route as every role: minutes
    "test_fuzz",  # hypothesis over many inputs (`make fuzz` runs them longer)
    "test_end_to_end",  # the `suara` command line with the real model
    "test_drafting_routing",  # the router over the whole evaluation set
    "test_config_check", "test_security_files",  # start `suara` processes
})


def pytest_collection_modifyitems(config, items) -> None:  # noqa: ANN001, ARG001
    for item in items:
        if (SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())) or item.get_closest_marker("browser")
                or item.module.__name__.rsplit(".", 1)[-1] in SLOW_MODULES):
            item.add_marker(pytest.mark.slow)


# `make test` sets SUARA_NO_SKIP=1: a test skipped because a tool or service is missing means the
# fresh-machine install is broken, and that must fail the run instead of passing quietly.
_skipped: list[str] = []


def pytest_runtest_logreport(report) -> None:  # noqa: ANN001
    if report.skipped and os.environ.get("SUARA_NO_SKIP") == "1":
        _skipped.append(f"{report.nodeid}: {report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr}")


def pytest_sessionfinish(session, exitstatus) -> None:  # noqa: ANN001
    if _skipped and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter) -> None:  # noqa: ANN001
    if _skipped:
        terminalreporter.write_line(f"SUARA_NO_SKIP: {len(_skipped)} test(s) skipped, which fails the run:", red=True)
        for line in _skipped:
            terminalreporter.write_line(f"  {line}", red=True)
