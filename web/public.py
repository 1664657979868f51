"""Public pages, no login: track a complaint by reference number, rate it, and the transparency page.

What a citizen sees of a complaint is built in one place (`public_view`): status, dates, category,
kecamatan, agency and the agency's answers through the identity filter (`models.identity`). Never the
reporter, the title or the description (they come from the caller's own words). A confidential
complaint shows exactly what an unknown number shows, so the page does not even reveal that it exists.
Look-ups are limited per client address and per reference, failed look-ups and wrong phone digits
more tightly (the reference's random part is only 5 digits; web/limits.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, flash, g, make_response, redirect, render_template, request, url_for
from sqlalchemy import select

from models import analytics as an
from models import phone
from models import satisfaction as sat
from models.base import utcnow
from models.calendar import WorkingCalendar, local_date
from models.entities import Complaint
from models.lifecycle import FollowUp, Status, status_label
from models.visibility import PUBLIC, public_count, public_share
from models.refs import find_by_reference, format_reference, normalise_reference
from web.limits import (
    RATING_FAILURES_PER_REFERENCE,
    TRACK_MISSES_PER_ADDRESS,
    TRACK_PER_ADDRESS,
    TRACK_PER_REFERENCE,
    limiter,
)
from web.params import int_arg
from web.state import db, state

bp = Blueprint("public", __name__)

STAGE_TEXT = {
    Status.BELUM_DIVERIFIKASI: "Pengaduan sudah diterima dan menunggu verifikasi oleh admin koordinator.",
    Status.TERVERIFIKASI: "Pengaduan sudah diverifikasi dan segera diteruskan ke OPD yang berwenang.",
    Status.TERDISPOSISI: "Pengaduan sudah diteruskan ke OPD dan menunggu tindak lanjut.",
    Status.DITINDAKLANJUTI: "OPD sudah memberi tindak lanjut. Silakan beri penilaian Anda.",
    Status.SELESAI: "Penanganan pengaduan sudah selesai.",
    Status.TUNDA: "Penanganan ditunda sementara, misalnya menunggu kelengkapan data.",
    Status.BUKAN_WEWENANG: "Pengaduan ini bukan wewenang Pemerintah Kabupaten dan diteruskan ke instansi yang berwenang.",
    Status.ARSIP: "Pengaduan diarsipkan.",
}
ANONYMOUS_RATING = ("Pengaduan anonim dinilai lewat telepon layanan pengaduan (tekan 3), agar identitas pelapor tetap "
                    "terlindungi.")
TRANSPARENCY_PERIODS = {30: "30 hari", 90: "90 hari", 365: "1 tahun"}
NUMBER_FIELD_LENGTH = 40
"""Characters the tracking field takes: any spelling of a 12-digit number ("SW 2611 - 2704 - 8213") fits, and the
URL the form makes stays far below what gunicorn reads of a request line (4 094 bytes)."""


@dataclass(frozen=True)
class PublicView:
    """Everything the public page shows of one complaint."""

    reference: str
    reference_raw: str
    status: str
    status_label: str
    explanation: str
    classification: str
    topic: str | None
    kecamatan: str | None
    agency: str | None
    received_at: datetime | None
    dispositioned_at: datetime | None
    follow_up_at: datetime | None
    closed_at: datetime | None
    answers: list[tuple[datetime, str]]
    rating: str | None
    can_rate: bool
    needs_phone: bool
    rate_by_phone_only: bool
    """Anonymous: no rating on the web, where checking phone digits would let anyone who knows a suspect's
    number test whether they filed it; the phone menu rates from the network's caller id instead."""


def public_view(complaint: Complaint | None, now: datetime, calendar: WorkingCalendar) -> PublicView | None:
    """What the public may see, or None (unknown, draft, rejected or confidential: all look the same)."""
    if complaint is None or not PUBLIC.may_see(complaint):
        return None
    place = complaint.place
    kecamatan = (place.parent or place).name if place is not None else None
    rateable = sat.can_rate(db(), complaint, now, calendar)
    answers = [(f.at, PUBLIC.text(complaint, f.text)) for f in db().scalars(
        select(FollowUp).where(FollowUp.complaint_id == complaint.id).order_by(FollowUp.id))]  # fmt: skip
    return PublicView(
        reference=format_reference(complaint.reference), reference_raw=complaint.reference,
        status=complaint.status, status_label=status_label(complaint.status),
        explanation=STAGE_TEXT.get(complaint.status, ""),
        classification=complaint.classification.replace("_", " ").capitalize(),
        topic=complaint.topic.name if complaint.topic else None, kecamatan=kecamatan,
        agency=complaint.agency.name if complaint.agency else None,
        received_at=complaint.received_at, dispositioned_at=complaint.dispositioned_at,
        follow_up_at=complaint.follow_up_at, closed_at=complaint.closed_at, answers=answers,
        rating=complaint.rating, can_rate=rateable and not complaint.anonymous,
        needs_phone=bool(phone.reporter_numbers(complaint)), rate_by_phone_only=rateable and complaint.anonymous,
    )  # fmt: skip


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _reference_key() -> str:
    """The looked-up or rated reference, normalised so that spellings of one number count together."""
    raw = request.view_args.get("reference") if request.view_args else None
    raw = raw or request.args.get("nomor", "")
    return f"ref|{normalise_reference(raw) or raw.strip()[:40]}"


