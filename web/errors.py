"""Errors answered in one place: JSON for the API and machines, an Indonesian page for people."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from models.errors import SuaraError

log = logging.getLogger(__name__)

MESSAGES = {
    400: "Permintaan tidak valid.",
    401: "Anda harus masuk terlebih dahulu.",
    403: "Anda tidak memiliki akses ke halaman ini.",
    404: "Halaman atau data tidak ditemukan.",
    405: "Metode tidak diizinkan.",
    413: "Berkas terlalu besar.",
    422: "Data tidak dapat diproses.",
    429: "Terlalu banyak permintaan. Coba lagi nanti.",
    500: "Terjadi kesalahan pada server. Tim kami telah dicatat kejadiannya.",
}


def wants_json() -> bool:
    return request.path.startswith(("/api/", "/open311/")) or (
        request.accept_mimetypes.best_match(["application/json", "text/html"]) == "application/json"
    )


def _answer(status: int, code: str, message: str, detail: str = ""):  # noqa: ANN202
    session = g.get("db")
    if session is not None:
        session.rollback()
    if wants_json():
        body = {"error": {"code": code, "message": message}}
        if detail:
            body["error"]["detail"] = detail
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(SuaraError)
    def _domain(exc: SuaraError):  # noqa: ANN202
        return _answer(exc.http_status, exc.code, exc.message_id, exc.detail)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError):  # noqa: ANN202
        return _answer(400, "csrf_failed", "Sesi formulir kedaluwarsa atau tidak sah. Muat ulang halaman lalu coba lagi.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # noqa: ANN202
        if exc.response is not None:  # already answered, e.g. a rate-limited form shown again with the wait
            return exc.response
        status = exc.code or 500
        return _answer(status, (exc.name or "error").lower().replace(" ", "_"), MESSAGES.get(status, exc.description or ""))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # noqa: ANN202
        log.exception("unhandled error on %s", request.path)
        return _answer(500, "internal_error", MESSAGES[500])
