"""Hand-over to SP4N-LAPOR!: export confirmed complaints (CSV, JSON), record LAPOR! tracking numbers, list
complaints outside the regency's remit for forwarding.

The export holds what an admin types into SP4N-LAPOR! (title, description, date, location, category,
agency, anonymous/confidential flags) plus an internal link to the call audio, with every text passed through
the identity filter. Only an admin's explicit export "with identity" (audited) carries the reporter's name and
phone and unfiltered texts, and only for ordinary complaints: anonymous and confidential ones never. The CSV's `nomor_lapor` column can be filled in and uploaded again: the numbers are
recorded, and uploading the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, joinedload

from models.audit import audit
from models.base import utcnow
from models.calendar import WIB, end_of_local_day, local_date
from models.channels import source_label
from models.desk import DeskIntake
from models.entities import Complaint, Place, Role, Topic, User
from models.identity import filter_for
from models.lifecycle import InvalidTrackingId, Status, record_lapor_tracking, status_label
from models.refs import format_reference, normalise_reference
from web.auth import role_required
from web.console_common import acting_user
from web.draft_review import CLASSIFICATIONS
from web.csv_export import csv_response, csv_text
from web.params import date_arg
from web.state import db, get_or_404

bp = Blueprint("handover", __name__)

FIELDS = ("nomor_registrasi", "judul", "isi", "tanggal", "saluran", "lokasi", "kecamatan", "desa", "klasifikasi", "kategori",
          "opd", "anonim", "rahasia", "status", "tautan_audio", "nomor_lapor")  # fmt: skip
IDENTITY_FIELDS = ("nama_pelapor", "telepon_pelapor")
"""Only in an export an admin asks for with identity; empty for anonymous and confidential complaints."""
LIST_LIMIT = 200
EXPORT_LIMIT = 20_000
OUT_OF_REMIT_TOPIC = "lainnya"


@dataclass(frozen=True)
class ExportFilter:
    start: date | None
    end: date | None
    pending_only: bool
    out_of_remit: bool = False


def _filter(out_of_remit: bool = False) -> ExportFilter:
    return ExportFilter(date_arg("dari"), date_arg("sampai"),
                        request.args.get("semua") != "1", out_of_remit)  # fmt: skip


def confirmed_query(f: ExportFilter) -> Select[tuple[Complaint]]:
    """Confirmed complaints matching the filter, newest first."""
    query = (
        select(Complaint)
        .options(joinedload(Complaint.topic), joinedload(Complaint.agency), joinedload(Complaint.place).joinedload(Place.parent))
        .where(Complaint.reference.is_not(None), Complaint.status.in_(sorted(Status.CONFIRMED)))
        .order_by(Complaint.received_at.desc(), Complaint.id.desc())
    )
    if f.start:
        query = query.where(Complaint.received_at >= end_of_local_day(f.start - timedelta(days=1)))
    if f.end:
        query = query.where(Complaint.received_at < end_of_local_day(f.end))
    if f.pending_only:
        query = query.where(Complaint.lapor_tracking_id.is_(None))
    if f.out_of_remit:
        lainnya = select(Topic.id).where(Topic.key == OUT_OF_REMIT_TOPIC).scalar_subquery()
        query = query.where(or_(Complaint.status == Status.BUKAN_WEWENANG, Complaint.topic_id == lainnya))
    return query


def export_row(complaint: Complaint, audio_url: str | None, with_identity: bool = False,
               source_detail: str | None = None) -> dict[str, Any]:
    """One complaint as the hand-over file holds it (booleans stay booleans; the CSV writes ya/tidak).

    Texts are identity-filtered (`models.identity`) unless `with_identity` is asked for and the complaint is
    ordinary (neither anonymous nor confidential); only then are the reporter's name and phone filled in.
    """
    identity = with_identity and not complaint.anonymous and not complaint.confidential
    text = (lambda value: value or "") if identity else filter_for(complaint).redact
    place = complaint.place
    kecamatan = (place.parent or place).name if place is not None else ""
    desa = place.name if place is not None and place.parent is not None else ""
    location = ", ".join(p for p in (text(complaint.location_detail), place.label if place else "") if p)
    received = complaint.received_at
    row = {
        "nomor_registrasi": complaint.reference,
        "judul": text(complaint.title),
        "isi": text(complaint.description),
        "tanggal": (received + WIB).strftime("%Y-%m-%d %H:%M") if received else "",
        "saluran": source_label(complaint.channel, source_detail, free_text=identity),
        "lokasi": location,
        "kecamatan": kecamatan,
        "desa": desa,
        "klasifikasi": CLASSIFICATIONS.get(complaint.classification, complaint.classification),
        "kategori": complaint.topic.name if complaint.topic else "",
        "opd": complaint.agency.name if complaint.agency else "",
        "anonim": bool(complaint.anonymous),
        "rahasia": bool(complaint.confidential),
        "status": status_label(complaint.status),
        "tautan_audio": audio_url or "",
        "nomor_lapor": complaint.lapor_tracking_id or "",
    }
    if with_identity:
        row["nama_pelapor"] = (complaint.reporter_name or "") if identity else ""
        row["telepon_pelapor"] = (complaint.reporter_phone or "") if identity else ""
    return row


def _audio_url(complaint: Complaint) -> str | None:
    if complaint.call_id is None:
        return None
    return url_for("calls.audio", call_id=complaint.call_id, _external=True)


def _rows(f: ExportFilter, with_identity: bool) -> list[dict[str, Any]]:
    """The export's rows; anonymous and confidential complaints get no link to the recording (a voice identifies)."""
    complaints = db().scalars(confirmed_query(f).limit(EXPORT_LIMIT)).unique().all()
    details = source_details([c.id for c in complaints if c.call_id is None])
    return [export_row(c, None if c.anonymous or c.confidential else _audio_url(c), with_identity, details.get(c.id))
            for c in complaints]


