"""Dashboard for leadership and OPDs: charts (Chart.js, vendored), CSV of every chart, priority issues, weekly report.

Every figure comes from the incremental counters in models.analytics; a liaison sees only their agency.
The weekly report's PDF is printed by the headless Chromium already used for the browser tests
(Playwright `page.pdf()`): no new system libraries, and the PDF looks exactly like the HTML page.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, abort, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import analytics as an
from models import issues as issues_mod
from models.base import utcnow
from models.calendar import local_date
from models.entities import Agency, Complaint, Role
from models.lifecycle import overdue_filter
from models.status import Status
from models.visibility import Kind
from web.access import audience
from web.csv_export import csv_response, csv_text
from web.params import BadRange, date_range, int_arg, parse_date
from web.reports import cached_report
from web.state import db, state
from web.svgcharts import DayBars

log = logging.getLogger(__name__)
bp = Blueprint("dashboard", __name__)

PERIODS = {7: "7 hari", 30: "30 hari", 90: "90 hari", 365: "1 tahun"}
TOP_SERIES = 6
ISSUE_LIMIT = 25
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]  # fmt: skip


@dataclass
class Chart:
    """One chart's data: what Chart.js draws and what the CSV export writes are the same numbers."""

    key: str
    title: str
    kind: str
    """line, bar or stacked (100 % stacked bars)."""
    labels: list[str]
    datasets: list[tuple[str, list[float | int | None]]]
    csv_header: list[str] = field(default_factory=list)
    csv_rows: list[list[Any]] = field(default_factory=list)
    horizontal: bool = False
    """Bars along the y axis, one row per category, so every name stays readable on a phone."""
    percent: bool = False

    @property
    def height(self) -> int:
        """CSS pixels: a fixed height for time series, a row per category (and per dataset) for horizontal bars."""
        if not self.horizontal:
            return 260
        per_row = 14 + 12 * (1 if self.kind == "stacked" else len(self.datasets))
        return 90 + per_row * max(len(self.labels), 1)

    @property
    def empty(self) -> bool:
        return not self.labels or not any(v for _, data in self.datasets for v in data)

    def as_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "kind": self.kind, "labels": self.labels,
                "horizontal": self.horizontal, "percent": self.percent,
                "datasets": [{"label": label, "data": data} for label, data in self.datasets]}  # fmt: skip


DASHBOARD_MAX_DAYS = 3 * 366 + 1


@dataclass(frozen=True)
class ChosenPeriod:
    """The dashboards' period: `dari`/`sampai`, else `periode` days."""

    period: an.Period
    days: int | None
    """The number of days chosen, None for a range."""
    note: str = ""
    """Why a range the user gave is not shown."""


def chosen_period(args: Any, today: date) -> ChosenPeriod:
    """`dari`/`sampai` when they make a range, else `periode` days (30 by default), saying why a range was refused."""
    days = int_arg("periode", 30)
    days = days if days in PERIODS else 30
    try:
        dates = date_range(args, DASHBOARD_MAX_DAYS)
    except BadRange as exc:
        return ChosenPeriod(an.Period.last_days(days, today), days, f"{exc.message_id} Ditampilkan {PERIODS[days]} terakhir.")
    if dates:
        return ChosenPeriod(an.Period(*dates), None)
    return ChosenPeriod(an.Period.last_days(days, today), days)


@dataclass(frozen=True)
class Filters:
    period: an.Period
    days: int | None
    scope: int
    """0 = regency, else the agency id."""
    agency: Agency | None
    public: bool = False
    """For viewers: breakdowns without confidential complaints (they count only in the regency total)."""
    note: str = ""
    """Why the period differs from the range asked for."""


def _filters() -> Filters:
    """Period (periode=N days, or dari/sampai) and scope (opd=id; a liaison always their own agency)."""
    chosen = chosen_period(request.args, local_date(utcnow()))
    scope = int_arg("opd", 0)
    if current_user.has_role(Role.LIAISON):
        scope = current_user.agency_id or -1
    agency = db().get(Agency, scope) if scope > 0 else None
    if scope and agency is None:
        abort(404)
    return Filters(chosen.period, chosen.days, scope, agency, audience().kind is Kind.VIEWER, chosen.note)


