"""The Flask app factory: defaults, then SUARA_* environment, then test overrides."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models.config import Settings
from models.datadir import secure_data_dir
from models.db import make_engine, session_factory
from transcribe.jobs import JobQueue
from voice.jobs import register_voice_jobs

log = logging.getLogger(__name__)

csrf = CSRFProtect()
login_manager = LoginManager()
babel = Babel()


@dataclass
class AppState:
    """Everything the app holds for its lifetime, reachable from views as `state()`."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    jobs: JobQueue


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `test_config` may hold a `SETTINGS` object and Flask config keys."""
    test_config = dict(test_config or {})
    settings: Settings = test_config.pop("SETTINGS", None) or Settings.from_env()
    app = Flask(__name__, instance_path=str(settings.data_dir))
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_upload_bytes,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_DURATION=timedelta(days=settings.remember_days),
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="id",
        BABEL_DEFAULT_TIMEZONE="Asia/Jakarta",
    )
    app.config.update(test_config)

    secure_data_dir(settings)
    engine = make_engine(settings.database_url)
    jobs = JobQueue(settings, engine=engine, immediate=bool(app.config.get("JOBS_IMMEDIATE")))
    register_voice_jobs(jobs)
    app.extensions["suara"] = AppState(settings, engine, session_factory(engine), jobs)

    csrf.init_app(app)
    babel.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Silakan masuk untuk membuka halaman ini."
    login_manager.session_protection = "strong"

    from web import (
        agency_view, api, auth, calls, console, dashboard, desk_intake, errors, filters, handover, limits, live, open311, places,
        prompts, public, radio, router_admin, security, twilio, whatsapp,
    )

    limits.init_app(app, settings)
    security.init_app(app, settings)
    errors.init_app(app)
    filters.init_app(app)
    for module in (auth, calls, console, desk_intake, places, live, radio, dashboard, agency_view, handover, public, api, open311,
                   prompts, router_admin):
        app.register_blueprint(module.bp)
    app.register_blueprint(twilio.bp)
    app.register_blueprint(whatsapp.bp)
    app.teardown_appcontext(_close_session)
    return app


def _close_session(_exc: BaseException | None) -> None:
    from flask import g

    session = g.pop("db", None)
    if session is not None:
        session.close()
