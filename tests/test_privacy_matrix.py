"""The leak matrix: every route of the URL map, as every audience, against complaints full of identity.

Three complaints (ordinary, anonymous, confidential) of one agency carry a name, a phone number in three forms,
a NIK and an e-mail in their transcript, description, title, location detail and the agency's answer. Every
route is requested as the public, a liaison of the agency, a liaison of another agency, a viewer, an operator
and an admin (GET with every id, reference and format filled in; POST without a form), and each answer is
checked for what that audience may not read. The routes and how to read each answer come from the one
inventory in tests/routes.py; a route missing there fails the test, so a new page cannot skip the matrix.
"""

from __future__ import annotations

import re
from urllib.parse import quote
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from models import lifecycle as lc
from models.base import utcnow
from models.entities import Transcript, User
from tests.conftest import login
from tests.console_data import make_complaint, tone_wav, user
from tests.routes import ROUTES, check_inventory, fill
from tests.routes import read as _read

CONFIDENTIAL_WORD = "pungli"
"""Used only in the confidential complaint: its text (and labels made from it) must not reach beyond the agency."""


@dataclass(frozen=True)
class Person:
    name: str
    phone_digits: str
    nik: str
    email: str
    handle: str
    """Their social-media account: the reference of a complaint typed from a post names them, no filter can tell."""
    dusun: str
    """Where they live, said as their home."""

    def text(self, what: str) -> str:
        """A text naming the reporter in every form the filter must catch."""
        spoken = self.spoken(self.phone_digits)
        local = self.phone_digits
        dashed = f"{local[:4]}-{local[4:8]}-{local[8:]}"
        intl = f"+62 {local[1:4]} {local[4:8]} {local[8:]}"
        return (f"Selamat pagi, nama saya {self.name}. Alamat: Dusun {self.dusun} RT 07 RW 09. {what} Nomor saya {dashed}, "
                f"atau {intl}, atau {spoken}. NIK saya {self.nik}, email {self.email}. Yang melapor {self.name}.")

    @staticmethod
    def spoken(digits: str) -> str:
        return " ".join({"0": "nol", "1": "satu", "2": "dua", "3": "tiga", "4": "empat", "5": "lima", "6": "enam",
                         "7": "tujuh", "8": "delapan", "9": "sembilan"}[d] for d in digits)  # fmt: skip

    def leaks(self, body: str) -> list[str]:
        """What of this person's identity is in `body`."""
        found = [part for part in self.name.split() if re.search(rf"\b{part}\b", body, re.IGNORECASE)]
        digits = re.sub(r"\D", "", body)
        found += [s for s in (self.phone_digits[1:], self.nik) if s in digits]
        found += [s for s in (self.email, self.email.split("@")[0], self.handle, self.dusun) if s.lower() in body.lower()]
        spoken_tail = self.spoken(self.phone_digits[-5:])
        if spoken_tail in body.lower():
            found.append(spoken_tail)
        return found


ORDINARY = Person("Ahmad Fauzi", "081234567001", "3522011203850001", "ahmad.fauzi@gmail.com", "ozi_kedungadem", "Kedunggalih")
ANONYMOUS = Person("Siti Wulandari", "081234567002", "3522014405900002", "siti.wulandari@yahoo.com", "wulan_bjn88", "Ngampelrejo")
CONFIDENTIAL = Person("Budi Santoso", "081234567003", "3522010101800003", "budi.santoso@gmail.com", "bsan_tosoo", "Sidoluhur")


@pytest.fixture
def matrix(session, settings, users):  # noqa: ANN001, ANN201
    """The three complaints, API tokens for every user, and the ids and references to fill the routes with."""
    from web.auth import issue_api_token

    from tests.desk_intake_data import attach, letter_pdf, sambang_session, typed_intake

    complaints = {}
    sambang = sambang_session(session)
    for kind, person in (("ordinary", ORDINARY), ("anonymous", ANONYMOUS), ("confidential", CONFIDENTIAL)):
        problem = f"Ada {CONFIDENTIAL_WORD} di sekolah." if kind == "confidential" else "Jalan di desa rusak berlubang."
        c = make_complaint(session, settings, "terdisposisi", anonymous=kind == "anonymous",
                           confidential=kind == "confidential", title=f"{problem[:-1]} kata {person.name}",
                           reporter=person.name, phone=person.phone_digits, received_at=utcnow() - timedelta(days=2))
        c.description = person.text(problem)
        c.location_detail = f"Rumah {person.name}, Dusun {person.dusun}, RT 07, telp {person.phone_digits}"
        c.call.caller_number = person.phone_digits
        transcript = session.scalars(select(Transcript).where(Transcript.call_id == c.call_id)).one()
        transcript.text = person.text(problem)
        session.flush()
        lc.record_follow_up(session, c, f"Sudah kami hubungi {person.name} di {person.phone_digits}.",
                            by=user(session, "liaison_pu"), settings=settings)
        # what was typed at the desk and a scanned letter: identity in the text, the reference and the file
        typed_intake(session, c, f"{person.text(problem)} Hormat saya, {person.handle}",
                     source_ref=f"https://x.com/{person.handle}/status/1733", sambang=sambang)
        c.test_attachment_id = attach(session, settings, c, letter_pdf(person.text(problem)), f"surat-{kind}.pdf").id
        complaints[kind] = c
    tokens = {name: issue_api_token(session, session.get(User, uid)) for name, uid in users.items()}
    session.commit()
    return complaints, tokens