def _query_args(f: Filters) -> dict[str, Any]:
    args: dict[str, Any] = {"opd": f.scope} if f.scope else {}
    if f.days:
        args["periode"] = f.days
    else:
        args.update(dari=f.period.start.isoformat(), sampai=f.period.end.isoformat())
    return args


def _series_chart(key: str, title: str, dimension: str, f: Filters) -> Chart:
    series = an.series(db(), dimension, f.period, f.scope, public=f.public)
    names = an.names(db(), dimension)
    buckets = an.buckets(f.period)
    ranked = sorted(series, key=lambda v: -sum(series[v].values()))
    shown, rest = ranked[:TOP_SERIES], ranked[TOP_SERIES:]
    datasets = [(names.get(v, v), [series[v].get(b, 0) for b in buckets]) for v in shown]
    if rest:
        datasets.append(("Lainnya", [sum(series[v].get(b, 0) for v in rest) for b in buckets]))
    header = ["periode_mulai"] + [name for name, _ in datasets]
    rows = [[b.isoformat()] + [data[i] for _, data in datasets] for i, b in enumerate(buckets)]
    weekly = f.period.days > 62
    labels = [("mg " if weekly else "") + f"{b.day} {MONTHS[b.month - 1]}" for b in buckets]
    return Chart(key, title, "line", labels, datasets, header, rows)


MONTHS = "Jan Feb Mar Apr Mei Jun Jul Agu Sep Okt Nov Des".split()
TOP_BARS = 10
"""Bar charts show the categories with the most complaints; the others are summed as "Lainnya"."""


def _top_with_rest(rows: list[tuple[str, Any]], weight, combine, limit: int = TOP_BARS) -> list[tuple[str, Any]]:  # noqa: ANN001
    """The `limit` heaviest rows with data, by `weight`, then one "Lainnya (n)" row combining the rest."""
    ranked = sorted((r for r in rows if weight(r[1])), key=lambda r: -weight(r[1]))
    if len(ranked) <= limit + 1:
        return ranked
    rest = ranked[limit:]
    return ranked[:limit] + [(f"Lainnya ({len(rest)})", combine([m for _, m in rest]))]


def _summed(measures: list[an.Measures]) -> an.Measures:
    total = an.Measures()
    for m in measures:
        for name, value in m.values.items():
            total.values[name] += value
    return total


