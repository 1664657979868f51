"""Indonesian phone numbers, in one place: normalise to E.164 or the national form, mask for display, compare
callers, and the one rule for who may rate a complaint (by phone and on the web).

Providers (Twilio SMS and voice) accept only E.164 (`+6281234567001`); people write `0812-3456-7001`,
`62812…`, `+62 812 …`. Every layer uses these functions instead of its own digit juggling.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable

from models.entities import Channel

if TYPE_CHECKING:
    from models.entities import Complaint

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


def to_national(number: str | None) -> str | None:
    """An Indonesian number as people write it (`081234567001`, `0353881234`), a foreign one as `+<cc>…`;
    None when it is not a plausible phone number (a mobile has 10-13 digits, a landline 9-12)."""
    e164 = to_e164(number)
    if e164 is None:
        return None
    if not e164.startswith("+" + COUNTRY_CODE):
        return e164
    national = "0" + e164[1 + len(COUNTRY_CODE):]
    low, high = (10, 13) if national.startswith("08") else (9, 12)
    return national if low <= len(national) <= high else None


def national_digits(text: str) -> str:
    """The digits of a (possibly partial) number with the country code 62 written as the trunk 0 (`+62 812-34` ->
    `081234`): how the phone gateways store numbers."""
    digits = re.sub(r"\D", "", text)
    return "0" + digits[len(COUNTRY_CODE):] if digits.startswith(COUNTRY_CODE) else digits


def stored_forms(text: str) -> list[str]:
    """The spellings a number may be stored in (gateways, operators, forms), to find it with `IN (...)`."""
    local = national_digits(text)
    if not local:
        return []
    forms = {local, text.strip()}
    if local.startswith("0"):
        forms |= {"+" + COUNTRY_CODE + local[1:], COUNTRY_CODE + local[1:]}
    return sorted(forms)


def reporter_numbers(complaint: "Complaint") -> list[str]:
    """The numbers that identify a complaint's reporter: the one they gave and the line they called from."""
    numbers = [complaint.reporter_phone, complaint.call.caller_number if complaint.call else None]
    return [n for n in numbers if n and len(re.sub(r"\D", "", n)) >= 4]


def sms_number(complaint: "Complaint") -> str | None:
    """Where a complaint's reporter can get an SMS: the first of `reporter_numbers` that is a phone number, E.164.
    None for a WhatsApp conversation: its replies (the reference too) go back on WhatsApp."""
    if complaint.call is not None and complaint.call.channel == Channel.WHATSAPP.value:
        return None
    return next((e164 for e164 in map(to_e164, reporter_numbers(complaint)) if e164), None)


LAST_DIGITS = 4
"""How many final digits of the reporter's number the web asks for."""


def may_rate(reporter: Iterable[str | None], *, caller: str | None = None, last_digits: str | None = None) -> bool:
    """The one rule for who may rate a complaint: whoever shows they hold a reporter's number (`reporter_numbers`).

    By phone the proof is the network's caller id (`caller`, the same number however written); on the web, the
    number's last four digits (`last_digits`). A complaint without any reporter number has nothing to prove
    against: whoever knows its reference may rate it, on either channel.
    """
    numbers = [n for n in reporter if n and len(re.sub(r"\D", "", n)) >= LAST_DIGITS]
    if not numbers:
        return True
    if caller is not None and any(same_number(caller, n) for n in numbers):
        return True
    digits = re.sub(r"\D", "", last_digits or "")
    return len(digits) == LAST_DIGITS and any(re.sub(r"\D", "", n).endswith(digits) for n in numbers)


_NUMBER_IN_TEXT = re.compile(r"\+?\d[\d .-]{6,}\d")


def mask_numbers(text: str) -> str:
    """A provider's message as it may go to logs and the audit: every phone-like run of digits masked (Twilio's
    refusals name the number: "The 'To' number +6281234567001 is not a valid phone number")."""
    return _NUMBER_IN_TEXT.sub(lambda m: mask(m.group()) if to_e164(m.group()) else "*" * len(m.group()), text)


def mask(number: str | None) -> str:
    """A number as it may be shown in logs and to staff who need to recognise, not dial, it: +62812****7001."""
    e164 = to_e164(number)
    if e164 is None:
        return "–" if not number else "****"
    return e164[:6] + "*" * max(0, len(e164) - 10) + e164[-4:]