def source_details(complaint_ids: list[int], chunk: int = 1000) -> dict[int, str]:
    """The sub-source (social-media platform, "lainnya" text) of typed complaints, by complaint id."""
    found: dict[int, str] = {}
    for i in range(0, len(complaint_ids), chunk):
        found.update((complaint_id, detail) for complaint_id, detail in db().execute(
            select(DeskIntake.complaint_id, DeskIntake.source_detail)
            .where(DeskIntake.complaint_id.in_(complaint_ids[i:i + chunk]), DeskIntake.source_detail.is_not(None))))
    return found


def to_csv(rows: list[dict[str, Any]]) -> str:
    """The export as CSV for Excel (with a BOM), formula cells neutralised; the identity columns only when asked for."""
    fields = FIELDS + (IDENTITY_FIELDS if rows and IDENTITY_FIELDS[0] in rows[0] else ())
    body = [[("ya" if v is True else "tidak" if v is False else v) for v in (row.get(k) for k in fields)] for row in rows]
    return csv_text(fields, body, bom=True)


def _stamp() -> str:
    return local_date(utcnow()).isoformat()


def _export(f: ExportFilter, fmt: str, name: str) -> Response:
    """The hand-over file; `?identitas=1` (admins only, audited) adds the identity of ordinary complaints."""
    with_identity = request.args.get("identitas") == "1"
    if with_identity and not current_user.has_role(Role.ADMIN):
        abort(403)
    rows = _rows(f, with_identity)
    user = acting_user()
    audit(db(), user, "handover.export", None, format=fmt, count=len(rows), out_of_remit=f.out_of_remit,
          with_identity=with_identity)
    db().commit()
    if fmt == "json":
        body = json.dumps({"dibuat": utcnow().isoformat() + "Z", "jumlah": len(rows), "pengaduan": rows}, ensure_ascii=False, indent=1)
        return Response(body, mimetype="application/json",
                        headers={"Content-Disposition": f'attachment; filename="{name}-{_stamp()}.json"'})  # fmt: skip
    if fmt == "csv":
        return csv_response(to_csv(rows), f"{name}-{_stamp()}.csv")
    abort(404)


@bp.get("/serah-terima/")
@role_required(Role.OPERATOR)
def index():
    f = _filter()
    complaints = db().scalars(confirmed_query(f).limit(LIST_LIMIT)).unique().all()
    return render_template("handover/index.html", complaints=complaints, f=f, out_of_remit=False,
                           format_reference=format_reference, args=_args(f))  # fmt: skip


