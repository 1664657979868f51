"""A liaison sees and acts only on complaints dispositioned to their agency.

The regression: the drafter (or the operator) pre-fills a complaint's OPD long before it is verified, and the
liaison of that OPD could open it, read it (a confidential one too) and run "Bukan wewenang" with "Teruskan ke
LAPOR! nasional" on it, skipping the operator's verification. A complaint reaches a liaison only when it is
dispositioned (or re-routed) to their agency; before that, and for another agency's complaints, every page and
every action answers "not found" and changes nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models.audit import AuditEntry
from models.entities import Complaint, StatusChange
from tests.conftest import csrf_from, login
from tests.console_data import agency, make_complaint, tone_wav
from web.actions import ACTIONS

NOT_SENT = "belum didisposisikan ke OPD Anda"
"""Part of the message a liaison reads for a complaint that is not (or not yet) theirs."""
FORM = {"note": "Bukan urusan dinas kami", "text": "Sudah kami tangani", "forward_national": "1",
        "lapor_tracking_id": "3151234"}


def _state(session, complaint_id: int) -> tuple:  # noqa: ANN001
    session.expire_all()
    c = session.get(Complaint, complaint_id)
    changes = session.scalar(select(func.count()).select_from(StatusChange).where(StatusChange.complaint_id == complaint_id))
    audits = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action.like("complaint.%"),
                                                                              AuditEntry.action != "complaint.view"))
    return c.status, c.agency_id, c.lapor_tracking_id, c.due_at, changes, audits


def _refused_everywhere(client, session, c: Complaint) -> None:  # noqa: ANN001
    """The liaison gets "not found" for the page, the recording and every action, and nothing changes."""
    before = _state(session, c.id)
    page = client.get(f"/konsol/pengaduan/{c.id}")
    assert page.status_code == 404 and NOT_SENT in page.text
    assert c.title not in page.text
    assert client.get(f"/calls/{c.call_id}/audio").status_code == 404
    assert f'id="complaint-{c.id}"' not in client.get("/konsol/opd").text
    assert f'id="complaint-{c.id}"' not in client.get("/konsol/pengaduan").text
    token = csrf_from(client.get("/konsol/opd").text)
    for action in ACTIONS:
        answer = client.post(f"/konsol/pengaduan/{c.id}/{action}",
                             data={**FORM, "agency_id": str(c.agency_id), "csrf_token": token})
        assert answer.status_code == 404 and NOT_SENT in answer.text, (action, answer.status_code)
    assert _state(session, c.id) == before


@pytest.mark.parametrize("status", ["belum_diverifikasi", "terverifikasi", "tunda", "bukan_wewenang", "arsip"])
def test_a_complaint_not_yet_dispositioned_is_not_the_liaisons(client, session, settings, users, status: str) -> None:  # noqa: ANN001
    # the OPD only pre-filled: the drafter's guess, or the operator's before disposition
    c = make_complaint(session, settings, status, confidential=True, title="Pungutan liar di kantor desa")
    c.call.audio_path = tone_wav(settings, "call.wav", seconds=0.5)
    session.commit()
    assert c.agency.key == "dpubmpr" and c.dispositioned_at is None
    login(client, "liaison_pu")
    _refused_everywhere(client, session, c)


def test_another_agencys_complaint_is_not_the_liaisons(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, "terdisposisi", agency_key="dinkes", title="Puskesmas tutup siang hari")
    c.call.audio_path = tone_wav(settings, "call.wav", seconds=0.5)
    session.commit()
    login(client, "liaison_pu")
    _refused_everywhere(client, session, c)


def test_a_dispositioned_complaint_is_the_liaisons_to_answer_or_refuse(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, "terdisposisi", confidential=True, title="Pungutan liar di kantor desa")
    session.commit()
    login(client, "liaison_pu")
    page = client.get(f"/konsol/pengaduan/{c.id}")
    assert page.status_code == 200 and "Pungutan liar" in page.text
    assert "act-bukan-wewenang" in page.text and "act-tindak-lanjut" in page.text
    assert f'id="complaint-{c.id}"' in client.get("/konsol/opd").text
    # an operator's action stays refused, with the reason, and changes nothing
    before = _state(session, c.id)
    token = csrf_from(page.text)
    refused = client.post(f"/konsol/pengaduan/{c.id}/alihkan",
                          data={"agency_id": str(agency(session, "dinkes").id), "csrf_token": token})
    assert refused.status_code == 403 and "Alihkan ke OPD lain" in refused.text
    assert _state(session, c.id) == before
    answer = client.post(f"/konsol/pengaduan/{c.id}/bukan-wewenang", data={**FORM, "csrf_token": token})
    assert answer.status_code == 302
    session.expire_all()
    assert session.get(Complaint, c.id).status == "bukan_wewenang"
    assert client.get(f"/konsol/pengaduan/{c.id}").status_code == 200  # still theirs to read afterwards
