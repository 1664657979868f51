"""User accounts: password strength, password changes and resets, and ending a user's sessions.

Every session and remember cookie carries the user's `session_version` (see web/auth.py); bumping it
signs the user out on every device. That happens on logout, on a password change or reset, on a
role change and on deactivation. The caller commits.
"""

from __future__ import annotations

import re
import secrets
from functools import lru_cache
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models.entities import Agency, Role, User, same_username
from models.errors import SuaraError

MIN_PASSWORD_LENGTH = 10
MIN_DISTINCT_CHARACTERS = 5
# Werkzeug's scrypt (n=32768): about 60 ms a hash on this machine. The test suite lowers it once for the
# whole run (tests/conftest.py), since it creates and logs in thousands of users.
PASSWORD_METHOD = "scrypt"


class WeakPassword(SuaraError):
    code = "weak_password"


class WrongPassword(SuaraError):
    code = "wrong_password"
    message_id = "Kata sandi saat ini salah."


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords (web/data/common-passwords.txt), lower case."""
    text = resources.files("web").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_password_strength(password: str, username: str = "") -> None:
    """Raise WeakPassword (with the reason in Indonesian) for a short, common or guessable password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword("password too short", f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter.")
    lowered = password.lower()
    stem = re.sub(r"[\W\d_]+$", "", lowered)  # "bismillah2024!" is as weak as "bismillah"
    if lowered in common_passwords() or stem in common_passwords():
        raise WeakPassword("common password", "Kata sandi ini terlalu umum dan mudah ditebak. Pilih yang lain.")
    if len(set(lowered)) < MIN_DISTINCT_CHARACTERS:
        raise WeakPassword("too few distinct characters", "Kata sandi terlalu berulang. Gunakan lebih banyak huruf/angka berbeda.")
    if len(username) >= 3 and username.lower() in lowered:
        raise WeakPassword("password contains username", "Kata sandi tidak boleh memuat nama pengguna.")


def hash_password(password: str) -> str:
    """The stored form of a password (the method and its parameters are stored with it)."""
    return generate_password_hash(password, method=PASSWORD_METHOD)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def find_user(session: Session, username: str) -> User | None:
    """The user of this name, typed in any case ("BUDI" is budi: names are unique whatever their case) and with any
    spaces around it (phone keyboards add one after a word; names are stored without)."""
    return session.scalars(select(User).where(same_username(username.strip()))).first()


def verify_login(session: Session, username: str, password: str) -> User | None:
    """The active user with this name (in any case) and password, else None; one password hash is checked either
    way, so the answer takes as long for a name that does not exist as for a real one."""
    user = find_user(session, username)
    matches = check_password_hash(user.password_hash if user is not None else _dummy_hash(), password)
    return user if user is not None and user.active and matches else None


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every cookie made before now stops working."""
    user.session_version = (user.session_version or 1) + 1


def set_password(user: User, password: str, *, must_change: bool = False) -> None:
    """Give the user a new (checked) password and end their other sessions."""
    check_password_strength(password, user.username)
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    end_sessions(user)


def change_own_password(user: User, current: str, new: str) -> None:
    """A user's own change: the current password must be right, the new one strong and different."""
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword("wrong current password")
    if current == new:
        raise WeakPassword("same password", "Kata sandi baru harus berbeda dari yang lama.")
    set_password(user, new)


def reset_password(user: User) -> str:
    """An admin's reset: a random temporary password (returned once) that must be changed at next login."""
    temporary = secrets.token_urlsafe(12)
    set_password(user, temporary, must_change=True)
    return temporary


def set_active(user: User, active: bool) -> None:
    """Activate or deactivate; deactivation ends every session and revokes the API token."""
    user.active = active
    if not active:
        user.api_token_hash = None
        end_sessions(user)


def set_role(session: Session, user: User, role: Role, agency_id: int | None) -> None:
    """Change a user's role (and agency); their sessions end so no page keeps the old rights."""
    agency = session.get(Agency, agency_id) if agency_id else None
    if role == Role.LIAISON and agency is None:
        raise SuaraError("liaison needs an agency", "Admin penghubung harus terkait dengan satu OPD.")
    if user.role != role.value or user.agency_id != (agency.id if agency else None):
        user.role, user.agency = role.value, agency
        end_sessions(user)
