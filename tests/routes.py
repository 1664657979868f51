"""The one route inventory: every rule of the URL map, what it answers with and who may open it.

Both the privacy leak matrix (tests/test_privacy_matrix.py: what each audience may read in an answer) and the
access matrix (tests/test_access_matrix.py: which role may get an answer at all) read this table; a route
missing from it fails both, so a new page cannot skip either.

`output` says how to read the answer: "page" and "api" are read whole and checked for leaks, "stream" is read
to its first event, "pdf" is read as text, "audio" is a recording, "file" a complaint's attachment (a photo, a letter), "post" is a form submission, "static" is a
file that is public by nature.

`access` says who may get a successful answer (written from DESIGN.md's "who sees what", not from the code):
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

# The roles the matrices probe: the public (no session), each signed-in role, liaisons of the agency the test
# complaints belong to and of another agency, and Twilio (a request signed with the account's auth token).
ROLES = ("public", "viewer", "liaison_own", "liaison_other", "operator", "admin", "twilio")
SIGNED_IN_ROLES = frozenset({"viewer", "liaison_own", "liaison_other", "operator", "admin"})


@dataclass(frozen=True)
class Access:
    """Who may open a route."""

    name: str
    roles: frozenset[str]
    """Roles that may get a successful answer (for `per_complaint`, at most these)."""
    per_complaint: bool = False
    """The route names a complaint (or its call): whether a role gets it also depends on that complaint
    (`complaint_readers`)."""


PUBLIC = Access("public", frozenset(ROLES))
SIGNED_IN = Access("any signed-in user", SIGNED_IN_ROLES)
LIAISON = Access("OPD liaison (and admin)", frozenset({"liaison_own", "liaison_other", "admin"}))
OPERATOR = Access("operator, admin", frozenset({"operator", "admin"}))
ADMIN = Access("admin", frozenset({"admin"}))
AGENCY = Access("operator, admin, liaison of the complaint's agency",
                frozenset({"operator", "admin", "liaison_own"}), per_complaint=True)
COMPLAINT = Access("whoever may see the complaint (operators; the agency's liaison; viewers if not confidential)",
                   SIGNED_IN_ROLES - {"liaison_other"}, per_complaint=True)
RECORDING = Access("operators; the agency's liaison unless the reporter is anonymous",
                   frozenset({"operator", "admin", "liaison_own"}), per_complaint=True)
TWILIO = Access("Twilio-signed", frozenset({"twilio"}))
META = Access("Meta-signed (X-Hub-Signature-256 with the app secret, or the verify token): none of the probed roles",
              frozenset())
AGENCY_PAGE = Access("any signed-in user, but a liaison only their own agency's page",
                     SIGNED_IN_ROLES - {"liaison_other"})
"""Routes named by an agency key; the matrices fill in the key of the test complaints' agency."""


def complaint_readers(access: Access, anonymous: bool, confidential: bool) -> frozenset[str]:
    """The roles that may open a per-complaint route for a confirmed complaint of the liaison_own agency."""
    roles = set(access.roles)
    if confidential:
        roles.discard("viewer")
    if access is RECORDING and anonymous:
        roles.discard("liaison_own")
    return frozenset(roles)


@dataclass(frozen=True)
class Route:
    output: str
    access: Access