# audience -> (login name or None, which people's identity it may read, whether it may read the confidential text)
AUDIENCES = {
    "public": (None, set(), False),
    "liaison_own": ("liaison_pu", {"ordinary", "confidential"}, True),
    "liaison_other": ("liaison_dinkes", set(), False),
    "viewer": ("viewer", set(), False),
    "operator": ("operator", {"ordinary", "anonymous", "confidential"}, True),
    "admin": ("admin", {"ordinary", "anonymous", "confidential"}, True),
}
PEOPLE = {"ordinary": ORDINARY, "anonymous": ANONYMOUS, "confidential": CONFIDENTIAL}


def _urls(rule, complaints) -> list[str]:  # noqa: ANN001
    """The rule with its arguments filled in every way that reaches the test data (and a few list queries)."""
    values = {
        "complaint_id": [c.id for c in complaints.values()],
        "call_id": [c.call_id for c in complaints.values()],
        "attachment_id": [c.test_attachment_id for c in complaints.values()],
        "sambang_id": [1],
        "reference": [c.reference for c in complaints.values()],
        "service_request_id": [c.reference for c in complaints.values()],
        "fmt": ["csv", "json"],
        "key": ["dpubmpr", "dinkes"] if rule.rule.startswith("/dasbor/opd/") else ["isu", "topik", "opd", "kecamatan", "kanal", "kepuasan"],
        "user_id": [1],
        "show_id": [1],
        "action": ["tindak-lanjut"],
        "name": ["salam"],
    }
    out = fill(rule, values)
    extras = {
        "/konsol/pengaduan": [f"?q={p}" for p in ("081234567002", "Wulandari", "Fauzi", CONFIDENTIAL_WORD, "3522014405900002")]
        + [f"?isu={i}" for i in (1, 2, 3)],
        "/api/v1/complaints": [f"?q={p}" for p in ("081234567002", "Wulandari", "Santoso", CONFIDENTIAL_WORD)],
        "/lacak": [f"?nomor={c.reference}" for c in complaints.values()],
        "/serah-terima/ekspor.<fmt>": ["?identitas=1&semua=1"],
        "/dasbor/isu": ["?periode=7"],
    }
    for path in list(out):
        for suffix in extras.get(rule.rule, []):
            out.append(path + suffix)
    return out


def test_every_route_is_in_the_matrix(app) -> None:  # noqa: ANN001
    check_inventory(app)


@pytest.mark.parametrize("who", list(AUDIENCES))
def test_no_identity_leaks_on_any_route(app, client, matrix, who: str) -> None:  # noqa: ANN001
    complaints, tokens = matrix
    username, may_identify, may_read_confidential = AUDIENCES[who]
    if username:
        login(client, username)
    token = tokens.get(username) if username else None
    forbidden = [kind for kind in PEOPLE if kind not in may_identify]
    problems: list[str] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            kind = ROUTES[(rule.rule, method)].output
            if kind == "static":
                continue
            for url in _urls(rule, complaints):
                status, body = _read(client, method, url, kind, token)
                for typed in re.findall(r"[?&][a-z]+=([^&]+)", url):  # what the user typed may be echoed back
                    body = body.replace(typed, "").replace(quote(typed), "")
                if status >= 500:
                    problems.append(f"{method} {url}: {status}")
                    continue
                if kind == "audio":
                    complaint = next(c for c in complaints.values() if url == f"/calls/{c.call_id}/audio")
                    allowed = who in ("operator", "admin") or (who == "liaison_own" and not complaint.anonymous)
                    if status == 200 and not allowed:
                        problems.append(f"{method} {url}: recording served")
                    continue
                for person_kind in forbidden:
                    leaks = PEOPLE[person_kind].leaks(body)
                    if leaks:
                        problems.append(f"{method} {url}: {person_kind} reporter's {leaks}")
                if not may_read_confidential and CONFIDENTIAL_WORD in body.lower():
                    problems.append(f"{method} {url}: confidential text")
    assert problems == [], "\n".join(problems)


