"""The draft inbox's rows: urgent first, newest first, and every query served by an index (the inbox is
re-read after each live event, with thousands of drafts waiting)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from models.base import utcnow
from tests.console_data import make_draft
from web.inbox import waiting_drafts
from web.places import PlaceDirectory


def test_urgent_drafts_first_then_the_newest_up_to_the_limit(session, settings) -> None:  # noqa: ANN001
    now = utcnow()
    for n in range(4):
        make_draft(session, settings, title=f"Biasa {n}", received_at=now - timedelta(hours=n), audio=False)
    make_draft(session, settings, title="Mendesak lama", urgent=True, received_at=now - timedelta(days=2), audio=False)
    session.commit()
    rows = waiting_drafts(session, PlaceDirectory([]), lambda received: received + timedelta(days=3), limit=3)
    assert [r.title for r in rows] == ["Mendesak lama", "Biasa 0", "Biasa 1"]
    assert rows[0].urgent and rows[0].due_at == rows[0].received_at + timedelta(days=3)


def test_every_inbox_query_walks_an_index(session, settings) -> None:  # noqa: ANN001
    make_draft(session, settings, urgent=True, audio=False)
    session.commit()
    seen: list[tuple[str, object]] = []
    engine = session.get_bind()

    def capture(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001, ANN202
        if statement.lstrip().upper().startswith("SELECT") and "FROM complaint" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        waiting_drafts(session, PlaceDirectory([]), lambda received: received)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert len(seen) == 2  # urgent ones, then the rest
    with engine.connect() as conn:
        for statement, parameters in seen:
            plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters))
            assert "USING INDEX ix_complaint_status_urgent_created" in plan, plan
            assert "TEMP B-TREE" not in plan, plan  # no sorting of every draft
