"""The name the operator types for a radio caller ("Pak Bambang, Kalitidu") reaches that caller's draft, and only it."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.config import Settings
from models.entities import Call, Transcript
from models.radio import RadioShow
from tests.conftest import login
from tests.test_radio_activity import speechlike
from transcribe.pipeline import draft_call
from voice.radio.show import store_segment

LAMP = "Lampu penerangan jalan di dekat balai desa mati sudah dua minggu, malam hari gelap sekali dan rawan kecelakaan."
"""A complaint that names no place and no reporter."""
ROAD_SUMENGKO = "Jalan di desa Sumengko rusak parah dan berlubang, mohon segera diperbaiki."
SECRET = "Mohon dirahasiakan nama saya. Lampu penerangan jalan di dekat balai desa mati sudah dua minggu."


def radio_call(session: Session, settings: Settings, typed: str, text: str, number: int = 1) -> Call:
    """A caller segment of a show, stored with the name the operator typed, and its transcript."""
    show = session.scalars(select(RadioShow)).first()
    if show is None:
        show = RadioShow(name="SAPA BUPATI", source="sapa-bupati.wav", engine="whisper", status="finished", gaps=[])
        session.add(show)
        session.flush()
    samples = speechlike(2.0, seed=number)
    result = store_segment(session, settings, show, number, 2.0 * number, 2.0 * number + 2.0, samples, name=typed)
    call = session.get(Call, result.call_id)
    session.add(Transcript(call=call, engine="whisper", model="base", language="id", text=text))
    session.flush()
    return call


@pytest.mark.parametrize(
    ("typed", "text", "reporter", "place"),
    [
        ("Pak Bambang, Kalitidu", LAMP, "Pak Bambang", "Kalitidu"),
        ("Bu Sri, Desa Mlaten", LAMP, "Bu Sri", "Mlaten"),
        ("Pak Hendi, Kec. Kapas", LAMP, "Pak Hendi", "Kapas"),
        ("Pak Darmo", LAMP, "Pak Darmo", None),
        # two desa are called Kauman: the name is still the part before the comma, the place is not guessed
        ("Bu Sri, Desa Kauman", LAMP, "Bu Sri", None),
        # what follows the comma names no place: all of it is what the operator typed for the name
        ("Mas Yanto, penjual bakso", LAMP, "Mas Yanto, penjual bakso", None),
        # the place the caller speaks of is the complaint's; the desa typed is only where they are from
        ("Pak Bambang, Kalitidu", ROAD_SUMENGKO, "Pak Bambang", "Sumengko"),
        ("", SECRET, None, None),
        ("   ", LAMP, None, None),
    ],
    ids=["name-desa", "name-desa-cue", "name-kecamatan", "name-only", "ambiguous-desa", "not-a-place",
         "spoken-place-wins", "no-name", "blank"],
)
def test_the_typed_caller_fills_the_drafts_reporter_and_place(session, settings, typed: str, text: str,  # noqa: ANN001
                                                               reporter: str | None, place: str | None) -> None:
    call = radio_call(session, settings, typed, text)
    draft = draft_call(session, settings, call)
    assert draft.reporter_name == reporter
    assert (draft.place.name if draft.place else None) == place
    confidence = draft.suggestions["confidences"]["reporter_name"]
    assert confidence == (1.0 if reporter else 0.0)  # typed by the operator: certain


def test_the_review_page_shows_the_typed_name_of_that_caller_only(client, users, session, settings) -> None:  # noqa: ANN001
    """Caller #1 gave their name, caller #2 asked to stay unnamed: each draft has what was typed for its own caller."""
    first = draft_call(session, settings, radio_call(session, settings, "Pak Bambang, Kalitidu", LAMP, 1))
    second = draft_call(session, settings, radio_call(session, settings, "", SECRET, 2))
    session.commit()
    login(client, "operator")
    page = html.unescape(client.get(f"/konsol/draf/{first.id}").text)
    assert 'name="reporter_name" value="Pak Bambang"' in page
    page = html.unescape(client.get(f"/konsol/draf/{second.id}").text)
    assert 'name="reporter_name" value=""' in page and "Pak Bambang" not in page
