"""Shared fixtures: a fresh database and data directory per test, the app, users, helpers."""

from __future__ import annotations

import os
import re
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


@pytest.fixture
def db_engine(settings: Settings):  # noqa: ANN201
    engine = make_engine(settings.database_url)
    Base.metadata.create_all(engine)
    with session_factory(engine)() as session:
        seed_reference_data(session)
        session.commit()
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
