"""Indonesian phone numbers, in one place: normalise to E.164, mask for display, compare callers.

Providers (Twilio SMS and voice) accept only E.164 (`+6281234567001`); people write `0812-3456-7001`,
`62812…`, `+62 812 …`. Every layer uses these functions instead of its own digit juggling.
"""

from __future__ import annotations

import re

COUNTRY_CODE = "62"
"""Indonesia; a national number starts with the trunk prefix 0 instead."""
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def to_e164(number: str | None) -> str | None:
    """`+62…` for an Indonesian number in any usual spelling, `+<cc>…` for a foreign one; None if not a number."""
    if not number:
        return None
    text = number.strip()
    digits = re.sub(r"\D", "", text)
    if text.startswith("+"):
        candidate = "+" + digits
    elif digits.startswith("00"):
        candidate = "+" + digits[2:]
    elif digits.startswith("0"):
        candidate = "+" + COUNTRY_CODE + digits[1:]
    elif digits.startswith(COUNTRY_CODE):
        candidate = "+" + digits
    elif digits.startswith("8"):  # a mobile number written without its 0
        candidate = "+" + COUNTRY_CODE + digits
    else:
        return None
    return candidate if _E164.match(candidate) else None


def is_e164(number: str | None) -> bool:
    return bool(number) and bool(_E164.match(number or ""))


def same_number(a: str | None, b: str | None) -> bool:
    """True when both are the same phone number, however each is written."""
    left, right = to_e164(a), to_e164(b)
    return left is not None and left == right


def may_rate(caller: str | None, reporter_numbers: list[str | None] | set[str | None]) -> bool:
    """Only the reporter's own phone may rate a complaint by phone."""
    return any(same_number(caller, number) for number in reporter_numbers)


def mask(number: str | None) -> str:
    """A number as it may be shown in logs and to staff who need to recognise, not dial, it: +62812****7001."""
    e164 = to_e164(number)
    if e164 is None:
        return "–" if not number else "****"
    return e164[:6] + "*" * max(0, len(e164) - 10) + e164[-4:]
