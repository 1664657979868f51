"""The LAPOR! tracking number and a draft's first status are written only by the lifecycle: checked and audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import lifecycle as lc
from models.audit import AuditEntry
from models.entities import Call, Channel, Complaint, StatusChange
from models.status import Status
from tests.console_data import make_complaint, make_draft, user
from tests.test_pipeline import FlakyEngine, tone_wav  # noqa: F401 - fixture
from transcribe.jobs import JobQueue
from voice.intake import IncomingAudio, accept_upload


def _actions(session, complaint: Complaint) -> list[str]:  # noqa: ANN001
    return list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "complaint", AuditEntry.object_id == complaint.id).order_by(AuditEntry.id)))


@pytest.mark.parametrize("tracking", ["x", "12", "nomor lapor 1", "4471234; DROP", "9" * 41])
def test_forwarding_with_a_bad_lapor_number_changes_nothing(session, settings, users, tracking) -> None:  # noqa: ANN001
    complaint = make_complaint(session, settings, Status.TERDISPOSISI)
    with pytest.raises(lc.InvalidTrackingId) as raised:
        lc.mark_not_competent(session, complaint, user(session, "operator"), "Jalan nasional.", forward_national=True,
                              lapor_tracking_id=tracking)
    assert "Nomor pelacakan LAPOR!" in raised.value.message_id
    assert complaint.status == Status.TERDISPOSISI and complaint.lapor_tracking_id is None


def test_forwarding_records_the_lapor_number_audited(session, settings, users) -> None:  # noqa: ANN001
    complaint = make_complaint(session, settings, Status.TERDISPOSISI)
    lc.mark_not_competent(session, complaint, user(session, "operator"), "Jalan nasional.", forward_national=True,
                          lapor_tracking_id=" LPR-4471234 ")
    assert complaint.status == Status.BUKAN_WEWENANG and complaint.lapor_tracking_id == "LPR-4471234"
    assert _actions(session, complaint)[-2:] == ["complaint.not_competent", "complaint.lapor_tracking"]


def test_a_draft_has_no_lapor_number(session, settings, users) -> None:  # noqa: ANN001
    draft = make_draft(session, settings)
    with pytest.raises(lc.InvalidTrackingId):
        lc.record_lapor_tracking(session, draft, "4471234", user(session, "operator"))


def test_a_call_opens_its_draft_through_the_lifecycle(session, settings, db_engine, tone_wav) -> None:  # noqa: ANN001, F811
    queue = JobQueue(settings, engine=db_engine, recognizer=FlakyEngine(0), immediate=True)
    call, _ = accept_upload(session, settings, IncomingAudio(tone_wav, Channel.UPLOAD))
    session.commit()
    queue.enqueue_call(call.id)
    session.expire_all()
    draft = session.scalars(select(Complaint).where(Complaint.call_id == call.id)).one()
    (first,) = session.scalars(select(StatusChange).where(StatusChange.complaint_id == draft.id)).all()
    assert (first.from_status, first.to_status, first.note) == (None, Status.DRAFT, f"dari panggilan #{call.id}")
    assert _actions(session, draft) == ["complaint.drafted"]
    assert session.get(Call, call.id).status == "drafted"