ROUTES: dict[tuple[str, str], Route] = {
    ("/", "GET"): Route("page", SIGNED_IN),
    ("/akun/kata-sandi", "GET"): Route("page", SIGNED_IN),
    ("/akun/kata-sandi", "POST"): Route("post", SIGNED_IN),
    ("/api/v1/complaints", "GET"): Route("api", SIGNED_IN),
    ("/api/v1/complaints/<int:complaint_id>", "GET"): Route("api", COMPLAINT),
    ("/api/v1/complaints/ref/<reference>", "GET"): Route("api", COMPLAINT),
    ("/calls/<int:call_id>/audio", "GET"): Route("audio", RECORDING),
    ("/calls/upload", "POST"): Route("post", OPERATOR),
    ("/dasbor/", "GET"): Route("page", SIGNED_IN),
    ("/dasbor/data/<key>.csv", "GET"): Route("page", SIGNED_IN),
    ("/dasbor/isu", "GET"): Route("page", SIGNED_IN),
    ("/dasbor/laporan-mingguan", "GET"): Route("page", SIGNED_IN),
    ("/dasbor/laporan-mingguan.pdf", "GET"): Route("pdf", SIGNED_IN),
    ("/dasbor/opd/<key>", "GET"): Route("page", AGENCY_PAGE),
    ("/konsol/", "GET"): Route("page", OPERATOR),
    ("/konsol/admin/libur", "GET"): Route("page", ADMIN),
    ("/konsol/admin/libur", "POST"): Route("post", ADMIN),
    ("/konsol/admin/opd", "GET"): Route("page", ADMIN),
    ("/konsol/admin/opd", "POST"): Route("post", ADMIN),
    ("/konsol/admin/pengguna", "GET"): Route("page", ADMIN),
    ("/konsol/admin/pengguna", "POST"): Route("post", ADMIN),
    ("/konsol/admin/pengguna/<int:user_id>/aktif", "POST"): Route("post", ADMIN),
    ("/konsol/admin/pengguna/<int:user_id>/token", "POST"): Route("post", ADMIN),
    ("/konsol/admin/pengguna/<int:user_id>/sandi", "POST"): Route("post", ADMIN),
    ("/konsol/admin/pengguna/<int:user_id>/peran", "POST"): Route("post", ADMIN),
    ("/konsol/admin/suara-telepon/", "GET"): Route("page", ADMIN),
    ("/konsol/admin/suara-telepon/<name>", "POST"): Route("post", ADMIN),
    ("/konsol/admin/suara-telepon/<name>.wav", "GET"): Route("page", ADMIN),
    ("/konsol/admin/router/", "GET"): Route("page", ADMIN),
    ("/konsol/admin/router/aktifkan", "POST"): Route("post", ADMIN),
    ("/konsol/draf/<int:complaint_id>", "GET"): Route("page", OPERATOR),
    ("/konsol/draf/<int:complaint_id>", "POST"): Route("post", OPERATOR),
    ("/konsol/draf/<int:complaint_id>/tolak", "POST"): Route("post", OPERATOR),
    ("/konsol/draf/baris", "GET"): Route("page", OPERATOR),
    ("/konsol/events", "GET"): Route("stream", OPERATOR),
    ("/konsol/opd", "GET"): Route("page", LIAISON),
    ("/konsol/pengaduan", "GET"): Route("page", SIGNED_IN),
    ("/konsol/pengaduan/<int:complaint_id>", "GET"): Route("page", COMPLAINT),
    ("/konsol/pengaduan/<int:complaint_id>/<action>", "POST"): Route("post", AGENCY),
    ("/konsol/pengaduan/<int:complaint_id>/gabung", "POST"): Route("post", OPERATOR),
    ("/konsol/pengaduan/<int:complaint_id>/lampiran/<int:attachment_id>", "GET"): Route("file", RECORDING),
    ("/konsol/pengaduan-baru", "GET"): Route("page", OPERATOR),
    ("/konsol/pengaduan-baru", "POST"): Route("post", OPERATOR),
    ("/konsol/sambang-desa", "GET"): Route("page", OPERATOR),
    ("/konsol/sambang-desa", "POST"): Route("post", OPERATOR),
    ("/konsol/sambang-desa/<int:sambang_id>", "GET"): Route("page", OPERATOR),
    ("/konsol/sambang-desa/<int:sambang_id>/pengaduan", "POST"): Route("post", OPERATOR),
    ("/konsol/sambang-desa/<int:sambang_id>/rekaman", "POST"): Route("post", OPERATOR),
    ("/konsol/tempat", "GET"): Route("page", OPERATOR),
    ("/lacak", "GET"): Route("page", PUBLIC),
    ("/lacak/<reference>/nilai", "POST"): Route("post", PUBLIC),
    ("/live", "GET"): Route("page", OPERATOR),
    ("/live/events", "GET"): Route("stream", OPERATOR),
    ("/live/lines.json", "GET"): Route("page", OPERATOR),
    ("/login", "GET"): Route("page", PUBLIC),
    ("/login", "POST"): Route("post", PUBLIC),
    ("/logout", "POST"): Route("post", SIGNED_IN),
    ("/open311/v2/requests.json", "GET"): Route("page", PUBLIC),
    ("/open311/v2/requests/<service_request_id>.json", "GET"): Route("page", PUBLIC),
    ("/open311/v2/services.json", "GET"): Route("page", PUBLIC),
    ("/radio/", "GET"): Route("page", OPERATOR),
    ("/radio/<int:show_id>", "GET"): Route("page", OPERATOR),
    ("/radio/<int:show_id>/events", "GET"): Route("stream", OPERATOR),
    ("/radio/<int:show_id>/hentikan", "POST"): Route("post", OPERATOR),
    ("/radio/<int:show_id>/potong-ulang", "GET"): Route("page", OPERATOR),
    ("/radio/<int:show_id>/potong-ulang", "POST"): Route("post", OPERATOR),
    ("/radio/<int:show_id>/tandai", "POST"): Route("post", OPERATOR),
    ("/radio/mulai", "POST"): Route("post", OPERATOR),
    ("/serah-terima/", "GET"): Route("page", OPERATOR),
    ("/serah-terima/<int:complaint_id>/lapor", "POST"): Route("post", OPERATOR),
    ("/serah-terima/ekspor.<fmt>", "GET"): Route("page", OPERATOR),
    ("/serah-terima/impor", "POST"): Route("post", OPERATOR),
    ("/serah-terima/luar-wewenang", "GET"): Route("page", OPERATOR),
    ("/serah-terima/luar-wewenang.<fmt>", "GET"): Route("page", OPERATOR),
    ("/static/<path:filename>", "GET"): Route("static", PUBLIC),
    ("/transparansi", "GET"): Route("page", PUBLIC),
    ("/twilio/menu", "POST"): Route("post", TWILIO),
    ("/twilio/prompts/<name>.wav", "GET"): Route("static", PUBLIC),
    ("/twilio/rate", "POST"): Route("post", TWILIO),
    ("/twilio/rate/<int:complaint_id>", "POST"): Route("post", TWILIO),
    ("/twilio/recorded", "POST"): Route("post", TWILIO),
    ("/twilio/record-again", "POST"): Route("post", TWILIO),
    ("/twilio/recording", "POST"): Route("post", TWILIO),
    ("/twilio/status", "POST"): Route("post", TWILIO),
    ("/twilio/status-lookup", "POST"): Route("post", TWILIO),
    ("/twilio/stream", "GET"): Route("stream", TWILIO),
    ("/twilio/voice", "POST"): Route("post", TWILIO),
    ("/twilio/whatsapp", "POST"): Route("post", TWILIO),
    ("/twilio/whatsapp/status", "POST"): Route("post", TWILIO),
    ("/whatsapp/meta", "GET"): Route("page", META),
    ("/whatsapp/meta", "POST"): Route("post", META),
}


