"""Public reference numbers: digits only, so a caller can key one in on a phone, and hard to guess.

Form: YYMMDD (local day of confirmation) + 5 random digits + a Luhn check digit = 12 digits, stored bare
("261127048213") and shown in groups of four ("2611-2704-8213"). Why digits only: citizens check their
complaint by phone (DTMF keypad) and hear the number read out; letters would need spelling and cannot
be typed. The date prefix helps operators and spreads the random part over days, and the check digit
catches every single mistyped digit and most swapped neighbours before any database lookup. With
100 000 random values per day and tens of complaints a day, guessing a valid number for a given day
succeeds about once in a few thousand tries; the public tracking page is rate-limited and never shows
personal data or confidential complaints, so that is enough.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.calendar import local_date
from models.entities import Complaint
from models.errors import SuaraError

REFERENCE_LENGTH = 12
RANDOM_DIGITS = 5
MAX_ATTEMPTS = 50
_REFERENCE_SHAPE = re.compile(rf"[0-9]{{{REFERENCE_LENGTH}}}")


class RandomSource(Protocol):
    def randrange(self, stop: int, /) -> int: ...


class ReferenceUnavailable(SuaraError):
    """No free reference number was found (practically impossible unless the random source is broken)."""

    code = "reference_unavailable"
    message_id = "Nomor registrasi tidak dapat dibuat. Silakan coba lagi."
    http_status = 503


def luhn_check_digit(payload: str) -> int:
    """The Luhn digit that makes `payload` + digit valid."""
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        if position % 2 == 0:  # these are the doubled digits once the check digit is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return (10 - total % 10) % 10


def is_valid_reference(reference: str) -> bool:
    """Twelve digits with a correct Luhn check digit."""
    return bool(_REFERENCE_SHAPE.fullmatch(reference)) and luhn_check_digit(reference[:-1]) == int(reference[-1])


def new_reference(session: Session, now: datetime | None = None, *, rng: RandomSource | None = None) -> str:
    """A reference number no complaint has yet (checked in the database; retried on collision)."""
    rng = rng or secrets.SystemRandom()
    prefix = local_date(now or utcnow()).strftime("%y%m%d")
    for _ in range(MAX_ATTEMPTS):
        payload = f"{prefix}{rng.randrange(10**RANDOM_DIGITS):0{RANDOM_DIGITS}d}"
        reference = payload + str(luhn_check_digit(payload))
        if session.scalar(select(Complaint.id).where(Complaint.reference == reference).limit(1)) is None:
            return reference
    raise ReferenceUnavailable(f"no free reference for {prefix} after {MAX_ATTEMPTS} attempts")


_LOOKALIKES = str.maketrans({"o": "0", "O": "0", "i": "1", "I": "1", "l": "1", "L": "1"})


def normalise_reference(text: str) -> str | None:
    """The stored form of a typed, spoken-and-transcribed or keyed-in reference, or None when it cannot be one.

    Ignores spaces, dashes, dots, a leading "SW", DTMF '*' and '#', and reads O as 0 and I/l as 1.
    """
    cleaned = re.sub(r"^\s*sw", "", text, flags=re.IGNORECASE).translate(_LOOKALIKES)
    digits = re.sub(r"[\s\-./*#_]", "", cleaned)
    return digits if is_valid_reference(digits) else None


def format_reference(reference: str) -> str:
    """Groups of four for people: 2611-2704-8213 (anything that is not a stored reference is left as it is)."""
    if not _REFERENCE_SHAPE.fullmatch(reference):
        return reference
    return "-".join(reference[i : i + 4] for i in range(0, len(reference), 4))


def find_by_reference(session: Session, text: str) -> Complaint | None:
    """The complaint with this reference in any accepted spelling, or None."""
    reference = normalise_reference(text)
    if reference is None:
        return None
    return session.scalar(select(Complaint).where(Complaint.reference == reference))
