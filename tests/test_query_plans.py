"""The public figures leave confidential complaints out without reading the complaints (found profiling
/transparansi with 100 000 complaints: three full scans of the complaint table, 150 ms per page): they read the
stored counts kept without them (DailyCount.public), and of the complaints only the overdue index (the ones
waiting past their limit right now, counted late in the on-time shares)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import event

from models import analytics as an

COMPLAINT_TABLE = re.compile(r"\b(FROM|JOIN)\s+complaint\b(?!_)", re.IGNORECASE)


def test_public_totals_read_the_complaints_only_through_the_overdue_index(session, db_engine) -> None:  # noqa: ANN001
    statements: list[tuple[str, tuple]] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append((statement, parameters))

    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        an.public_totals(session, "topic", an.Period(date(2026, 1, 1), date(2026, 12, 31)))
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    assert statements and any("analytics_daily" in s for s, _ in statements), statements
    for statement, parameters in statements:
        if not COMPLAINT_TABLE.search(statement):
            continue
        plan = [row[-1] for row in session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)]
        on_complaints = [step for step in plan if re.search(r"\bcomplaint\b(?!_)", step)]
        assert on_complaints and all("COVERING INDEX ix_complaint_overdue_cover" in step for step in on_complaints), plan
