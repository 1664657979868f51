"""The style sheets parse as their authors meant: an unclosed block swallows every rule after it (an `@media
(max-width: 600px)` left open made the prompts, agency page and report rules apply only on phones)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"


@pytest.mark.parametrize("sheet", sorted(p.name for p in STATIC.glob("*.css")))
def test_every_block_is_closed_where_the_next_top_level_rule_begins(sheet: str) -> None:
    text = re.sub(r"/\*.*?\*/", "", (STATIC / sheet).read_text(), flags=re.S)
    depth, media_line = 0, None
    for number, line in enumerate(text.splitlines(), 1):
        if depth == 1 and media_line and re.match(r"^[^\s}]", line):
            pytest.fail(f"{sheet}:{number}: a top-level rule inside the @media block opened on line {media_line}")
        for char in line:
            if char == "{":
                depth += 1
                if depth == 1:
                    media_line = number if line.lstrip().startswith("@media") else None
            elif char == "}":
                depth -= 1
        assert depth >= 0, f"{sheet}:{number}: a closing brace too many"
    assert depth == 0, f"{sheet}: {depth} block(s) never closed"
