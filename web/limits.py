"""Rate limits (Flask-Limiter) and the client address behind trusted reverse proxies.

Limits are counted in Redis when SUARA_REDIS_URL is set, so they add up across gunicorn workers and
hosts; otherwise in this process's memory. The client address is the socket's, or, behind
SUARA_TRUSTED_PROXIES proxies (Werkzeug ProxyFix), the one the nearest trusted proxy saw.

Login failures are limited per address and user name with windows that grow (a few tries a minute,
then fewer per quarter hour, hour and day), so guessing slows down more and more while the account
itself is never locked: the real user at another address logs in as usual. Failures from one address
across user names have their own limit, which stops spraying one password over many names.
"""

from __future__ import annotations

import time

from flask import Flask, request
from flask_limiter import Limiter, RequestLimit
from werkzeug.middleware.proxy_fix import ProxyFix

from models.config import Settings

LOGIN_FAILURES_PER_USER = "5 per minute; 10 per 15 minutes; 20 per hour; 50 per day"
"""Failed logins per client address and user name: each window is a longer wait than the one before."""
LOGIN_FAILURES_PER_ADDRESS = "15 per 5 minutes; 60 per hour; 200 per day"
"""Failed logins per client address, whatever the user name (password spraying)."""
LOGIN_ATTEMPTS_PER_ADDRESS = "30 per minute"
"""Every login attempt per address: each costs a password hash."""
TRACK_PER_ADDRESS = "30 per minute; 300 per hour"
"""Public tracking look-ups per address."""
TRACK_MISSES_PER_ADDRESS = "30 per 10 minutes"
"""Look-ups of unknown numbers per address (the random part of a reference is short)."""
TRACK_PER_REFERENCE = "20 per hour"
"""Look-ups and ratings of one reference, from any address."""
RATING_FAILURES_PER_REFERENCE = "5 per hour; 10 per day"
"""Wrong last four phone digits for one reference (10,000 possibilities)."""


def client_address() -> str:
    """The client's address (after ProxyFix); the key of per-address limits."""
    return request.remote_addr or "?"


def per_user(prefix: str):  # noqa: ANN201
    """A key function: the logged-in user (the client address when nobody is), under `prefix`."""
    from flask_login import current_user

    def key() -> str:
        return f"{prefix}|user:{current_user.id}" if current_user.is_authenticated else f"{prefix}|{client_address()}"

    return key


limiter = Limiter(key_func=client_address, strategy="moving-window", headers_enabled=True)


def init_app(app: Flask, settings: Settings) -> None:
    """Trust the configured number of proxies and store limits in Redis when there is one."""
    if settings.trusted_proxies > 0:
        n = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)  # type: ignore[method-assign]
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.redis_url or "memory://")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "suara-limit")
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2} if settings.redis_url else {})
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)  # Redis down: count in this process, not fail
    # The limiter is one object (its decorators sit on the views) bound to the newest app; it would
    # otherwise keep an earlier app's RATELIMIT_ENABLED=False.
    limiter.enabled = True
    limiter.init_app(app)


def wait_text(limit: RequestLimit) -> str:
    """How long until the broken limit lets the client through, in Indonesian ("3 menit")."""
    seconds = max(int(limit.reset_at - time.time()), 1)
    if seconds < 90:
        return f"{seconds} detik"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} menit"
    return f"{round(seconds / 3600)} jam"
