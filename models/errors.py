"""Base of the named errors: a stable machine code and a message in Bahasa Indonesia for people."""

from __future__ import annotations


class SuaraError(Exception):
    """An error people and machines should see: `code` for machines, `message_id` (Indonesian) for people."""

    code = "error"
    message_id = "Terjadi kesalahan."
    http_status = 400

    def __init__(self, detail: str = "", message_id: str | None = None) -> None:
        super().__init__(detail or self.message_id)
        self.detail = detail
        if message_id:
            self.message_id = message_id