def test_operators_keep_what_they_need(client, matrix) -> None:  # noqa: ANN001
    complaints, _ = matrix
    login(client, "operator")
    page = client.get(f"/konsol/pengaduan/{complaints['anonymous'].id}").text
    assert "Siti Wulandari" in page and "081234567002" in page
    assert "081234567001" in client.get("/konsol/pengaduan?q=081234567001").text
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)})
    login(client, "admin")
    export = client.get("/serah-terima/ekspor.csv?identitas=1&semua=1").text
    assert "Ahmad Fauzi" in export and "081234567001" in export  # the ordinary complaint, on the admin's explicit choice
    assert not ANONYMOUS.leaks(export) and not CONFIDENTIAL.leaks(export)
    plain = client.get("/serah-terima/ekspor.csv?semua=1").text
    assert not ORDINARY.leaks(plain) and "[telepon]" in plain and "[nama]" in plain and "[NIK]" in plain and "[email]" in plain


def test_liaison_own_agency_reads_the_filtered_anonymous_text(client, matrix) -> None:  # noqa: ANN001
    complaints, tokens = matrix
    login(client, "liaison_pu")
    page = client.get(f"/konsol/pengaduan/{complaints['anonymous'].id}").text
    assert "Jalan di desa rusak berlubang" in page and "[nama]" in page and "[telepon]" in page
    body = client.get(f"/api/v1/complaints/{complaints['anonymous'].id}",
                      headers={"Authorization": f"Bearer {tokens['liaison_pu']}"}).json
    assert body["reporter"] is None and "[telepon]" in body["description"] and not ANONYMOUS.leaks(str(body))


def test_export_with_identity_is_admin_only_and_audited(client, session, matrix) -> None:  # noqa: ANN001
    from models.audit import AuditEntry

    login(client, "operator")
    assert client.get("/serah-terima/ekspor.csv?identitas=1").status_code == 403
    client.post("/logout", data={"csrf_token": re.search(r'name="csrf-token" content="([^"]+)"', client.get("/konsol/").text).group(1)})
    login(client, "admin")
    assert client.get("/serah-terima/ekspor.json?identitas=1&semua=1").status_code == 200
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "handover.export")).all()
    assert [(e.detail or {}).get("with_identity") for e in entries] == [True]


class _HttpClient:
    """The test client's `open` over real HTTP to a running server (requests, with the server's cookies)."""

    def __init__(self, base: str) -> None:
        import requests

        self.base, self.http = base, requests.Session()

    def login(self, username: str) -> None:
        from tests.conftest import PASSWORD, csrf_from

        page = self.http.get(self.base + "/login")
        self.http.post(self.base + "/login", data={"username": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)})

    def open(self, url: str, method: str = "GET", headers: dict | None = None, buffered: bool = True):  # noqa: ANN201
        response = self.http.request(method, self.base + url, headers=headers, stream=not buffered, allow_redirects=False, timeout=30)
        return _HttpResponse(response)


class _HttpResponse:
    def __init__(self, response) -> None:  # noqa: ANN001
        self._r = response
        self.status_code = response.status_code
        self.mimetype = response.headers.get("Content-Type", "").split(";")[0]
        self.response = response.iter_content(4096)

    def get_data(self) -> bytes:
        return self._r.content

    def close(self) -> None:
        self._r.close()


@pytest.mark.slow
@pytest.mark.parametrize("who", ["public", "liaison_own", "viewer"])
def test_no_identity_leaks_through_the_running_server(app, live_server, matrix, who: str) -> None:  # noqa: ANN001
    """The same matrix through a real HTTP server and a real cookie jar, independent of Flask's test client."""
    complaints, tokens = matrix
    username, may_identify, may_read_confidential = AUDIENCES[who]
    client = _HttpClient(live_server)
    if username:
        client.login(username)
    token = tokens.get(username) if username else None
    forbidden = [PEOPLE[kind] for kind in PEOPLE if kind not in may_identify]
    problems: list[str] = []
    answered = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or ROUTES[(rule.rule, "GET")].output in ("static", "stream", "audio"):
            continue
        for url in _urls(rule, complaints):
            status, body = _read(client, "GET", url, ROUTES[(rule.rule, "GET")].output, token)
            for typed in re.findall(r"[?&][a-z]+=([^&]+)", url):
                body = body.replace(typed, "").replace(quote(typed), "")
            if status >= 500:
                problems.append(f"{url}: {status}")
            answered += status == 200 and "berlubang" in body
            problems += [f"{url}: {person.leaks(body)}" for person in forbidden if person.leaks(body)]
            if not may_read_confidential and CONFIDENTIAL_WORD in body.lower():
                problems.append(f"{url}: confidential text")
    assert problems == [], "\n".join(problems)
    assert answered >= (1 if who == "public" else 8), "the pages with the complaints were not reached"


