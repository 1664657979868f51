"""Operator console over HTTP: role boundaries, masking, audit, review, lifecycle actions, list, admin, CSRF."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from models import lifecycle as lc
from models.audit import AuditEntry
from models.entities import Complaint, Transcript, User
from tests.conftest import csrf_from, login
from tests.console_data import make_complaint, make_draft, past
from web.console import ACTIONS
from web.inbox import sse_stream
from web.sse import Broker


def _post(client, url: str, data: dict | None = None, page: str = "/konsol/pengaduan"):  # noqa: ANN001, ANN202
    token = csrf_from(client.get(page).text)
    return client.post(url, data={"csrf_token": token, **(data or {})})


# -- role boundaries -------------------------------------------------------------------------------
@pytest.mark.parametrize("url,status", [("/konsol/pengaduan/{id}", 404), ("/konsol/draf/{id}", 403)])
def test_liaison_gets_404_for_another_agencys_complaint(client, session, settings, users, url, status) -> None:  # noqa: ANN001
    other = make_complaint(session, settings, agency_key="dinkes")
    session.commit()
    login(client, "liaison_pu")
    assert client.get(url.format(id=other.id)).status_code == status  # the review page is for operators only
    assert client.get(f"/konsol/pengaduan?q={other.reference}").text.count(other.title) == 0


def test_liaison_cannot_act_on_another_agencys_complaint(client, session, settings, users) -> None:  # noqa: ANN001
    other = make_complaint(session, settings, agency_key="dinkes")
    session.commit()
    login(client, "liaison_pu")
    response = _post(client, f"/konsol/pengaduan/{other.id}/tindak-lanjut", {"text": "bukan urusan saya"})
    assert response.status_code == 404
    session.refresh(other)
    assert other.status == "terdisposisi"


def test_liaison_sees_own_agency_but_no_drafts(client, session, settings, users) -> None:  # noqa: ANN001
    mine = make_complaint(session, settings, agency_key="dpubmpr", title="Jembatan Kalitidu ambrol")
    draft = make_draft(session, settings, title="Draf rahasia operator")
    draft.agency_id = mine.agency_id
    session.commit()
    login(client, "liaison_pu")
    assert client.get(f"/konsol/pengaduan/{mine.id}").status_code == 200
    queue = client.get("/konsol/opd").text
    assert "Jembatan Kalitidu ambrol" in queue and "Draf rahasia operator" not in queue
    assert client.get(f"/konsol/pengaduan/{draft.id}").status_code == 404
    assert client.get("/konsol/").status_code == 403


@pytest.mark.parametrize("username,status", [("viewer", 403), ("liaison_pu", 403), ("operator", 403), ("admin", 200)])
def test_admin_pages_need_admin(client, users, username, status) -> None:  # noqa: ANN001
    login(client, username)
    for url in ("/konsol/admin/pengguna", "/konsol/admin/opd", "/konsol/admin/libur"):
        assert client.get(url).status_code == status


def test_viewer_never_sees_confidential(client, session, settings, users) -> None:  # noqa: ANN001
    secret = make_complaint(session, settings, confidential=True, title="Pungli di kantor desa")
    session.commit()
    login(client, "viewer")
    assert client.get(f"/konsol/pengaduan/{secret.id}").status_code == 404
    assert "Pungli di kantor desa" not in client.get("/konsol/pengaduan").text


# -- masking and audit -----------------------------------------------------------------------------
def test_anonymous_reporter_hidden_from_liaison_shown_to_operator(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, anonymous=True, reporter="Siti Rahasia", phone="081299988877")
    session.commit()
    login(client, "liaison_pu")
    for url in (f"/konsol/pengaduan/{c.id}", "/konsol/opd", "/konsol/pengaduan"):
        text = client.get(url).text
        assert "Siti Rahasia" not in text and "081299988877" not in text, url
    assert "Anonim" in client.get(f"/konsol/pengaduan/{c.id}").text
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/konsol/pengaduan").text)})
    login(client, "operator")
    assert "Siti Rahasia" in client.get(f"/konsol/pengaduan/{c.id}").text


def test_liaison_never_sees_searching_by_anonymous_phone(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, anonymous=True, phone="081299988877")
    session.commit()
    login(client, "liaison_pu")
    # Searching by phone is for coordinators: a liaison does not find an anonymous reporter's complaint by it.
    text = client.get("/konsol/pengaduan?q=081299988877").text
    assert text.count("081299988877") <= 1  # only the search box value
    assert f"complaint-{c.id}" not in text


def test_viewing_confidential_complaint_is_audited(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, confidential=True)
    session.commit()
    login(client, "operator")
    assert client.get(f"/konsol/pengaduan/{c.id}").status_code == 200
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "complaint.view", AuditEntry.object_id == c.id)).all()
    assert len(entries) == 1 and entries[0].user_id == users["operator"]


# -- inbox and live events ---------------------------------------------------------------------------
def test_inbox_newest_first_urgent_on_top(client, session, settings, users) -> None:  # noqa: ANN001
    make_draft(session, settings, title="Lama biasa", received_at=past(3))
    make_draft(session, settings, title="Lama mendesak", urgent=True, received_at=past(2))
    make_draft(session, settings, title="Baru biasa", received_at=past(0))
    session.commit()
    login(client, "operator")
    text = client.get("/konsol/").text
    assert text.index("Lama mendesak") < text.index("Baru biasa") < text.index("Lama biasa")
    assert "Telepon" in text and "0:06" in text


def test_sse_stream_delivers_events_and_keepalives() -> None:
    broker, stop = Broker(), threading.Event()
    markers = iter([(1, 1), (1, 1), (2, 2), (2, 2), (2, 2)])
    stream = sse_stream(broker, lambda: next(markers), keepalive_s=0.05, stop=stop)
    assert next(stream).startswith("retry: 3000\nevent: hello")
    broker.publish("drafted", call_id=7)
    message = next(stream)
    assert message.startswith("event: inbox") and json.loads(message.split("data: ", 1)[1]) == {"event": "drafted", "call_id": 7}
    assert next(stream) == ": keep-alive\n\n"
    assert "changed" in next(stream)  # a draft made by another process, seen at a keep-alive
    assert broker.subscriber_count == 1
    stream.close()
    assert broker.subscriber_count == 0


def test_job_hooks_feed_the_broker(app) -> None:  # noqa: ANN001
    broker = app.extensions["suara_broker"]
    q = broker.subscribe()
    app.extensions["suara"].jobs._emit("drafted", 42)
    assert q.get_nowait() == {"event": "drafted", "call_id": 42}


def test_sse_endpoint_releases_db_session(client, users, app) -> None:  # noqa: ANN001
    login(client, "operator")
    app.config["SSE_KEEPALIVE_S"] = 0.05
    response = client.get("/konsol/events", buffered=False)
    assert response.mimetype == "text/event-stream"
    chunks = response.response
    assert next(chunks).startswith(b"retry:")
    assert next(chunks) == b": keep-alive\n\n"
    response.close()


# -- review page ---------------------------------------------------------------------------------------
def test_review_page_shows_words_audio_and_suggestions(client, session, settings, users) -> None:  # noqa: ANN001
    other = make_complaint(session, settings, title="Jalan Sukorejo sudah dilaporkan")
    from transcribe.drafting.suggestions import DraftSuggestions, DuplicateSuggestion, TopicAlternative

    d = make_draft(session, settings, suggestions=DraftSuggestions(
        topics=(TopicAlternative("jalan", 0.81), TopicAlternative("tidak_ada", 0.2), TopicAlternative("sumber_daya_air", 0.1)),
        confidences={"title": 0.5},
        duplicates=(DuplicateSuggestion(other.id, 0.9, other.reference, other.title, other.status),),
    ).to_json())
    session.commit()
    login(client, "operator")
    text = client.get(f"/konsol/draf/{d.id}").text
    assert f'src="/calls/{d.call_id}/audio"' in text
    assert 'data-start="1.50"' in text and 'class="w low"' in text
    assert "81%" in text and "Jalan Sukorejo sudah dilaporkan" in text and "gabungkan draf ini" in text


def test_review_page_tolerates_odd_suggestions(client, session, settings, users) -> None:  # noqa: ANN001
    d = make_draft(session, settings, suggestions={"topics": "x", "places": [1, None], "duplicates": [{"id": "a"}], "confidence": []})
    session.commit()
    login(client, "operator")
    assert client.get(f"/konsol/draf/{d.id}").status_code == 200


def test_edit_and_confirm_in_one_submit(client, session, settings, users) -> None:  # noqa: ANN001
    d = make_draft(session, settings)
    session.commit()
    login(client, "operator")
    page = client.get(f"/konsol/draf/{d.id}").text
    topic_id = session.scalar(select(lc.Topic.id).where(lc.Topic.key == "jalan")) if hasattr(lc, "Topic") else None
    from models.entities import Topic

    topic_id = session.scalar(select(Topic.id).where(Topic.key == "sumber_daya_air"))
    response = client.post(f"/konsol/draf/{d.id}", data={
        "csrf_token": csrf_from(page), "title": "Saluran tersumbat", "description": "uraian", "classification": "pengaduan",
        "topic_id": str(topic_id), "transcript": "jalan di desa Sukorejo rusak parah", "action": "confirm",
    }, follow_redirects=True)
    assert response.status_code == 200
    session.expire_all()
    c = session.get(Complaint, d.id)
    assert c.status == "belum_diverifikasi" and c.reference and c.topic_id == topic_id
    assert c.agency_id is not None  # routed by the topic's default agency
    assert c.reference[:4] in response.text.replace("-", "")
    assert session.scalars(select(Transcript).where(Transcript.call_id == d.call_id)).one().edited_text == "jalan di desa Sukorejo rusak parah"
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == d.id, AuditEntry.object_type == "complaint")))
    assert {"complaint.edit", "complaint.confirm"} <= actions


def test_reject_with_reason(client, session, settings, users) -> None:  # noqa: ANN001
    d = make_draft(session, settings)
    session.commit()
    login(client, "operator")
    assert _post(client, f"/konsol/draf/{d.id}/tolak", {"reason": "bukan-alasan"}).status_code == 302
    session.expire_all()
    assert session.get(Complaint, d.id).status == "draft"
    _post(client, f"/konsol/draf/{d.id}/tolak", {"reason": "salah_sambung"})
    session.expire_all()
    c = session.get(Complaint, d.id)
    assert c.status == "ditolak" and c.reject_reason == "salah_sambung"


def test_merge_duplicate(client, session, settings, users) -> None:  # noqa: ANN001
    original = make_complaint(session, settings)
    d = make_draft(session, settings)
    session.commit()
    login(client, "operator")
    _post(client, f"/konsol/pengaduan/{d.id}/gabung", {"into_id": str(original.id)})
    session.expire_all()
    c = session.get(Complaint, d.id)
    assert c.duplicate_of_id == original.id and c.status == "ditolak"


def test_invalid_field_values_are_refused(client, session, settings, users) -> None:  # noqa: ANN001
    d = make_draft(session, settings)
    session.commit()
    login(client, "operator")
    response = _post(client, f"/konsol/draf/{d.id}", {"title": "x", "topic_id": "999999"})
    assert response.status_code == 422 and "tidak valid" in response.text
    session.expire_all()
    assert session.get(Complaint, d.id).title == "Jalan rusak di Sukorejo"


# -- lifecycle actions ----------------------------------------------------------------------------------
OPERATION_OF_ACTION = {"verifikasi": "verify", "disposisi": "disposition", "tindak-lanjut": "follow_up", "kembalikan": "return_to_agency",
                       "selesai": "close", "tunda": "pause", "lanjutkan": "resume", "bukan-wewenang": "not_competent",
                       "alihkan": "reroute", "arsip": "archive"}
STATUSES = ["belum_diverifikasi", "terverifikasi", "terdisposisi", "ditindaklanjuti", "selesai", "tunda", "bukan_wewenang", "arsip"]


def test_every_action_is_mapped() -> None:
    assert set(ACTIONS) == set(OPERATION_OF_ACTION)


@pytest.mark.parametrize("action", sorted(OPERATION_OF_ACTION))
def test_illegal_transitions_are_refused_with_message(client, session, settings, users, action) -> None:  # noqa: ANN001
    sources = lc.OPERATIONS[OPERATION_OF_ACTION[action]][0]
    illegal = [s for s in STATUSES if s not in sources]
    made = {status: make_complaint(session, settings, status) for status in illegal}
    session.commit()
    other_agency = session.scalars(select(lc.Agency).where(lc.Agency.key == "dinkes")).one()
    login(client, "operator")
    for status, c in made.items():
        response = _post(client, f"/konsol/pengaduan/{c.id}/{action}",
                          {"note": "alasan", "text": "jawaban", "agency_id": str(other_agency.id)}, page=f"/konsol/pengaduan/{c.id}")
        assert response.status_code == 422  # answered on the complaint page, what was typed kept
        assert "tidak dapat diubah dari" in response.text, (action, status)
        session.expire_all()
        assert session.get(Complaint, c.id).status == status


def test_full_lifecycle_through_the_console(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, "belum_diverifikasi")
    session.commit()
    pu = session.scalars(select(lc.Agency).where(lc.Agency.key == "dpubmpr")).one()
    login(client, "operator")
    _post(client, f"/konsol/pengaduan/{c.id}/verifikasi")
    _post(client, f"/konsol/pengaduan/{c.id}/disposisi", {"agency_id": str(pu.id)})
    session.expire_all()
    assert session.get(Complaint, c.id).status == "terdisposisi"
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/konsol/pengaduan").text)})
    login(client, "liaison_pu")
    assert f"complaint-{c.id}" in client.get("/konsol/opd").text
    assert _post(client, f"/konsol/pengaduan/{c.id}/verifikasi").status_code == 403
    _post(client, f"/konsol/pengaduan/{c.id}/tindak-lanjut", {"text": "Jalan sudah ditambal tanggal 3."})
    session.expire_all()
    assert session.get(Complaint, c.id).status == "ditindaklanjuti"
    assert "Jalan sudah ditambal" in client.get(f"/konsol/pengaduan/{c.id}").text
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/konsol/pengaduan").text)})
    login(client, "operator")
    _post(client, f"/konsol/pengaduan/{c.id}/selesai")
    session.expire_all()
    assert session.get(Complaint, c.id).status == "selesai"


def test_pause_needs_a_reason(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, "terverifikasi")
    session.commit()
    login(client, "operator")
    response = _post(client, f"/konsol/pengaduan/{c.id}/tunda", {"note": "  "})
    assert response.status_code == 422 and "wajib diisi" in response.text


def test_unknown_action_is_404(client, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings)
    session.commit()
    login(client, "operator")
    assert _post(client, f"/konsol/pengaduan/{c.id}/hapus").status_code == 404


def test_csrf_is_required(app, session, settings, users) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, "belum_diverifikasi")
    d = make_draft(session, settings)
    session.commit()
    client = app.test_client()
    login(client, "operator")
    for url, data in ((f"/konsol/pengaduan/{c.id}/verifikasi", {}), (f"/konsol/draf/{d.id}", {"title": "x", "action": "confirm"}),
                      (f"/konsol/draf/{d.id}/tolak", {"reason": "uji_coba"})):
        response = client.post(url, data=data)
        assert response.status_code == 400 and "Sesi formulir" in response.text
        response = client.post(url, data={**data, "csrf_token": "palsu"})
        assert response.status_code == 400
    session.expire_all()
    assert session.get(Complaint, c.id).status == "belum_diverifikasi"
    assert session.get(Complaint, d.id).status == "draft"


# -- list ----------------------------------------------------------------------------------------------
def test_list_search_and_filters(client, session, settings, users) -> None:  # noqa: ANN001
    a = make_complaint(session, settings, title="Lampu jalan mati", phone="081211112222")
    b = make_complaint(session, settings, "terverifikasi", title="Banjir di Kapas", received_at=past(30))
    session.commit()
    login(client, "operator")

    def ids(query: str) -> set[int]:
        text = client.get(f"/konsol/pengaduan?{query}").text
        return {c.id for c in (a, b) if f'id="complaint-{c.id}"' in text}

    assert ids("") == {a.id, b.id}
    assert ids(f"q={a.reference[:4]}-{a.reference[4:8]}-{a.reference[8:]}") == {a.id}
    assert ids("q=%2B6281211112222") == {a.id}
    assert ids("q=banjir") == {b.id}
    assert ids("status=terverifikasi") == {b.id}
    assert ids("overdue=1") == {b.id}
    assert "Terlambat" in client.get("/konsol/pengaduan?overdue=1").text
    assert ids("channel=radio") == set()
    assert ids("q=100%25_") == set()


def test_list_keyset_pagination(client, session, settings, users) -> None:  # noqa: ANN001
    from web import console

    made = [make_complaint(session, settings, title=f"Keluhan nomor {i:02d}") for i in range(5)]
    session.commit()
    login(client, "operator")
    console_page = console.PAGE_SIZE
    console.PAGE_SIZE = 2
    try:
        seen, url = [], "/konsol/pengaduan"
        while url:
            text = client.get(url).text
            import re

            seen += [int(i) for i in re.findall(r'id="complaint-(\d+)"', text)]
            match = re.search(r'href="([^"]*after=\d+[^"]*)"', text)
            url = match.group(1).replace("&amp;", "&") if match else None
        assert seen == sorted((c.id for c in made), reverse=True)
    finally:
        console.PAGE_SIZE = console_page


# -- admin -------------------------------------------------------------------------------------------
def test_admin_creates_liaison_and_issues_token(client, session, users) -> None:  # noqa: ANN001
    login(client, "admin")
    dinkes = session.scalars(select(lc.Agency).where(lc.Agency.key == "dinkes")).one()
    _post(client, "/konsol/admin/pengguna", {"username": "dinkes2", "password": "sandi-panjang-1", "role": "liaison",
                                             "agency_id": str(dinkes.id)}, page="/konsol/admin/pengguna")
    new = session.scalars(select(User).where(User.username == "dinkes2")).one()
    assert new.agency_id == dinkes.id and new.password_hash != "sandi-panjang-1"
    response = client.get(_post(client, f"/konsol/admin/pengguna/{new.id}/token", page="/konsol/admin/pengguna").headers["Location"])
    assert response.headers["Cache-Control"] == "no-store"
    import re

    token = re.search(r'<code id="new-token">([^<]+)</code>', response.text).group(1)
    assert client.get("/api/v1/complaints", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    _post(client, f"/konsol/admin/pengguna/{new.id}/aktif", page="/konsol/admin/pengguna")
    assert client.get("/api/v1/complaints", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_admin_edits_holidays(client, session, users) -> None:  # noqa: ANN001
    from models.calendar import Holiday

    login(client, "admin")
    _post(client, "/konsol/admin/libur", {"day": "2031-10-20", "name": "Hari Jadi Bojonegoro", "kind": "libur_nasional"}, page="/konsol/admin/libur")
    assert "Hari Jadi Bojonegoro" in client.get("/konsol/admin/libur?tahun=2031").text
    _post(client, "/konsol/admin/libur", {"day": "2031-10-20", "action": "remove"}, page="/konsol/admin/libur")
    session.expire_all()
    assert session.scalars(select(Holiday).where(Holiday.name == "Hari Jadi Bojonegoro")).one().active is False


def test_admin_adds_agency(client, session, users) -> None:  # noqa: ANN001
    login(client, "admin")
    _post(client, "/konsol/admin/opd", {"key": "bpbd2", "name": "BPBD Uji", "active": "1"}, page="/konsol/admin/opd")
    assert "BPBD Uji" in client.get("/konsol/admin/opd").text
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "agency.create")).first() is not None
