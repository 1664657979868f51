"""Out-of-range query parameters answer 400 with an Indonesian message, never 500; upload errors leak nothing (finding 8)."""

from __future__ import annotations

import io

import pytest

from tests.conftest import csrf_from, login

PAGES = [
    "/konsol/pengaduan?q=%2399999999999999999999999",
    "/konsol/pengaduan?agency=99999999999999999999999",
    "/konsol/pengaduan?topic=-5",
    "/konsol/pengaduan?after=abc",
    "/dasbor/?opd=99999999999999999999",
    "/dasbor/?periode=99999999999999999999",
    "/dasbor/?dari=0001-01-01&sampai=9999-12-31",
    "/dasbor/data/topik.csv?opd=99999999999999999999",
    "/dasbor/laporan-mingguan?minggu=0001-01-03",
    "/dasbor/laporan-mingguan?minggu=9999-12-30",
    "/dasbor/laporan-mingguan?minggu=kemarin",
    "/konsol/admin/libur?tahun=99999",
    "/?page=99999999999999999999",
    "/serah-terima/?dari=9999-99-99",
    "/transparansi?periode=1e400",
]
MACHINE = [
    "/open311/v2/requests.json?start_date=9999-12-31T23:59:59-14:00",
    "/open311/v2/requests.json?end_date=0001-01-01T00:00:00%2B14:00",
    "/open311/v2/requests.json?start_date=besok",
]


@pytest.mark.parametrize("url", PAGES)
def test_out_of_range_query_answers_400_in_indonesian(client, users, url: str) -> None:  # noqa: ANN001
    login(client, "admin")
    response = client.get(url)
    assert response.status_code == 400, f"{url} answered {response.status_code}"
    assert "di luar batas" in response.text or "harus berupa angka" in response.text or "tidak valid" in response.text


@pytest.mark.parametrize("url", MACHINE)
def test_out_of_range_open311_query_answers_400_json(client, url: str) -> None:  # noqa: ANN001
    response = client.get(url)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_parameter"


def test_out_of_range_api_query_answers_400_json(client, session, users) -> None:  # noqa: ANN001
    from models.entities import User
    from web.auth import issue_api_token

    token = issue_api_token(session, session.get(User, users["operator"]))
    session.commit()
    for query in ("agency=99999999999999999999999", "limit=99999999999999999999999", "q=%2399999999999999999999999"):
        response = client.get(f"/api/v1/complaints?{query}", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 400, query
        assert response.json["error"]["code"] == "bad_parameter"
        assert "di luar batas" in response.json["error"]["message"]


def test_garbage_upload_error_names_no_temporary_path_or_tool_output(client, users) -> None:  # noqa: ANN001
    login(client, "operator")
    token = csrf_from(client.get("/").text)
    response = client.post("/calls/upload", data={"csrf_token": token, "audio": (io.BytesIO(b"\x00garbage" * 500), "rekaman.mp3")},
                           headers={"Accept": "application/json"}, content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "audio_invalid"
    text = str(error)
    assert "/tmp" not in text and "suara-audio-" not in text and "Invalid data" not in text and ".bin" not in text


def hello(environ, start_response):  # noqa: ANN001, ANN201
    """The smallest app for the server test below."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.mark.slow
def test_a_url_too_long_for_the_server_is_answered_in_indonesian(tmp_path) -> None:  # noqa: ANN001
    """gunicorn refuses a request line over 4 094 bytes before the app sees it (a number pasted into the /lacak URL):
    the worker `suara serve` runs answers that in Indonesian, not with gunicorn's "URI Too Long"."""
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from tests.services import _wait_port, free_port
    from web.cli import WORKER_CLASS

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--worker-class", WORKER_CLASS, "--bind", f"127.0.0.1:{port}",
                               "tests.test_security_input:hello"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_port(port)
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/lacak?nomor=1").read() == b"ok"
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/lacak?nomor={'1' * 5000}")
        assert refused.value.code == 414
        page = refused.value.read().decode()
        assert "Alamat terlalu panjang" in page and "Nomor pengaduan tidak valid" in page and 'href="/lacak"' in page
        assert "URI Too Long" not in page
    finally:
        server.terminate()
        server.wait(20)
