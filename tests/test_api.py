"""JSON API (token auth, masking per role) and Open311 GeoReport v2 (published complaints only, no personal data)."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest
from sqlalchemy import select

from models.entities import Place
from tests.console_data import make_complaint, make_draft, user
from web.auth import issue_api_token


@pytest.fixture
def tokens(session, users) -> dict[str, str]:  # noqa: ANN001
    made = {name: issue_api_token(session, user(session, name)) for name in users}
    session.commit()
    return made


def _get(client, url: str, token: str | None = None):  # noqa: ANN001, ANN202
    return client.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer salah", "Basic YWRtaW46YWRtaW4="])
def test_api_needs_a_valid_token(client, tokens, header) -> None:  # noqa: ANN001
    response = client.get("/api/v1/complaints", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert "Set-Cookie" not in response.headers


def test_api_liaison_sees_only_own_agency(client, session, settings, tokens) -> None:  # noqa: ANN001
    mine = make_complaint(session, settings, agency_key="dpubmpr")
    other = make_complaint(session, settings, agency_key="dinkes")
    session.commit()
    listed = {c["id"] for c in _get(client, "/api/v1/complaints", tokens["liaison_pu"]).json["complaints"]}
    assert listed == {mine.id}
    assert _get(client, f"/api/v1/complaints/{other.id}", tokens["liaison_pu"]).status_code == 404
    assert _get(client, f"/api/v1/complaints/ref/{other.reference}", tokens["liaison_pu"]).status_code == 404
    assert _get(client, f"/api/v1/complaints/{mine.id}", tokens["liaison_pu"]).json["reference"] == mine.reference


def test_api_masks_anonymous_reporter_for_liaison(client, session, settings, tokens) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, anonymous=True, reporter="Warga Anonim Asli", phone="081277766655")
    session.commit()
    for name, visible in (("liaison_pu", False), ("viewer", False), ("operator", True)):
        body = _get(client, f"/api/v1/complaints/{c.id}", tokens[name]).text
        assert ("Warga Anonim Asli" in body) is visible and ("081277766655" in body) is visible, name


def test_api_confidential_hidden_from_viewer(client, session, settings, tokens) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, confidential=True)
    session.commit()
    assert _get(client, f"/api/v1/complaints/{c.id}", tokens["viewer"]).status_code == 404
    assert _get(client, "/api/v1/complaints", tokens["viewer"]).json["complaints"] == []
    assert _get(client, f"/api/v1/complaints/{c.id}", tokens["operator"]).json["confidential"] is True


def test_api_filters_and_pages(client, session, settings, tokens) -> None:  # noqa: ANN001
    made = [make_complaint(session, settings, title=f"Keluhan {i}") for i in range(3)]
    session.commit()
    first = _get(client, "/api/v1/complaints?limit=2", tokens["operator"]).json
    assert [c["id"] for c in first["complaints"]] == [made[2].id, made[1].id]
    second = _get(client, f"/api/v1/complaints?limit=2&after={first['next_after']}", tokens["operator"]).json
    assert [c["id"] for c in second["complaints"]] == [made[0].id] and second["next_after"] is None
    detail = _get(client, f"/api/v1/complaints/{made[0].id}", tokens["operator"]).json
    assert detail["history"][0]["to"] == "draft" and detail["status"] == "terdisposisi"


# -- Open311 ---------------------------------------------------------------------------------------
def test_open311_services(client, session) -> None:  # noqa: ANN001
    services = client.get("/open311/v2/services.json").json
    assert {"service_code", "service_name", "metadata", "type"} <= set(services[0])
    assert any(s["service_code"] == "jalan" for s in services)


def test_open311_publishes_only_non_confidential_without_personal_data(client, session, settings, users) -> None:  # noqa: ANN001
    public = make_complaint(session, settings, title="Jalan Dander berlubang", reporter="Pak Publik", phone="081200000001")
    like_it = [make_complaint(session, settings, reporter=f"Pak Lain {i}", phone=f"08120000001{i}") for i in range(2)]
    secret = make_complaint(session, settings, confidential=True, title="Laporan rahasia", reporter="Bu Rahasia")
    anon = make_complaint(session, settings, anonymous=True, title="Anonim jalan", reporter="Pak Anonim", phone="081200000002")
    draft = make_draft(session, settings, title="Draf belum dikonfirmasi")
    session.commit()
    response = client.get("/open311/v2/requests.json")
    assert response.status_code == 200
    body = response.text
    # references are not listable in bulk: the list carries none, each is looked up on its own
    assert len(response.json) == 1 + len(like_it) and {r["service_request_id"] for r in response.json} == {None}
    for leaked in ("Pak Publik", "081200000001", "Pak Anonim", "081200000002", "Bu Rahasia", "Laporan rahasia",
                   "Draf belum dikonfirmasi", "Siti", "rusak parah"):
        assert leaked not in body, leaked
    one = client.get(f"/open311/v2/requests/{public.reference}.json").json
    # the description is a summary of topic and kecamatan, never the operator's free title
    assert one[0]["status"] == "open" and one[0]["service_code"] == "jalan" and one[0]["service_request_id"] == public.reference
    assert "Dander berlubang" not in one[0]["description"] and one[0]["description"].startswith(one[0]["service_name"])
    assert client.get(f"/open311/v2/requests/{secret.reference}.json").status_code == 404
    assert client.get(f"/open311/v2/requests/{draft.id}.json").status_code == 404
    assert client.get("/open311/v2/requests.json?status=closed").json == []
    assert len(client.get(f"/open311/v2/requests.json?service_request_id={public.reference}").json) == 1
    assert client.get(f"/open311/v2/requests.json?service_request_id={public.reference},{anon.reference}").status_code == 400
    # an anonymous complaint is not listed, but its reporter can look it up by its number, as on /lacak
    assert client.get(f"/open311/v2/requests/{anon.reference}.json").json[0]["service_request_id"] == anon.reference


def _in(session, complaint, desa_code: str, channel: str | None = None):  # noqa: ANN001, ANN202
    """The complaint moved to a desa (and channel), its counters with it."""
    complaint.place = session.scalars(select(Place).where(Place.code == desa_code)).one()
    complaint.channel = channel or complaint.channel
    session.flush()
    return complaint


NGRAHO, NGASEM = "35.22.01.2001", "35.22.04.2001"


def test_open311_never_singles_out_what_transparansi_masks(client, session, settings, users) -> None:  # noqa: ANN001
    """Where /transparansi shows "< 3", Open311 does not list that complaint with its kecamatan, channel and time."""
    ngraho = [_in(session, make_complaint(session, settings), NGRAHO) for _ in range(3)]
    ngasem = _in(session, make_complaint(session, settings), NGASEM)  # the only complaint of its kecamatan
    letter = _in(session, make_complaint(session, settings), NGRAHO, "surat")  # the only letter
    anonymous = _in(session, make_complaint(session, settings, anonymous=True), NGRAHO)
    session.commit()
    assert "&lt; 3" in client.get("/transparansi").text  # Ngasem's one complaint is masked there
    listed = client.get("/open311/v2/requests.json").json
    # the three of Ngraho with their kecamatan; Ngasem's without it; the only letter and the anonymous one not at all
    places = sorted(str(r["address"]) for r in listed)
    assert places == ["Kec. Ngraho, Kabupaten Bojonegoro"] * len(ngraho) + ["None"], places
    assert {r["extended_attributes"]["channel"] for r in listed} == {ngasem.channel} != {letter.channel}
    assert "Ngasem" not in json.dumps(listed) and NGASEM[:8] not in json.dumps(listed)
    # times to the day, never to the second
    for r in listed:
        for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
            assert r[key] is None or re.fullmatch(r"\d{4}-\d{2}-\d{2}", r[key]), (key, r[key])
    # the list leaves out what is masked only where its cells are small: filtered down, cells are counted again
    assert client.get("/open311/v2/requests.json?status=closed").json == []
    one = client.get(f"/open311/v2/requests/{anonymous.reference}.json").json[0]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", one["requested_datetime"])


def test_open311_uses_the_threshold_of_transparansi(client, session, settings, users, app) -> None:  # noqa: ANN001
    app.extensions["suara"].settings = dataclasses.replace(settings, public_min_count=1)
    _in(session, make_complaint(session, settings), NGASEM, "surat")
    session.commit()
    assert client.get("/open311/v2/requests.json").json[0]["address"] == "Kec. Ngasem, Kabupaten Bojonegoro"


def test_open311_bad_date_is_400_json(client) -> None:  # noqa: ANN001
    response = client.get("/open311/v2/requests.json?start_date=kemarin")
    assert response.status_code == 400 and json.loads(response.text)["error"]
