"""`suara learn` on the database: confirmed complaints become examples; place corrections teach the drafting job."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from models.base import utcnow
from models.entities import Place, Topic
from models.lifecycle import confirm_draft
from tests.desk_data import drafted
from transcribe.drafting import learning
from transcribe.learn_job import confirmed_examples, place_corrections

HEARD = [
    ("jalan di gedung adam rusak berlubang parah sudah lama", "jalan", "jalan di kedungadem rusak berlubang parah sudah lama"),
    ("lampu penerangan jalan mati di gedung adam", "perumahan", None),
    ("sampah menumpuk di pasar gedung adam bau sekali", "lingkungan", None),
]


def test_confirmed_complaints_teach_the_router_and_the_gazetteer(session, settings, users, monkeypatch) -> None:  # noqa: ANN001
    kedungadem = session.scalars(select(Place).where(Place.name == "Kedungadem", Place.kind == "kecamatan")).one()
    start = utcnow() - timedelta(days=3)
    for i, (heard, topic, corrected) in enumerate(HEARD * 4):
        c = drafted(session, settings, heard, received_at=start + timedelta(hours=i))
        assert c.place is None or c.place.name != "Kedungadem"  # the drafter does not know "gedung adam"
        c.call.transcript.alternatives = [heard.replace("jalan", "jalen")]
        c.call.transcript.edited_text = corrected
        c.topic = session.scalars(select(Topic).where(Topic.key == topic)).one()
        c.place = kedungadem
        confirm_draft(session, c, None, settings, now=start + timedelta(hours=i, minutes=5))
    still_draft = drafted(session, settings, "air pdam mati tiga hari")
    session.commit()

    examples = confirmed_examples(session)
    assert len(examples) == 12 and str(still_draft.id) not in {e.key for e in examples}
    first = min(examples, key=lambda e: e.confirmed_at)
    assert (first.heard, first.corrected, first.topic) == (HEARD[0][0], HEARD[0][2], "jalan")
    assert first.alternatives == (HEARD[0][0].replace("jalan", "jalen"),)
    assert first.confirmed_at == start + timedelta(minutes=5)
    assert len(place_corrections(session)) == 12

    from web.cli import main

    monkeypatch.setenv("SUARA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SUARA_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["learn"])
    assert result.exit_code == 0, result.output
    assert "12 aduan terkonfirmasi" in result.output and "Versi v0001" in result.output
    assert "set uji" in result.output  # the held-out figures of the candidate and the active router
    store = learning.ModelStore(settings.data_dir)
    assert [v["version"] for v in store.versions()] == ["v0001"]
    assert learning.load_aliases(settings.data_dir) == {"gedungadam": "kedungadem"}
    # the drafting job now places "gedung adam" in Kedungadem
    again = drafted(session, settings, "jembatan di gedung adam ambrol mohon segera diperbaiki")
    assert again.place is not None and again.place.name == "Kedungadem"


def test_the_nightly_job_learns_and_leaves_too_few_complaints_alone(settings, db_engine) -> None:  # noqa: ANN001
    from transcribe.jobs import JobQueue

    queue = JobQueue(settings, db_engine, immediate=True)
    assert "learn_router" in {t.name for t in queue.huey._registry.periodic_tasks}
    queue.learn()  # no confirmed complaint yet: nothing trained, nothing switched
    assert learning.ModelStore(settings.data_dir).versions() == []
    assert learning.ModelStore(settings.data_dir).active() == learning.SHIPPED


def test_what_a_caller_says_of_themselves_is_not_learned(session, settings, users) -> None:  # noqa: ANN001
    """Router versions stay in the data directory (and its backups) for ever: names and numbers said in an
    anonymous call must not be in their training text."""
    heard = "selamat pagi nama saya sutrisnowati dari dusun krajan nomor saya 081234567001 jalan di desa rusak berlubang"
    c = drafted(session, settings, heard)
    c.anonymous = True
    c.call.transcript.alternatives = [heard.replace("jalan", "jalen")]
    c.topic = session.scalars(select(Topic).where(Topic.key == "jalan")).one()
    confirm_draft(session, c, None, settings)
    session.commit()
    (example,) = confirmed_examples(session)
    for text in (example.heard, example.corrected, *example.alternatives):
        assert "sutrisno" not in text and "4567001" not in text and "[" not in text, text
        assert "jalan" in text or "jalen" in text
