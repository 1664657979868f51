"""analytics: counts without confidential complaints stored beside the counts of all complaints

Revision ID: c4e8a1f0d372
Revises: b35a70eda546
Create Date: 2026-12-01 18:30:00

Viewers' breakdowns and the transparency page leave confidential complaints out; they used to subtract them from
the stored counts on every request (669 ms p95 for a viewer's one-year dashboard with 100 000 complaints). Now
each fact records whether its complaint is confidential and every DailyCount row exists for both audiences
(`public` false: all complaints; true: without confidential ones). The public rows are filled here from the facts
with grouped SQL, one INSERT per scope kind and dimension, so upgrading needs no application code. The index
covering "overdue now" gains the confidential flag, so a viewer's overdue counts need no table reads either.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from alembic import op

revision = "c4e8a1f0d372"
down_revision = "b35a70eda546"
branch_labels = None
depends_on = None

RATINGS = ("sangat_puas", "puas", "cukup_puas", "tidak_puas")
OPEN = ("belum_diverifikasi", "terverifikasi", "terdisposisi", "ditindaklanjuti", "tunda")
DIMENSIONS = {"semua": None, "channel": "channel", "topic": "topic_id", "agency": "agency_id", "kecamatan": "kecamatan_id"}


def upgrade() -> None:
    with op.batch_alter_table("analytics_complaint_fact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confidential", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("analytics_daily", schema=None) as batch_op:
        batch_op.add_column(sa.Column("public", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.drop_constraint("uq_analytics_daily_scope_dimension_day_value", type_="unique")
        batch_op.create_unique_constraint(
            "uq_analytics_daily_scope_public_dimension_day_value", ["scope", "public", "dimension", "day", "value"]
        )
    fact, complaint = sa.table("analytics_complaint_fact", sa.column("complaint_id"), sa.column("confidential")), sa.table(
        "complaint", sa.column("id"), sa.column("confidential")
    )
    hidden = sa.select(complaint.c.id).where(complaint.c.confidential == sa.true())
    op.execute(fact.update().where(fact.c.complaint_id.in_(hidden)).values(confidential=True))
    _fill_public_rows()
    # Viewers' "terlambat saat ini" leaves confidential complaints out: the covering index carries the flag too.
    op.drop_index("ix_complaint_overdue_cover", table_name="complaint")
    op.create_index("ix_complaint_overdue_cover", "complaint", ["status", "due_at", "agency_id", "place_id", "confidential"])


def _fill_public_rows() -> None:
    """Sum the counted, not confidential facts per scope, dimension, day and value (as models.analytics does)."""
    connection = op.get_bind()
    fact = sa.table(
        "analytics_complaint_fact",
        sa.column("day", sa.Date),
        *(sa.column(c) for c in ("channel", "topic_id", "agency_id", "kecamatan_id", "status", "counted",
                                 "urgent", "rating", "verify_on_time", "answer_on_time", "confidential")),
    )  # fmt: skip
    daily = sa.table(
        "analytics_daily",
        sa.column("day", sa.Date),
        sa.column("week", sa.Date),
        *(sa.column(c) for c in ("scope", "public", "dimension", "value", "complaints", "urgent", "open",
                                 "closed", "dispositioned", "dispositioned_on_time", "answered", "answered_on_time",
                                 *RATINGS)),
    )  # fmt: skip
    c = fact.c

    def count_if(condition: sa.ColumnElement) -> sa.ColumnElement:
        return sa.func.sum(sa.case((condition, 1), else_=0))

    sums = [
        sa.func.count(), count_if(c.urgent == sa.true()), count_if(c.status.in_(OPEN)), count_if(c.status == "selesai"),
        count_if(c.verify_on_time.is_not(None)), count_if(c.verify_on_time == sa.true()),
        count_if(c.answer_on_time.is_not(None)), count_if(c.answer_on_time == sa.true()),
        *(count_if(c.rating == r) for r in RATINGS),
    ]  # fmt: skip
    measures = ["complaints", "urgent", "open", "closed", "dispositioned", "dispositioned_on_time", "answered",
                "answered_on_time", *RATINGS]  # fmt: skip
    counted = sa.and_(c.counted == sa.true(), c.confidential == sa.false())
    for per_agency in (False, True):
        scope = c.agency_id if per_agency else sa.literal(0)
        for dimension, column in DIMENSIONS.items():
            value = sa.cast(c[column], sa.String) if column else sa.literal("")
            where = sa.and_(counted, c.agency_id != 0) if per_agency else counted
            rows = connection.execute(
                sa.select(scope.label("scope"), c.day, value.label("value"), *sums).where(where)
                .group_by(scope, c.day, value)
            ).all()  # fmt: skip
            inserts = [
                dict(scope=r[0], public=True, dimension=dimension, day=r[1], week=_monday(r[1]), value=str(r[2]),
                     **dict(zip(measures, r[3:])))
                for r in rows
            ]  # fmt: skip
            for start in range(0, len(inserts), 5000):
                connection.execute(daily.insert(), inserts[start : start + 5000])


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def downgrade() -> None:
    op.drop_index("ix_complaint_overdue_cover", table_name="complaint")
    op.create_index("ix_complaint_overdue_cover", "complaint", ["status", "due_at", "agency_id", "place_id"])
    daily = sa.table("analytics_daily", sa.column("public"))
    op.execute(daily.delete().where(daily.c.public == sa.true()))
    with op.batch_alter_table("analytics_daily", schema=None) as batch_op:
        batch_op.drop_constraint("uq_analytics_daily_scope_public_dimension_day_value", type_="unique")
        batch_op.create_unique_constraint("uq_analytics_daily_scope_dimension_day_value", ["scope", "dimension", "day", "value"])
        batch_op.drop_column("public")
    with op.batch_alter_table("analytics_complaint_fact", schema=None) as batch_op:
        batch_op.drop_column("confidential")
