"""The access matrix: every route of the URL map, requested as every role and as the public.

Who may open what is written down once, in tests/routes.py, from the design's "who sees what". A role that may
not open a route must get a refusal (a redirect to the login page, 401, 403 or 404), never a 2xx; a role that
may must not get a refusal where the data exists; nobody gets a 5xx. Forms are sent without a CSRF token
(CSRF is off in this app, so that the refusal tested is the authorization, not the missing token) and empty.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from twilio.request_validator import RequestValidator

from models.entities import User
from tests.conftest import PASSWORD, login
from tests.console_data import make_complaint, make_draft, tone_wav
from tests.routes import AGENCY_PAGE, ROLES, ROUTES, check_inventory, complaint_readers, fill, read

TWILIO_TOKEN = "token-uji-twilio"
PUBLIC_URL = "http://localhost"
USERS = {"viewer": "viewer", "liaison_own": "liaison_pu", "liaison_other": "liaison_dinkes", "operator": "operator", "admin": "admin"}
REFUSED = {401, 403, 404}
"""A refusal; a redirect to /login is one too (for pages, to the public)."""


@pytest.fixture
def access_app(settings, db_engine):  # noqa: ANN001, ANN201
    from web import create_app

    app = create_app({"SETTINGS": settings.with_(twilio_auth_token=TWILIO_TOKEN, twilio_account_sid="AC" + "0" * 32,
                                                 public_url=PUBLIC_URL),
                      "TESTING": True, "WTF_CSRF_ENABLED": False})
    yield app
    app.extensions["suara"].engine.dispose()


@pytest.fixture
def world(session, settings, users):  # noqa: ANN001, ANN201
    """Confirmed complaints of the liaison_own agency (ordinary, anonymous, confidential) with recordings, a draft,
    API tokens, and a bystander user the admin forms may act on."""
    from models.entities import Role
    from web.auth import create_user, issue_api_token

    complaints = {}
    for kind in ("ordinary", "anonymous", "confidential"):
        c = make_complaint(session, settings, "terdisposisi", anonymous=kind == "anonymous", confidential=kind == "confidential")
        c.call.audio_path = tone_wav(settings, f"{kind}.wav", seconds=0.5)
        complaints[kind] = c
    draft = make_draft(session, settings)
    bystander = create_user(session, "bystander", PASSWORD, Role.VIEWER)
    tokens = {name: issue_api_token(session, session.get(User, uid)) for name, uid in users.items()}
    session.commit()
    return complaints, draft, bystander.id, tokens


def _values(complaint, draft, bystander_id: int) -> dict[str, list]:  # noqa: ANN001
    return {
        "complaint_id": [complaint.id], "call_id": [complaint.call_id], "reference": [complaint.reference],
        "service_request_id": [complaint.reference], "fmt": ["csv", "json"], "key": ["topik"], "user_id": [bystander_id],
        "show_id": [1], "attachment_id": [1], "action": ["tindak-lanjut"], "filename": ["suara.css"], "name": ["salam"],
    }


def _twilio_headers(method: str, url: str) -> dict[str, str]:
    """A valid X-Twilio-Signature for an empty form (the stream is signed over its ws:// URL)."""
    signed = PUBLIC_URL + url
    if urlsplit(url).path == "/twilio/stream":
        signed = signed.replace("http://", "ws://", 1)
    return {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(signed, {})}


def _requests(app, world) -> list[tuple[str, str, str, frozenset[str], bool]]:  # noqa: ANN001
    """(method, url, output, roles that may, whether the data exists) for every route; GETs first, logout last."""
    complaints, draft, bystander_id, _ = world
    out = []
    for rule in app.url_map.iter_rules():
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            route = ROUTES[(rule.rule, method)]
            if route.access.per_complaint:
                for c in complaints.values():
                    allowed = complaint_readers(route.access, c.anonymous, c.confidential)
                    out += [(method, url, route.output, allowed, True) for url in fill(rule, _values(c, draft, bystander_id))]
            else:
                values = _values(complaints["ordinary"], draft, bystander_id)
                exists = not rule.arguments or rule.arguments <= {"user_id", "key", "fmt", "filename", "name"}
                if rule.rule.startswith("/konsol/draf/<"):  # the review pages are about a draft
                    values["complaint_id"], exists = [draft.id], True
                if route.access is AGENCY_PAGE:  # the page of the test complaints' agency
                    values["key"] = [complaints["ordinary"].agency.key]
                out += [(method, url, route.output, route.access.roles, exists) for url in fill(rule, values)]
    return sorted(out, key=lambda r: (r[0] != "GET", r[1] == "/logout", r[1]))


def _answer(client, method: str, url: str, role: str, token: str | None) -> tuple[int, str]:  # noqa: ANN001
    """Status and Location of one request as `role`; streams are closed unread."""
    headers = _twilio_headers(method, url) if role == "twilio" else {}
    if token and url.startswith("/api/"):
        headers["Authorization"] = f"Bearer {token}"
    if urlsplit(url).path == "/twilio/stream":  # a websocket handshake, or the rule does not even match
        headers.update({"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    response = client.open(url, method=method, headers=headers, buffered=False)
    status, location = response.status_code, response.headers.get("Location", "")
    response.close()
    return status, location


def _refused(status: int, location: str) -> bool:
    return status in REFUSED or (status in (301, 302, 303) and urlsplit(location).path == "/login")


def test_the_inventory_covers_every_route(access_app) -> None:  # noqa: ANN001
    check_inventory(access_app)


@pytest.mark.parametrize("role", ROLES)
def test_every_route_as_every_role(access_app, world, role: str) -> None:  # noqa: ANN001
    client = access_app.test_client()
    if role in USERS:
        assert login(client, USERS[role]).status_code in (302, 303)
    token = world[3].get(USERS.get(role, ""))
    problems: list[str] = []
    for method, url, output, allowed, exists in _requests(access_app, world):
        if role == "twilio" and url == "/twilio/stream":
            continue  # a websocket needs a real server: test_media_stream_handshake_needs_the_signature
        status, location = _answer(client, method, url, role, token)
        may = role in allowed
        if status >= 500:
            problems.append(f"{method} {url}: {status}")
        elif not may and not _refused(status, location):
            problems.append(f"{method} {url}: {status} to {role}, who may not open it")
        elif may and exists and method == "GET" and _refused(status, location):
            problems.append(f"{method} {url}: refused ({status}) to {role}, who may open it")
    assert problems == [], "\n".join(problems)


def test_live_and_its_feeds_are_for_operators_only(access_app, world) -> None:  # noqa: ANN001
    """The regression the issue names: liaisons and viewers read every caller's number at /live."""
    for role in ("viewer", "liaison_own"):
        client = access_app.test_client()
        login(client, USERS[role])
        for url in ("/live", "/live/lines.json", "/live/events"):
            status, body = read(client, "GET", url, "stream", None)
            assert status == 403, (role, url, status)
            assert "0812" not in body and "0857" not in body


def test_an_unclassified_route_fails_the_inventory(access_app) -> None:  # noqa: ANN001
    access_app.add_url_rule("/rahasia-baru", "rahasia_baru", lambda: "x")
    with pytest.raises(AssertionError, match="new routes must be classified"):
        check_inventory(access_app)


def _handshake(base: str, signature: str | None) -> str:
    """The status line a real server answers to a websocket handshake on /twilio/stream."""
    import socket

    host, port = urlsplit(base).hostname, urlsplit(base).port
    lines = ["GET /twilio/stream HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket", "Connection: Upgrade",
             "Sec-WebSocket-Version: 13", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
    if signature:
        lines.append(f"X-Twilio-Signature: {signature}")
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return conn.recv(4096).split(b"\r\n", 1)[0].decode()


@pytest.mark.parametrize("signed", [False, True])
def test_media_stream_handshake_needs_the_signature(settings, db_engine, signed: bool) -> None:  # noqa: ANN001
    """Over a real server (the test client cannot carry a websocket): only a Twilio-signed handshake is accepted."""
    import threading

    from werkzeug.serving import make_server

    from web import create_app

    app = create_app({"SETTINGS": settings.with_(twilio_auth_token=TWILIO_TOKEN), "TESTING": True})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    try:
        signature = RequestValidator(TWILIO_TOKEN).compute_signature(base.replace("http", "ws") + "/twilio/stream", {})
        status = _handshake(base, signature if signed else None)
    finally:
        httpd.shutdown()
        thread.join(5)
        app.extensions["suara"].engine.dispose()
    assert status.split()[1] == ("101" if signed else "403"), status
