"""The public figures leave confidential complaints out without reading the complaints (found profiling
/transparansi with 100 000 complaints: three full scans of the complaint table, 150 ms per page): they read the
stored counts kept without them (DailyCount.public)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import event

from models import analytics as an

COMPLAINT_TABLE = re.compile(r"\b(FROM|JOIN)\s+complaint\b(?!_)", re.IGNORECASE)


def test_public_totals_do_not_read_the_complaints(session, db_engine) -> None:  # noqa: ANN001
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(db_engine, "before_cursor_execute", seen)
    try:
        an.public_totals(session, "topic", an.Period(date(2026, 1, 1), date(2026, 12, 31)))
    finally:
        event.remove(db_engine, "before_cursor_execute", seen)
    assert statements and any("analytics_daily" in s for s in statements), statements
    assert not [s for s in statements if COMPLAINT_TABLE.search(s)], statements