def build_charts(f: Filters, now: datetime) -> dict[str, Chart]:
    """Every chart of the dashboard for the filters, time limits read at `now`."""
    session = db()
    charts = {
        "kanal": _series_chart("kanal", "Pengaduan per saluran", "channel", f),
        "topik": _series_chart("topik", "Pengaduan per topik", "topic", f),
        "opd": _series_chart("opd", "Pengaduan per OPD", "agency", f),
        "kecamatan-waktu": _series_chart("kecamatan-waktu", "Pengaduan per kecamatan dari waktu ke waktu", "kecamatan", f),
    }
    totals = _totals_for(f, now)
    kec_totals = totals(session, "kecamatan", f.period, shares=False)  # counts only
    kec_names = an.names(session, "kecamatan")
    overdue = an.overdue_now(session, "kecamatan", now, f.scope or None, public=f.public)
    kec_rows = []
    for value, name in sorted(kec_names.items(), key=lambda kv: kv[1]):
        m = kec_totals.get(value, an.Measures())
        late = overdue.get(int(value), 0)
        if value == "0" and not (m.complaints or late):
            continue
        kec_rows.append([name, m.complaints, m.urgent, m.open, m.closed, late])
    bars = _top_with_rest([(r[0], r[1]) for r in kec_rows], lambda n: n, sum)
    charts["kecamatan"] = Chart(
        "kecamatan", "Pengaduan per kecamatan", "bar", [name for name, _ in bars], [("Pengaduan", [n for _, n in bars])],
        ["kecamatan", "pengaduan", "mendesak", "berjalan", Status.SELESAI.value, "terlambat_sekarang"], kec_rows, horizontal=True,
    )
    agency_totals = totals(session, "agency", f.period)
    agency_names = an.names(session, "agency")
    agency_overdue = an.overdue_now(session, "agency", now, f.scope or None, public=f.public)
    rows = [(agency_names.get(v, v), m, agency_overdue.get(int(v), 0)) for v, m in agency_totals.items() if v != "0" and m.complaints]
    rows.sort(key=lambda r: r[0])
    bars = _top_with_rest([(n, m) for n, m, _ in rows], lambda m: m.verify_decided + m.answer_decided, _summed)
    charts["kepatuhan"] = Chart(
        "kepatuhan", "Kepatuhan batas waktu per OPD (%)", "bar", [n for n, _ in bars],
        [("Didisposisi ≤ 3 hari kerja", [_pct(m.verify_share) for _, m in bars]),
         ("Ditindaklanjuti ≤ 5 hari kerja", [_pct(m.answer_share) for _, m in bars])],
        ["opd", "pengaduan", "didisposisi", "didisposisi_tepat_waktu", "belum_didisposisi_lewat_batas",
         "persen_disposisi_tepat", "ditindaklanjuti", "ditindaklanjuti_tepat_waktu",
         "belum_ditindaklanjuti_lewat_batas", "persen_tindak_lanjut_tepat", "terlambat_sekarang"],
        [[n, m.complaints, m.dispositioned, m.dispositioned_on_time, m.verify_overdue, _pct(m.verify_share),
          m.answered, m.answered_on_time, m.answer_overdue, _pct(m.answer_share), late] for n, m, late in rows],
        horizontal=True, percent=True,
    )  # fmt: skip
    rated = [(n, m) for n, m, _ in rows if m.rated]
    bars = _top_with_rest(rated, lambda m: m.rated, _summed)
    charts["kepuasan"] = Chart(
        "kepuasan", "Kepuasan pelapor per OPD (%)", "stacked", [n for n, _ in bars],
        [(an.RATING_LABELS[r], [_pct(m.satisfaction[r]) for _, m in bars]) for r in an.RATINGS],
        ["opd", "penilaian", *an.RATINGS, *(f"persen_{r}" for r in an.RATINGS)],
        [[n, m.rated, *(m.values[r] for r in an.RATINGS), *(_pct(m.satisfaction[r]) for r in an.RATINGS)] for n, m in rated],
        horizontal=True, percent=True,
    )  # fmt: skip
    return charts


def _totals_for(f: Filters, now: datetime):  # noqa: ANN202
    """`totals` of the filters' scope; for viewers without confidential complaints (also within one agency)."""
    if f.public:
        return lambda session, dimension, period, shares=True: an.public_totals(session, dimension, period, f.scope, now, shares)
    return lambda session, dimension, period, shares=True: an.totals(session, dimension, period, f.scope, now=now, shares=shares)


def overall_for(f: Filters, now: datetime) -> an.Measures:
    """The scope's totals: the regency total counts confidential complaints for everyone; an agency's total does
    not for viewers (it would reveal that the agency has one)."""
    if f.public and f.scope:
        return an.public_totals(db(), "semua", f.period, f.scope, now).get("", an.Measures())
    return an.overall(db(), f.period, f.scope, now)


def satisfaction_levels(m: an.Measures) -> list[tuple[str, str, int, float | None]]:
    """(key, label, count, share) of the four levels, as `dashboard/_satisfaction.html` shows them."""
    shares = m.satisfaction
    return [(r, an.RATING_LABELS[r], m.values[r], shares[r]) for r in an.RATINGS]


def _pct(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)


def _csv(header: list[str], rows: list[list[Any]], filename: str) -> Response:
    return csv_response(csv_text(header, rows), filename)


def _agencies() -> list[Agency]:
    return list(db().scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)))


@bp.get("/dasbor/")
@login_required
def index():
    f, now = _filters(), utcnow()
    charts = build_charts(f, now)
    summary = overall_for(f, now)
    overdue_total = sum(row[-1] for row in charts["kecamatan"].csv_rows)
    return render_template(
        "dashboard/index.html", f=f, charts=charts, summary=summary, overdue_total=overdue_total,
        satisfaction=satisfaction_levels(summary),
        chart_json=[c.as_json() for c in charts.values()], agencies=_agencies(), PERIODS=PERIODS, args=_query_args(f),
    )  # fmt: skip


