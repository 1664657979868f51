"""Phone numbers are handled in one module (`models/phone.py`): normalising, E.164, the national form, masking,
and one rule for who may rate a complaint, which the phone menu and the web both follow."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from models import phone
from models.entities import Call, Channel, Complaint
from tests.conftest import login  # noqa: F401
from tests.test_twilio import (  # noqa: F401 - fixtures
    CALLER, _said, app, fake_twilio, post, recording_wav, settings, sid, twiml, voice_params,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("written", ["081234567001", "0812-3456-7001", "+62 812 3456 7001", "6281234567001",
                                     "(0812) 3456.7001", "0062 812 3456 7001", "81234567001"])
def test_every_usual_spelling_is_one_number(written: str) -> None:
    assert phone.to_e164(written) == "+6281234567001"
    assert phone.to_national(written) == "081234567001"
    assert phone.same_number(written, "081234567001")
    assert phone.mask(written) == "+62812****7001"


@pytest.mark.parametrize("text,national", [("0353 881234", "0353881234"), ("+1 415 555 0100", "+14155550100"),
                                           ("0812", None), ("08123456789012345", None), ("halo", None), ("", None)])
def test_the_national_form_keeps_only_plausible_numbers(text: str, national: str | None) -> None:
    assert phone.to_national(text) == national


def test_stored_forms_find_a_number_however_it_was_stored() -> None:
    assert phone.stored_forms("+62 812-3456-7001") == ["+62 812-3456-7001", "+6281234567001", "081234567001",
                                                        "6281234567001"]
    assert phone.national_digits("+62 812-34") == "081234"


def _complaint(reporter_phone: str | None, caller: str | None) -> Complaint:
    call = Call(channel=Channel.PHONE.value, caller_number=caller) if caller else None
    return Complaint(reporter_phone=reporter_phone, call=call, status="selesai")


@pytest.mark.parametrize("reporter,caller_id,rater_phone,allowed", [
    ("081234567001", None, "+6281234567001", True),       # the reporter's number, written otherwise
    ("081234567001", None, "+6285600000000", False),      # someone else
    (None, "+6281234567001", "081234567001", True),        # no number given: the line they called from
    ("081234567001", "+6285611112222", "+6285611112222", True),  # either of the two
    (None, None, "+6285600000000", True),                  # nothing to check against: the reference suffices
])
def test_one_rule_for_who_may_rate_on_both_channels(reporter: str | None, caller_id: str | None, rater_phone: str,
                                                    allowed: bool) -> None:
    numbers = phone.reporter_numbers(_complaint(reporter, caller_id))
    by_phone = phone.may_rate(numbers, caller=rater_phone)
    by_web = phone.may_rate(numbers, last_digits=rater_phone[-4:])
    assert by_phone == by_web == allowed
    assert not phone.may_rate(numbers or ["081234567001"], last_digits="7")  # four digits, not fewer


def test_the_phone_menu_follows_the_rule_for_a_complaint_without_a_number(client, session) -> None:  # noqa: ANN001
    """Refused by phone before although the web allowed it: the two channels now agree."""
    complaint = Complaint(status="selesai", reference="BJN-2025-000555", channel="web")
    session.add(complaint)
    session.commit()
    root = twiml(post(client, "/twilio/rate", voice_params(Digits="2025000555#", From="+6285600000000")))
    assert root.find("Gather") is not None and "bukan_pelapor" not in _said(root)


def test_sms_goes_to_the_first_reporter_number_that_is_one() -> None:
    assert phone.sms_number(_complaint("belum tahu", "+6281234567001")) == "+6281234567001"
    assert phone.sms_number(_complaint("0812 3456 7002", "+6281234567001")) == "+6281234567002"
    assert phone.sms_number(_complaint(None, None)) is None


NUMBER_JUGGLING = re.compile(r"""startswith\(\s*["']\+?62|["']\+62["']|\[-4:\]\s*for\s+p\s+in\s+phones|"""
                             r"""def\s+normali[sz]e_phone""")


def test_no_other_module_juggles_phone_numbers() -> None:
    """Only models/phone.py turns 62/+62/0 into each other or compares last digits (models/identity.py finds
    numbers in free text to hide them, a different job)."""
    offenders = []
    for package in ("models", "transcribe", "voice", "web"):
        for path in (REPO / package).rglob("*.py"):
            if path.relative_to(REPO).as_posix() in ("models/phone.py", "models/identity.py"):
                continue
            if NUMBER_JUGGLING.search(path.read_text(encoding="utf-8")):
                offenders.append(path.relative_to(REPO).as_posix())
    assert offenders == []


def test_provider_messages_reach_logs_with_numbers_masked() -> None:
    """Twilio's refusals name the number; the message goes to the log, the call's error and the audit."""
    from voice.twilio_client import provider_message

    class Refusal:
        def __init__(self, body: object) -> None:
            self.body = body

        def json(self) -> object:
            return self.body

    twilio = provider_message(Refusal({"code": 21211, "message": "The 'To' number +6281234567001 is not a valid phone number"}))
    meta = provider_message(Refusal({"error": {"code": 131026, "message": "Recipient 6281234567001 (0812-3456-7001) unreachable"}}))
    for text in (twilio, meta):
        assert "4567001" not in text.replace("*", "") and "7001" in text, text
    assert twilio.startswith("(kode 21211:") and meta.startswith("(kode 131026:")
    assert phone.mask_numbers("RT 02 RW 05, tahun 2026, Rp 150.000") == "RT 02 RW 05, tahun 2026, Rp 150.000"