def test_confidential_complaints_count_only_in_regency_totals_for_viewers(client, session, settings, users) -> None:  # noqa: ANN001
    from tests.console_data import make_complaint as complaint

    complaint(session, settings, "terdisposisi", agency_key="dinkes", confidential=True, title="Rahasia dinkes")
    complaint(session, settings, "terdisposisi", agency_key="dpubmpr", title="Jalan rusak")
    session.commit()

    def agency_csv(username: str) -> str:
        login(client, username)
        text = client.get("/dasbor/data/kepatuhan.csv").text + client.get("/dasbor/data/opd.csv").text
        client.post("/logout", data={"csrf_token": re.search(r'name="csrf-token" content="([^"]+)"',
                                                               client.get("/konsol/pengaduan").text).group(1)})
        return text

    assert "DINKES" in agency_csv("operator")
    viewer = agency_csv("viewer")
    assert "DINKES" not in viewer and "DPUBMPR" in viewer
    assert "Dinas Kesehatan" not in client.get("/transparansi").text


def test_anonymous_complaints_are_rated_by_phone_only(client, session, settings, users) -> None:  # noqa: ANN001
    """Checking phone digits on the web would let anyone who knows a suspect's number test who filed it."""
    from tests.conftest import csrf_from

    c = make_complaint(session, settings, "ditindaklanjuti", anonymous=True, phone="085712345678")
    session.commit()
    page = client.get("/lacak", query_string={"nomor": c.reference}).text
    assert 'id="nilai-telepon"' in page and 'name="telepon_akhir"' not in page
    answer = client.post(f"/lacak/{c.reference}/nilai", data={"nilai": "puas", "telepon_akhir": "5678",
                                                               "csrf_token": csrf_from(client.get("/login").text)},
                         follow_redirects=True)  # fmt: skip
    assert "lewat telepon" in answer.text and "tidak cocok" not in answer.text
    session.refresh(c)
    assert c.rating is None


def test_search_finds_what_each_may_see_and_nothing_by_hidden_identity(client, session, settings, users) -> None:  # noqa: ANN001
    from models.refs import format_reference

    anon = make_complaint(session, settings, anonymous=True, reporter="Siti Rahmawati", phone="085712345678")
    anon.description = "Jembatan rusak. Nomor saya 5 tuju, 123456 tuju."
    ordinary = make_complaint(session, settings, reporter="Ahmad Fauzi", phone="081234567001")
    session.commit()

    def found(username: str, q: str) -> set[int]:
        login(client, username)
        text = client.get("/konsol/pengaduan", query_string={"q": q}).text
        client.post("/logout", data={"csrf_token": re.search(r'name="csrf-token" content="([^"]+)"', text).group(1)})
        return {c.id for c in (anon, ordinary) if f"complaint-{c.id}" in text}

    for username in ("viewer", "liaison_pu"):
        assert found(username, format_reference(anon.reference)) == {anon.id}  # a reference always finds
        assert found(username, "123456") == set() and found(username, "Rahmawati") == set()
    assert found("operator", "085712345678") == {anon.id}  # a 12-digit 08… number is a phone too
    assert found("operator", "Fauzi") == {ordinary.id}  # coordinators search by reporter name


def test_the_export_links_no_recording_of_anonymous_or_confidential_complaints(client, session, settings, matrix) -> None:  # noqa: ANN001
    complaints, _ = matrix
    for kind, c in complaints.items():  # every one recorded: only the ordinary one's may be linked
        c.call.audio_path = tone_wav(settings, f"{kind}.wav", seconds=0.5)
    session.commit()
    login(client, "operator")
    rows = client.get("/serah-terima/ekspor.json?semua=1").json["pengaduan"]
    links = {row["anonim"] or row["rahasia"]: row["tautan_audio"] for row in rows}
    assert links[True] == "" and links[False].endswith(f"/calls/{complaints['ordinary'].call_id}/audio")
