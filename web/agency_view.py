"""One agency's page (`/dasbor/opd/<key>`), also shown on the liaison's home: what the head of an OPD acts on.

Their priority issues (each linking to its complaints), the weekly trend as an inline SVG sparkline (no chart
library, so it prints and reads on a phone), the complaints past a time limit now (texts through the audience's
identity filter, `shown`; only those dispositioned to the agency and late on its own limit, not the operators'
delays of complaints whose OPD was only pre-filled), and reporters' satisfaction with their answered complaints in the four levels. The
page prints on one A4 sheet. For viewers, the agency's figures leave its confidential complaints out, as every
viewer breakdown does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import analytics as an
from models.base import utcnow
from models.calendar import local_date
from models.entities import Agency, Complaint, Role
from models.lifecycle import overdue_filter
from models.visibility import Kind
from web.access import audience
from web.dashboard import PERIODS, chosen_period, satisfaction_levels
from web.state import db
from web.svgcharts import Sparkline

bp = Blueprint("agency_view", __name__)

TREND_WEEKS = 12
ISSUES_SHOWN = 10
OVERDUE_SHOWN = 20


@dataclass(frozen=True)
class AgencySummary:
    agency: Agency
    period: an.Period
    measures: an.Measures
    issues: list[an.IssueRow]
    sparkline: Sparkline
    overdue: list[Complaint]
    overdue_total: int
    now: datetime

    @property
    def satisfaction(self) -> list[tuple[str, str, int, float | None]]:
        """(key, label, count, share) of the four levels for the agency's rated complaints."""
        return satisfaction_levels(self.measures)


def weekly_trend(agency_id: int, today: date, public: bool) -> Sparkline:
    """Complaints per week (Monday to Sunday) of the agency, the last TREND_WEEKS weeks including this one."""
    start = an.monday_of(today) - timedelta(weeks=TREND_WEEKS - 1)
    period = an.Period(start, today)
    series = an.series(db(), "semua", period, agency_id, public=public).get("", {})
    weeks = [start + timedelta(weeks=i) for i in range(TREND_WEEKS)]
    return Sparkline(weeks, [max(series.get(w, 0), 0) for w in weeks])


def agency_summary(agency: Agency, period: an.Period, now: datetime | None = None) -> AgencySummary:
    """Everything the agency page shows, for the logged-in user's audience."""
    session, now = db(), now or utcnow()
    who = audience()
    public = who.kind is Kind.VIEWER
    totals = (an.public_totals(session, "semua", period, agency.id, now) if public
              else an.totals(session, "semua", period, agency.id, now=now))  # fmt: skip
    late_query = select(Complaint).where(overdue_filter(now, agency.id), who.complaints())
    overdue = list(session.scalars(
        late_query.options(joinedload(Complaint.topic), joinedload(Complaint.place))
        .order_by(Complaint.due_at).limit(OVERDUE_SHOWN)
    ).unique())  # fmt: skip
    overdue_total = session.scalar(select(func.count()).select_from(late_query.subquery())) or 0
    return AgencySummary(
        agency=agency, period=period, measures=totals.get("", an.Measures()),
        issues=an.priority_issues(session, period, now, agency.id, ISSUES_SHOWN),
        sparkline=weekly_trend(agency.id, local_date(now), public), overdue=overdue, overdue_total=overdue_total,
        now=now,
    )  # fmt: skip


@bp.get("/dasbor/opd/<key>")
@login_required
def page(key: str):
    agency = db().scalars(select(Agency).where(Agency.key == key)).first()
    if agency is None:
        abort(404)
    if current_user.has_role(Role.LIAISON) and current_user.agency_id != agency.id:
        abort(403)
    chosen = chosen_period(request.args, local_date(utcnow()))
    agencies = [] if current_user.has_role(Role.LIAISON) else list(
        db().scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)))  # fmt: skip
    return render_template("dashboard/agency.html", s=agency_summary(agency, chosen.period), days=chosen.days,
                           note=chosen.note, PERIODS=PERIODS, agencies=agencies)  # fmt: skip