def _is_lookup() -> bool:
    return not request.args.get("nomor", "").strip()


def _limited(_limit: object) -> Response:
    return _private(make_response(render_template("public/track.html", limited=True, field_length=NUMBER_FIELD_LENGTH,
                                                  nomor=request.args.get("nomor", "")[:NUMBER_FIELD_LENGTH]), 429))


def _missed(_response: Response) -> bool:
    """Whether this request looked up an unknown number or gave wrong phone digits (set by the view)."""
    return bool(g.get("public_miss"))


@bp.get("/lacak")
@limiter.limit(TRACK_PER_ADDRESS, exempt_when=_is_lookup, on_breach=_limited)
@limiter.limit(TRACK_MISSES_PER_ADDRESS, exempt_when=_is_lookup, deduct_when=_missed, on_breach=_limited)
@limiter.limit(TRACK_PER_REFERENCE, key_func=_reference_key, exempt_when=_is_lookup, on_breach=_limited)
def track():
    text = request.args.get("nomor", "").strip()
    view, searched = None, bool(text)
    reference = normalise_reference(text) if searched else None
    invalid = searched and reference is None  # no number at all: nothing to look up, and nothing it could reveal
    if reference:
        view = public_view(find_by_reference(db(), reference), utcnow(), WorkingCalendar.load(db()))
    g.public_miss = searched and view is None
    return _private(make_response(render_template(
        "public/track.html", view=view, searched=searched, invalid=invalid, nomor=text[:NUMBER_FIELD_LENGTH],
        limited=False, field_length=NUMBER_FIELD_LENGTH, RATINGS=an.RATINGS, RATING_LABELS=an.RATING_LABELS,
        ANONYMOUS_RATING=ANONYMOUS_RATING), 400 if invalid else 200))  # fmt: skip


@bp.post("/lacak/<reference>/nilai")
@limiter.limit(TRACK_PER_ADDRESS, on_breach=_limited)
@limiter.limit(TRACK_PER_REFERENCE, key_func=_reference_key, on_breach=_limited)
@limiter.limit(RATING_FAILURES_PER_REFERENCE, key_func=_reference_key, deduct_when=_missed, on_breach=_limited)
def rate(reference: str):
    complaint = find_by_reference(db(), reference)
    view = public_view(complaint, utcnow(), WorkingCalendar.load(db()))
    back = redirect(url_for("public.track", nomor=reference))
    if view is None:
        g.public_miss = True
        return back
    if view.rate_by_phone_only or not view.can_rate:
        flash(ANONYMOUS_RATING if view.rate_by_phone_only else "Pengaduan ini belum dapat dinilai.", "error")
        return back
    if not phone.may_rate(phone.reporter_numbers(complaint), last_digits=request.form.get("telepon_akhir", "")):
        g.public_miss = True
        flash("Empat digit terakhir nomor telepon tidak cocok dengan data pelapor.", "error")
        return back
    try:
        sat.rate(db(), complaint, request.form.get("nilai", ""), sat.RatingSource.PUBLIC)
    except sat.RatingError as exc:
        db().rollback()
        flash(exc.message_id, "error")
        return back
    db().commit()
    flash("Terima kasih, penilaian Anda sudah disimpan.", "success")
    return back


def _public_count(value: int | None) -> str:
    return public_count(value, state().settings.public_min_count)


def _public_share(share: float | None, base: int) -> float | None:
    return public_share(share, base, state().settings.public_min_count)


@bp.get("/transparansi")
def transparency():
    days = int_arg("periode", 90)
    days = days if days in TRANSPARENCY_PERIODS else 90
    now = utcnow()
    period = an.Period.last_days(days, local_date(now))
    session = db()
    summary = an.overall(session, period, now=now)
    topics = an.public_totals(session, "topic", period, shares=False)  # counts only
    kecamatan = an.public_totals(session, "kecamatan", period, shares=False)
    agencies = an.public_totals(session, "agency", period, now=now)
    topic_names, kec_names, agency_names = an.names(session, "topic"), an.names(session, "kecamatan"), an.names(session, "agency")
    from models.entities import Agency

    full_names = {str(i): n for i, n in session.execute(select(Agency.id, Agency.name))}

    def ranked(totals: dict[str, an.Measures], labels: dict[str, str]) -> list[tuple[str, an.Measures]]:
        rows = [(labels.get(v, v), m) for v, m in totals.items() if m.complaints and v != "0"]
        return sorted(rows, key=lambda r: -r[1].complaints)

    response = make_response(render_template(
        "public/transparency.html", period=period, days=days, summary=summary, PERIODS=TRANSPARENCY_PERIODS,
        topics=ranked(topics, topic_names)[:10], kecamatan=ranked(kecamatan, kec_names),
        agencies=ranked(agencies, full_names | {k: v for k, v in agency_names.items() if k not in full_names}),
        RATINGS=an.RATINGS, RATING_LABELS=an.RATING_LABELS, count=_public_count, share=_public_share,
        min_count=state().settings.public_min_count,
    ))  # fmt: skip
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