@bp.get("/serah-terima/luar-wewenang")
@role_required(Role.OPERATOR)
def out_of_remit():
    f = _filter(out_of_remit=True)
    complaints = db().scalars(confirmed_query(f).limit(LIST_LIMIT)).unique().all()
    return render_template("handover/index.html", complaints=complaints, f=f, out_of_remit=True,
                           format_reference=format_reference, args=_args(f))  # fmt: skip


def _args(f: ExportFilter) -> dict[str, str]:
    args = {}
    if f.start:
        args["dari"] = f.start.isoformat()
    if f.end:
        args["sampai"] = f.end.isoformat()
    if not f.pending_only:
        args["semua"] = "1"
    return args


@bp.get("/serah-terima/ekspor.<fmt>")
@role_required(Role.OPERATOR)
def export(fmt: str):
    return _export(_filter(), fmt, "serah-terima-lapor")


@bp.get("/serah-terima/luar-wewenang.<fmt>")
@role_required(Role.OPERATOR)
def export_out_of_remit(fmt: str):
    return _export(_filter(out_of_remit=True), fmt, "luar-wewenang")


@bp.post("/serah-terima/<int:complaint_id>/lapor")
@role_required(Role.OPERATOR)
def record(complaint_id: int):
    complaint = get_or_404(Complaint, complaint_id)
    changed = record_lapor_tracking(db(), complaint, request.form.get("nomor_lapor", ""), acting_user())
    db().commit()
    flash(f"Nomor LAPOR! untuk {format_reference(complaint.reference)} {'disimpan' if changed else 'tidak berubah'}.", "success")
    return redirect(request.form.get("next") if request.form.get("next", "").startswith("/serah-terima/") else url_for("handover.index"))


@dataclass
class ImportResult:
    recorded: int = 0
    unchanged: int = 0
    empty: int = 0
    problems: list[str] | None = None


def import_tracking_csv(session: Session, text: str, by: User | None) -> ImportResult:
    """Record the `nomor_lapor` of every row of an exported CSV; conflicts and unknown numbers are reported, not applied."""
    result = ImportResult(problems=[])
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if not reader.fieldnames or "nomor_registrasi" not in reader.fieldnames or "nomor_lapor" not in reader.fieldnames:
        raise InvalidTrackingId("missing columns", message_id="Berkas harus berkolom nomor_registrasi dan nomor_lapor (hasil ekspor).")
    for line, row in enumerate(reader, start=2):
        tracking = (row.get("nomor_lapor") or "").strip()
        if not tracking:
            result.empty += 1
            continue
        reference = normalise_reference(row.get("nomor_registrasi") or "")
        complaint = session.scalar(select(Complaint).where(Complaint.reference == reference)) if reference else None
        if complaint is None:
            result.problems.append(f"baris {line}: nomor registrasi tidak dikenal")
            continue
        if complaint.lapor_tracking_id and complaint.lapor_tracking_id != tracking:
            result.problems.append(f"baris {line}: {format_reference(complaint.reference)} sudah bernomor LAPOR! {complaint.lapor_tracking_id}")
            continue
        try:
            changed = record_lapor_tracking(session, complaint, tracking, by)
        except InvalidTrackingId:
            result.problems.append(f"baris {line}: nomor LAPOR! tidak sah")
            continue
        if changed:
            result.recorded += 1
        else:
            result.unchanged += 1
    return result


@bp.post("/serah-terima/impor")
@role_required(Role.OPERATOR)
def import_tracking():
    upload = request.files.get("berkas")
    if upload is None or not upload.filename:
        flash("Pilih berkas CSV hasil ekspor yang kolom nomor_lapor-nya sudah diisi.", "error")
        return redirect(url_for("handover.index"))
    try:
        text = upload.read().decode("utf-8")
    except UnicodeDecodeError:
        flash("Berkas harus CSV dengan pengodean UTF-8.", "error")
        return redirect(url_for("handover.index"))
    result = import_tracking_csv(db(), text, acting_user())
    db().commit()
    flash(f"{result.recorded} nomor LAPOR! dicatat, {result.unchanged} tidak berubah, {result.empty} baris kosong.", "success")
    for problem in result.problems[:20]:
        flash(problem, "error")
    return redirect(url_for("handover.index"))