@bp.get("/dasbor/data/<key>.csv")
@login_required
def chart_csv(key: str):
    f = _filters()
    if key == "isu":
        return _csv(*_issue_table(f), f"isu-prioritas-{f.period.start}-{f.period.end}.csv")
    chart = build_charts(f, utcnow()).get(key)
    if chart is None:
        abort(404)
    return _csv(chart.csv_header, chart.csv_rows, f"{key}-{f.period.start}-{f.period.end}.csv")


def _issue_table(f: Filters) -> tuple[list[str], list[list[Any]]]:
    rows = an.priority_issues(db(), f.period, utcnow(), f.scope or None, ISSUE_LIMIT)
    header = ["peringkat", "isu", "topik", "kecamatan", "opd", "jumlah", "jumlah_periode_sebelumnya", "tren_persen",
              "lokasi", "persen_terlambat", "persen_mendesak", "skor"]  # fmt: skip
    body = [[i + 1, r.label, r.topic, r.kecamatan, r.agency, r.count, r.previous, _pct(r.trend),
             "; ".join(f"{p} ({n})" for p, n in r.places), _pct(r.overdue_share), _pct(r.urgent_share), r.score]
            for i, r in enumerate(rows)]  # fmt: skip
    return header, body


@bp.get("/dasbor/isu")
@login_required
def priority():
    f = _filters()
    rows = an.priority_issues(db(), f.period, utcnow(), f.scope or None, ISSUE_LIMIT)
    return render_template(
        "dashboard/issues.html", f=f, rows=rows, agencies=_agencies(), PERIODS=PERIODS, args=_query_args(f),
        formula=issues_mod.PRIORITY_FORMULA, terms=issues_mod.PRIORITY_TERMS,
    )  # fmt: skip


# -- weekly report -------------------------------------------------------------------------------


REPORT_PERIODS = {"minggu-ini": "Minggu ini sampai hari ini", "minggu-lalu": "Minggu lalu (Senin–Minggu)",
                  "rentang": "Rentang tanggal"}  # fmt: skip
REPORT_MAX_DAYS = 93


def report_week(day: date | None, today: date | None = None) -> an.Period:
    """Monday to Sunday: the week containing `day`, else the last completed week."""
    today = today or local_date(utcnow())
    day = day or today - timedelta(days=7)
    monday = day - timedelta(days=day.weekday())
    return an.Period(monday, monday + timedelta(days=6))


@dataclass(frozen=True)
class ReportPeriod:
    period: an.Period
    choice: str
    """minggu-ini, minggu-lalu, rentang, or minggu (a week picked by date)."""
    note: str = ""
    """Why this period is shown when the user did not choose it."""


def _date_in(args: Any, name: str) -> date | None:
    raw = args.get(name, "")
    return parse_date(name, raw) if raw.strip() else None


def report_period(args: Any, today: date, has_complaints: Any) -> ReportPeriod:
    """The period the weekly report covers: chosen (`periode`, `dari`/`sampai`, `minggu`), else the last full week,
    or this week so far when the last full week had no complaint and this one has (`has_complaints(period)`)."""
    this_week = an.Period(an.monday_of(today), today)
    choice = args.get("periode", "")
    if choice == "minggu-ini":
        return ReportPeriod(this_week, choice)
    if choice == "rentang":
        try:  # a date that is not one, or out of bounds: 400
            return ReportPeriod(an.Period(*date_range(args, REPORT_MAX_DAYS, required=True)), choice)
        except BadRange as exc:
            return ReportPeriod(report_week(None, today), "minggu-lalu", f"{exc.message_id} Ditampilkan minggu lalu.")
    week_of = _date_in(args, "minggu")
    if week_of:
        return ReportPeriod(report_week(week_of, today), "minggu")
    last_week = report_week(None, today)
    if choice != "minggu-lalu" and not has_complaints(last_week) and has_complaints(this_week):
        return ReportPeriod(this_week, "minggu-ini", "Minggu lalu belum ada pengaduan: ditampilkan minggu ini sampai hari ini.")
    return ReportPeriod(last_week, "minggu-lalu")


