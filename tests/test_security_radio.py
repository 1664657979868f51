"""The radio form starts only http(s) streams at public addresses, sound cards and files from one folder (finding 5)."""

from __future__ import annotations

import re

import http.server
import threading
from pathlib import Path

import pytest

from tests.conftest import csrf_from, login


@pytest.fixture
def loopback_server():  # noqa: ANN201
    """An 'internal' HTTP service on loopback that records every request it gets."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()
    thread.join(5)


def _start(client, source: str):  # noqa: ANN001, ANN202
    page = client.get("/radio/")
    return client.post("/radio/mulai", data={"csrf_token": csrf_from(page.text), "show": "Uji", "source": source})


def test_a_loopback_radio_url_is_refused_and_never_fetched(client, users, loopback_server) -> None:  # noqa: ANN001
    base, hits = loopback_server
    login(client, "operator")
    for url in (f"{base}/internal/admin", f"http://localhost:{base.rsplit(':', 1)[1]}/x", "http://[::1]/", "http://169.254.169.254/latest/",
                "http://10.0.0.5/live.mp3", "http://192.168.1.20:8000/stream"):  # fmt: skip
        answer = _start(client, url)
        assert answer.status_code == 400, url
        assert "alamat lokal/privat" in answer.text
    import time

    time.sleep(0.5)
    assert hits == []


@pytest.mark.parametrize("source", ["file:///etc/passwd", "rtmp://example.org/live", "udp://0.0.0.0:1234", "gopher://x/", "ftp://example.org/a.mp3"])
def test_other_schemes_are_refused(client, users, source: str) -> None:  # noqa: ANN001
    login(client, "operator")
    answer = _start(client, source)
    assert answer.status_code == 400
    assert "http:// atau https://" in answer.text or "folder rekaman" in answer.text


def test_local_files_answer_the_same_whether_they_exist_or_not(client, users) -> None:  # noqa: ANN001
    login(client, "operator")
    existing, missing = _start(client, "/etc/passwd"), _start(client, "/etc/tidak-ada-berkas-ini")
    assert existing.status_code == missing.status_code == 400
    def without_tokens(html: str) -> str:  # a CSRF token is signed with the second it was made in
        return re.sub(r'(name="csrf[-_]token" (?:type="hidden" )?(?:content|value)=")[^"]+', r"\1", html)

    # the same page, but for the path the operator typed, which the form keeps
    assert without_tokens(existing.text).replace("/etc/passwd", "…") == \
        without_tokens(missing.text).replace("/etc/tidak-ada-berkas-ini", "…")
    assert "folder rekaman" in existing.text


def test_the_form_rules(settings, tmp_path: Path) -> None:  # noqa: ANN001
    from web.radio_sources import SourceRefused, check_form_source

    folder = tmp_path / "rekaman"
    folder.mkdir()
    (folder / "sapa.mp3").write_bytes(b"x")
    (folder / "pintas.mp3").symlink_to("/etc/passwd")
    allowed = settings.with_(radio_files_dir=folder, radio_allowed_hosts=("icecast.lan", "127.0.0.1:8000"))
    assert check_form_source("sapa.mp3", allowed) == str(folder / "sapa.mp3")
    assert check_form_source(str(folder / "sapa.mp3"), allowed) == str(folder / "sapa.mp3")
    assert check_form_source("USB Audio CODEC: - (hw:1,0)", allowed) == "USB Audio CODEC: - (hw:1,0)"
    assert check_form_source("2", allowed) == "2"
    assert check_form_source("http://icecast.lan:8000/live", allowed) == "http://icecast.lan:8000/live"
    assert check_form_source("http://127.0.0.1:8000/live", allowed) == "http://127.0.0.1:8000/live"
    for refused in ("../secret_key", "pintas.mp3", "/etc/passwd", "file:../x.mp3", "http://127.0.0.1:9000/live", "~/x.wav"):
        with pytest.raises(SourceRefused):
            check_form_source(refused, allowed)
    with pytest.raises(SourceRefused):
        check_form_source("sapa.mp3", settings)  # no folder configured: no local files at all
