"""Log in and out; users with hashed passwords, roles, and a login rate limit."""

from __future__ import annotations

import secrets
import threading
import time
from collections import defaultdict, deque
from functools import wraps
from typing import Callable, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from models.entities import Agency, Role, User
from models.errors import SuaraError
from web import login_manager
from web.state import db

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., object])

LOGIN_ATTEMPTS = 5
LOGIN_WINDOW_S = 300.0


class LoginUser(UserMixin):
    """The Flask-Login view of a user row (detached from the request session)."""

    def __init__(self, user: User) -> None:
        self.id = user.id
        self.username = user.username
        self.name = user.name or user.username
        self.role = user.role
        self.agency_id = user.agency_id

    def has_role(self, *roles: Role) -> bool:
        return self.role in {r.value for r in roles}


@login_manager.user_loader
def _load_user(user_id: str) -> LoginUser | None:
    user = db().get(User, int(user_id))
    return LoginUser(user) if user is not None and user.active else None


def role_required(*roles: Role) -> Callable[[F], F]:
    """Allow only these roles (admin always); others get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):  # noqa: ANN002, ANN003
            if not current_user.has_role(Role.ADMIN, *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


class UserExists(SuaraError):
    code = "user_exists"
    message_id = "Nama pengguna sudah dipakai."


def create_user(
    session: Session, username: str, password: str, role: Role = Role.OPERATOR, name: str = "", agency_key: str | None = None
) -> User:
    """Add a user with a hashed password; a liaison must name an agency."""
    if session.scalars(select(User).where(User.username == username)).first():
        raise UserExists(username)
    if len(password) < 8:
        raise SuaraError("password too short", "Kata sandi minimal 8 karakter.")
    agency = None
    if agency_key:
        agency = session.scalars(select(Agency).where(Agency.key == agency_key)).first()
        if agency is None:
            raise SuaraError(f"unknown agency {agency_key}", f"OPD '{agency_key}' tidak dikenal.")
    if role == Role.LIAISON and agency is None:
        raise SuaraError("liaison needs an agency", "Admin penghubung harus terkait dengan satu OPD.")
    user = User(username=username, name=name or username, password_hash=generate_password_hash(password), role=role.value, agency=agency)
    session.add(user)
    session.flush()
    return user


def issue_api_token(session: Session, user: User) -> str:
    """A new API token for the user (only its hash is stored); returns the token once."""
    import hashlib

    token = secrets.token_urlsafe(32)
    user.api_token_hash = hashlib.sha256(token.encode()).hexdigest()
    return token


class LoginLimiter:
    """At most LOGIN_ATTEMPTS failed logins per client address and user name in a sliding window."""

    def __init__(self, attempts: int = LOGIN_ATTEMPTS, window_s: float = LOGIN_WINDOW_S) -> None:
        self.attempts, self.window_s = attempts, window_s
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] < now - self.window_s:
            failures.popleft()
        return failures

    def blocked(self, key: str) -> bool:
        with self._lock:
            return len(self._recent(key, time.monotonic())) >= self.attempts

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key, time.monotonic()).append(time.monotonic())

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


limiter = LoginLimiter()


class LoginForm(FlaskForm):
    username = StringField("Nama pengguna", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Kata sandi", validators=[DataRequired()])
    remember = BooleanField("Ingat saya")


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc and target.startswith("/") else None


@bp.get("/login")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("calls.index"))
    return render_template("login.html", form=LoginForm())


@bp.post("/login")
def login_submit():
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("login.html", form=form), 400
    key = f"{request.remote_addr}|{form.username.data.lower()}"
    if limiter.blocked(key):
        flash("Terlalu banyak percobaan masuk. Coba lagi dalam beberapa menit.", "error")
        return render_template("login.html", form=form), 429
    user = db().scalars(select(User).where(User.username == form.username.data)).first()
    if user is None or not user.active or not check_password_hash(user.password_hash, form.password.data):
        limiter.failed(key)
        flash("Nama pengguna atau kata sandi salah.", "error")
        return render_template("login.html", form=form), 401
    limiter.reset(key)
    login_user(LoginUser(user), remember=form.remember.data)
    return redirect(_safe_next(request.args.get("next")) or url_for("calls.index"))


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash("Anda telah keluar.", "info")
    return redirect(url_for("auth.login"))