def _report_context() -> dict[str, Any]:
    session, now = db(), utcnow()
    scope = current_user.agency_id or -1 if current_user.has_role(Role.LIAISON) else 0
    public = audience().kind is Kind.VIEWER  # breakdowns without confidential complaints, as on the dashboard
    chosen = report_period(request.args, local_date(now), lambda p: an.overall(session, p, scope, shares=False).complaints > 0)
    period = chosen.period
    issues = an.priority_issues(session, period, now, scope or None, limit=200)
    by_agency: dict[str, list[an.IssueRow]] = {}
    for row in issues:
        bucket = by_agency.setdefault(row.agency, [])
        if len(bucket) < 5:
            bucket.append(row)
    late_query = (
        select(Complaint).options(joinedload(Complaint.agency), joinedload(Complaint.topic))
        .where(overdue_filter(now, scope or None), audience().complaints()).order_by(Complaint.due_at).limit(50)
    )  # fmt: skip
    overdue = list(session.scalars(late_query))
    overdue_by_agency = an.overdue_now(session, "agency", now, scope or None, public=public)
    agency_totals = (an.public_totals(session, "agency", period, now=now) if public
                     else an.totals(session, "agency", period, scope, now=now))  # fmt: skip
    names = an.names(session, "agency")
    satisfaction = sorted(
        ((names.get(v, v), m) for v, m in agency_totals.items() if v != "0" and m.complaints), key=lambda r: r[0]
    )
    summary = an.overall(session, period, scope, now)
    daily = an.series(session, "semua", period, scope, public=public and scope != 0).get("", {})
    days = an.buckets(period)
    return dict(
        period=period, chosen=chosen, summary=summary, by_agency=by_agency, overdue=overdue,
        overdue_total=sum(overdue_by_agency.values()), satisfaction=satisfaction, now=now,
        RATINGS=an.RATINGS, RATING_LABELS=an.RATING_LABELS, REPORT_PERIODS=REPORT_PERIODS,
        levels=satisfaction_levels(summary), bars=DayBars(days, [max(daily.get(d, 0), 0) for d in days], period.days > 62),
        previous_week=(an.monday_of(period.start) - timedelta(days=7)).isoformat(),
        next_week=(an.monday_of(period.start) + timedelta(days=7)).isoformat(),
        this_monday=an.monday_of(local_date(now)),
    )  # fmt: skip


@bp.get("/dasbor/laporan-mingguan")
@login_required
def weekly():
    return render_template("dashboard/weekly.html", **_report_context(), printable=False)


@bp.get("/dasbor/laporan-mingguan.pdf")
@login_required
def weekly_pdf():
    context = _report_context()

    def render() -> bytes | None:
        html = render_template("dashboard/weekly.html", **context, printable=True, inline_css=_read_static("suara.css"))
        return html_to_pdf(html)

    scope = current_user.agency_id or -1 if current_user.has_role(Role.LIAISON) else 0
    # one cached report per audience too: a viewer's leaves confidential complaints out of the breakdowns
    key = f"mingguan-{context['period'].start}-{scope}-{audience().kind.value}"
    pdf = cached_report(state().settings.data_dir, key, render)
    if pdf is None:
        abort(503)
    name = f"laporan-mingguan-{context['period'].start}-{context['period'].end}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _read_static(name: str) -> str:
    from flask import current_app

    with current_app.open_resource(f"static/{name}") as fh:
        return fh.read().decode("utf-8")


def chromium_path() -> str | None:
    """The system Chromium (Debian package); never a downloaded browser."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def html_to_pdf(html: str) -> bytes | None:
    """A4 PDF of a self-contained HTML page, printed by headless Chromium; None when Chromium or Playwright is missing."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        log.warning("playwright is not installed: no PDF")
        return None
    if executable is None:
        log.warning("chromium not found: no PDF")
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_content(html, wait_until="load")
            return page.pdf(format="A4", print_background=True,
                            margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})  # fmt: skip
        finally:
            browser.close()


@bp.app_template_filter("trend")
def _trend(value: float | None) -> str:
    if value is None:
        return "baru"
    return f"{'+' if value >= 0 else ''}{round(value * 100)}%"


@bp.app_context_processor
def _dashboard_globals() -> dict[str, Any]:
    return {"dashboard_url": lambda endpoint, args, **extra: url_for(endpoint, **{**args, **extra})}

