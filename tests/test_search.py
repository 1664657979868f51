"""Free-text complaint search (models.search): FTS5 kept in sync, every complaint covered, user input never FTS syntax."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from models.entities import Complaint
from models.search import SearchTerms, complaint_text_matches
from tests.conftest import login
from tests.console_data import make_complaint, past


def found(session: Session, query: str) -> set[int]:
    return set(session.scalars(select(Complaint.id).where(complaint_text_matches(query, "sqlite"))))


def fts_consistent(session: Session) -> bool:
    """FTS5's own check that the index matches the complaint table (raises if not)."""
    session.execute(text("INSERT INTO complaint_fts(complaint_fts, rank) VALUES ('integrity-check', 1)"))
    return True


@pytest.mark.parametrize("typed,words,fts5,tsquery", [
    ("jalan rusak", ("jalan", "rusak"), '"jalan" "rusak"*', "'jalan' & 'rusak':*"),
    ('"air" NEAR(bersih* -sampah)', ("air", "NEAR", "bersih", "sampah"), '"air" "NEAR" "bersih" "sampah"*',
     "'air' & 'NEAR' & 'bersih' & 'sampah':*"),
    ("title:lampu OR NOT", ("title", "lampu", "OR", "NOT"), '"title" "lampu" "OR" "NOT"*', "'title' & 'lampu' & 'OR' & 'NOT':*"),
    ("Jum'at \\ _x_", ("Jum", "at", "x"), '"Jum" "at" "x"*', "'Jum' & 'at' & 'x':*"),
    ("*** ( ) - \"", (), "", ""),
])
def test_terms_are_words_only_each_quoted(typed: str, words: tuple[str, ...], fts5: str, tsquery: str) -> None:
    terms = SearchTerms.parse(typed)
    assert (terms.words, terms.fts5_query(), terms.tsquery()) == (words, fts5, tsquery)


def test_index_follows_insert_update_delete(session: Session) -> None:
    c = Complaint(title="Jembatan Kalitidu ambrol", description="Warga tidak bisa menyeberang")
    session.add(c)
    session.flush()
    assert found(session, "kalitidu") == {c.id}
    assert found(session, "menyeberang") == {c.id}  # the description is indexed too
    c.title = "Jembatan Dander ambrol"
    session.flush()
    assert found(session, "kalitidu") == set() and found(session, "dander") == {c.id}
    session.execute(update(Complaint).where(Complaint.id == c.id).values(status="terverifikasi"))  # no text change
    assert found(session, "dander") == {c.id} and fts_consistent(session)
    session.delete(c)
    session.flush()
    assert found(session, "dander") == set()
    assert fts_consistent(session)


@pytest.mark.parametrize("query,hit", [
    ("jembatan kalitidu", True),
    ("KALITIDU", True),         # case folded
    ("kalitídu", True),         # diacritics removed
    ("kalit", True),            # the last word is a prefix
    ("kalit jembatan", False),  # only the last word is a prefix
    ("kalitidu jemb", True),
    ("alitidu", False),         # words, not substrings
    ("kalitidu banjir", False),  # every word must be there
])
def test_matching_rules(session: Session, query: str, hit: bool) -> None:
    c = Complaint(title="Jembatan Kalitidu ambrol", description="")
    session.add(c)
    session.flush()
    assert (found(session, query) == {c.id}) is hit


def test_finds_the_oldest_complaint_among_many(client, session, settings, users) -> None:  # noqa: ANN001
    oldest = make_complaint(session, settings, title="Jembatan Kalitidu ambrol", received_at=past(400))
    session.execute(insert(Complaint), [dict(title=f"Keluhan {i}", description="lampu jalan mati") for i in range(3000)])
    session.commit()
    assert session.scalar(select(Complaint.id).order_by(Complaint.id.desc()).limit(1)) > oldest.id + 2999
    login(client, "operator")
    page = client.get("/konsol/pengaduan?q=kalitidu").text
    assert f'id="complaint-{oldest.id}"' in page and page.count('id="complaint-') == 1
    assert "20.000" not in page  # the old "only the newest complaints" notice is gone
    assert fts_consistent(session)


@pytest.mark.parametrize("query", [
    '"', '""', "'", "*", "-", "-jalan", "jalan*", "NEAR", "NEAR(jalan rusak)", "NEAR(jalan, 2)", "(", ")", "(jalan",
    "jalan OR", "AND", "NOT jalan", "title:jalan", "^jalan", "jalan + rusak", "{title}: jalan", "\\", "%_", "jalan\x00",
    "😀", "ñ", "  ",
])
def test_fts_syntax_in_the_search_box_never_errors(client, session, settings, users, query: str) -> None:  # noqa: ANN001
    c = make_complaint(session, settings, title="Jalan rusak parah")
    session.commit()
    login(client, "operator")
    response = client.get("/konsol/pengaduan", query_string={"q": query})
    assert response.status_code == 200
    words = SearchTerms.parse(query).words
    if words and all(w.lower() in {"jalan", "rusak"} for w in words):
        assert f'id="complaint-{c.id}"' in response.text  # the words still search, the syntax is text


def test_search_respects_the_users_scope(client, session, settings, users) -> None:  # noqa: ANN001
    other = make_complaint(session, settings, agency_key="dinkes", title="Puskesmas Kalitidu tutup")
    session.commit()
    login(client, "liaison_pu")
    assert f'id="complaint-{other.id}"' not in client.get("/konsol/pengaduan?q=kalitidu").text
