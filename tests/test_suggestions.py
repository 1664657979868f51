"""Draft suggestions: the reader reads what the drafting job really writes, and the shapes stored before."""

from __future__ import annotations

import json

import pytest

from models import lifecycle as lc
from tests.console_data import user
from tests.desk_data import NGUMPAK, NGUMPAK_AGAIN, PEJOK_TIE, drafted
from transcribe.drafting.suggestions import DraftSuggestions, DuplicateSuggestion, PlaceCandidate, TopicAlternative


def test_reader_reads_what_the_drafting_job_writes(session, settings, users) -> None:  # noqa: ANN001
    draft = drafted(session, settings, PEJOK_TIE)
    stored = json.loads(json.dumps(draft.suggestions))  # as it comes back from the JSON column
    read = DraftSuggestions.from_json(stored)
    assert read.topics[0] == TopicAlternative("jalan", read.topics[0].score) and len(read.topics) == 3
    assert {(p.label, p.kecamatan) for p in read.places[:2]} == {("Pejok", "Kedungadem"), ("Pejok", "Kepohbaru")}
    assert read.place_tie and all(read.place_needs_check(p) for p in read.places[:2])
    assert 0 < read.confidences["topic"] <= 1 and read.normalized_text
    assert DraftSuggestions.from_json(read.to_json()) == read


def test_duplicates_carry_reference_title_and_status(session, settings, users) -> None:  # noqa: ANN001
    first = drafted(session, settings, NGUMPAK)
    lc.confirm_draft(session, first, by=user(session, "operator"), settings=settings)
    session.flush()
    second = drafted(session, settings, NGUMPAK_AGAIN)
    [dup] = DraftSuggestions.from_json(second.suggestions).duplicates
    assert (dup.id, dup.reference, dup.title, dup.status) == (first.id, first.reference, first.title, "belum_diverifikasi")
    assert dup.score >= 0.6


def test_shapes_stored_before_version_2_are_read() -> None:
    old = {"topics": [["jalan", 0.71], ["sumber_daya_air", 0.2]],
           "place_candidates": [["35.22.08.2002", "Pejok, Kec. Kedungadem", 0.667], ["35.22.09.2001", "Pejok, Kec. Kepohbaru", 0.667]],
           "duplicates": [[17, 0.83]], "confidences": {"desa": 0.33, "topic": 0.71},
           "sensitive": [{"kind": "nik", "span": [3, 19]}], "incident_dates": [["kemarin", "2026-11-30"]]}
    read = DraftSuggestions.from_json(old)
    assert read.topics == (TopicAlternative("jalan", 0.71), TopicAlternative("sumber_daya_air", 0.2))
    assert read.places == (PlaceCandidate("35.22.08.2002", "Pejok", "Kedungadem", 0.667),
                           PlaceCandidate("35.22.09.2001", "Pejok", "Kepohbaru", 0.667))
    assert read.duplicates == (DuplicateSuggestion(17, 0.83),)
    assert read.confidences == {"desa": 0.33, "topic": 0.71} and read.place_tie
    assert read.sensitive == (("nik", 3, 19),) and read.incident_dates == (("kemarin", "2026-11-30"),)


@pytest.mark.parametrize("raw", [None, [], "x", {"topics": "x", "places": [1, None, {"code": 5}], "duplicates": [{"id": "a"}, [True, 0.9]],
                                                "confidences": [], "place_candidates": [["c"]]}])
def test_unreadable_parts_are_left_out(raw) -> None:  # noqa: ANN001
    read = DraftSuggestions.from_json(raw)
    assert read.topics == () and read.places == () and read.duplicates == () and read.confidences == {}


def test_a_place_under_the_check_score_is_highlighted() -> None:
    sure, weak = PlaceCandidate("a", "A", "K", 0.95), PlaceCandidate("b", "B", "K", 0.5)
    read = DraftSuggestions(places=(sure, weak))
    assert not read.place_tie and not read.place_needs_check(sure) and read.place_needs_check(weak)