def url_map_routes(app) -> set[tuple[str, str]]:  # noqa: ANN001
    """(rule, method) of every route the app answers (HEAD and OPTIONS follow GET)."""
    return {(r.rule, m) for r in app.url_map.iter_rules() for m in r.methods - {"HEAD", "OPTIONS"}}


def check_inventory(app) -> None:  # noqa: ANN001
    """Fail on a route of the app that is not classified here, or a classified route that no longer exists."""
    rules = url_map_routes(app)
    assert rules - set(ROUTES) == set(), "new routes must be classified in tests/routes.py"
    assert set(ROUTES) - rules == set(), "routes that no longer exist: remove them from tests/routes.py"


def fill(rule, values: dict[str, list]) -> list[str]:  # noqa: ANN001 - werkzeug.routing.Rule
    """The rule's path with its arguments filled in with every combination of `values`."""
    paths = [rule.rule]
    for name in sorted(rule.arguments):
        pattern = re.compile(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>")
        paths = [pattern.sub(str(value), path) for path in paths for value in values[name]]
    return paths


def read(client, method: str, url: str, output: str, token: str | None, headers: dict | None = None):  # noqa: ANN001, ANN201
    """(status, body text) of one request, read as its output kind says; `token` goes to the JSON API."""
    headers = dict(headers or {})
    if token and url.startswith("/api/"):
        headers["Authorization"] = f"Bearer {token}"
    if output == "stream":
        response = client.open(url, method=method, headers=headers, buffered=False)
        if response.status_code == 200 and response.mimetype == "text/event-stream":
            body = next(iter(response.response), b"")
        else:
            body = response.get_data()
        response.close()
        return response.status_code, body.decode("utf-8", "replace")
    response = client.open(url, method=method, headers=headers)
    data = response.get_data()
    response.close()  # a sent file (a recording, a prompt) is closed only with its response
    if output == "pdf" and response.status_code == 200:
        from pypdf import PdfReader

        return 200, " ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return response.status_code, data.decode("utf-8", "replace")
