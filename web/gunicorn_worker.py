"""The gunicorn worker `suara serve` runs: gunicorn's threaded worker, answering in Indonesian the one refusal a
person can meet before the app sees the request, a URL longer than gunicorn reads (`limit_request_line`, 4 094
bytes: a long text pasted into the /lacak address)."""

from __future__ import annotations

from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker

TOO_LONG_PAGE = """<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Alamat terlalu panjang</title></head>
<body style="font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5">
<h1>Alamat terlalu panjang</h1>
<p>Alamat (URL) yang Anda buka terlalu panjang untuk dilayani.</p>
<p>Jika Anda melacak pengaduan: Nomor pengaduan tidak valid. Nomor registrasi terdiri dari 12 angka, contoh
2611-2704-8211.</p>
<p><a href="/lacak">Lacak pengaduan</a> · <a href="/">Halaman utama</a></p>
</body></html>
""".encode()


class SuaraWorker(ThreadWorker):
    """gthread, with a page in Indonesian instead of gunicorn's English "URI Too Long"."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        if not isinstance(exc, LimitRequestLine):
            super().handle_error(req, client, addr, exc)
            return
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        head = ("HTTP/1.1 414 URI Too Long\r\nConnection: close\r\nContent-Type: text/html; charset=utf-8\r\n"
                f"Cache-Control: no-store\r\nContent-Length: {len(TOO_LONG_PAGE)}\r\n\r\n").encode("latin-1")
        try:
            util.write_nonblock(client, head + TOO_LONG_PAGE)
        except OSError:
            self.log.debug("Failed to send the page for a URL too long.")
