"""Free-text search over complaint title and description: SQLite FTS5 or a PostgreSQL GIN index.

The index objects live outside `Base.metadata` (a virtual table and an expression index the schema
comparison cannot describe). They are created by the Alembic revision 3f2a9c1d7e64 for migrated
databases and by the `after_create` hook below for `create_all` (tests, benchmarks).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import DDL, ColumnElement, column, event, false, func, literal_column, select, table

from models.entities import Complaint

FTS_TABLE = "complaint_fts"
"""SQLite: the external-content FTS5 table over complaint(title, description), rowid = complaint.id."""
PG_INDEX = "ix_complaint_search_tsv"
"""PostgreSQL: the GIN index on to_tsvector('simple', title || ' ' || description)."""
SEARCH_OBJECT_NAMES = frozenset({FTS_TABLE, *(f"{FTS_TABLE}_{part}" for part in ("data", "idx", "content", "docsize", "config")), PG_INDEX})
"""Every table and index the search adds; the schema comparison with the models leaves them out."""
MAX_TERMS = 12
"""More words than this add nothing to a complaint search and only slow the query down."""

# Words as FTS5's unicode61 tokenizer sees them: runs of letters and digits; everything else separates.
_WORD = re.compile(r"[^\W_]+")

SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, description, content='complaint', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    f"CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON complaint BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, title, description) VALUES (new.id, new.title, new.description); END",
    f"CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON complaint BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, description) VALUES ('delete', old.id, old.title, old.description); END",
    # Only a change of the indexed text touches the index: status changes are far more frequent.
    f"CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF title, description ON complaint BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, description) VALUES ('delete', old.id, old.title, old.description); "
    f"INSERT INTO {FTS_TABLE}(rowid, title, description) VALUES (new.id, new.title, new.description); END",
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)
PG_DDL = (f"CREATE INDEX {PG_INDEX} ON complaint USING gin (to_tsvector('simple', title || ' ' || description))",)

_fts = table(FTS_TABLE, column("rowid"), column(FTS_TABLE))


@dataclass(frozen=True)
class SearchTerms:
    """The words of a search box entry; the last one is matched as a prefix (the user may still be typing)."""

    words: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> "SearchTerms":
        return cls(tuple(_WORD.findall(unicodedata.normalize("NFC", text)))[:MAX_TERMS])

    def fts5_query(self) -> str:
        """`"jalan" "rus"*`: every word a quoted string, so AND/OR/NOT/NEAR, -, * and ( ) are plain text."""
        quoted = ['"' + word.replace('"', '""') + '"' for word in self.words]
        return " ".join(quoted) + "*" if quoted else ""

    def tsquery(self) -> str:
        """`'jalan' & 'rus':*` for to_tsquery: every lexeme quoted, the last one a prefix."""
        quoted = ["'" + word.replace("'", "''").replace("\\", "\\\\") + "'" for word in self.words]
        return " & ".join(quoted) + ":*" if quoted else ""


def complaint_text_matches(text: str, dialect: str) -> ColumnElement[bool]:
    """A WHERE clause: the complaint's title or description contains every word of `text` (the last as a prefix).

    The user's text only ever travels as a bound parameter; a text without any word matches nothing.
    """
    terms = SearchTerms.parse(text)
    if not terms.words:
        return false()
    if dialect == "sqlite":
        matching_ids = select(_fts.c.rowid).where(_fts.c[FTS_TABLE].match(terms.fts5_query()))
        return Complaint.id.in_(matching_ids)
    if dialect == "postgresql":
        # Written out as literals so the expression is the indexed one, whatever the driver binds.
        simple = literal_column("'simple'")
        document = func.to_tsvector(simple, Complaint.title.concat(literal_column("' '")).concat(Complaint.description))
        return document.bool_op("@@")(func.to_tsquery(simple, terms.tsquery()))
    raise NotImplementedError(f"free-text search is not available on {dialect}")


def _create(statements: tuple[str, ...], dialect: str) -> None:
    for statement in statements:
        event.listen(Complaint.__table__, "after_create", DDL(statement).execute_if(dialect=dialect))


_create(SQLITE_DDL, "sqlite")
_create(PG_DDL, "postgresql")
# drop_all drops the complaint table (and with it the triggers) but not the virtual table.
event.listen(Complaint.__table__, "before_drop", DDL(f"DROP TABLE IF EXISTS {FTS_TABLE}").execute_if(dialect="sqlite"))


def include_in_schema_comparison(name: str | None, type_: str, parent_names: dict[str, str | None]) -> bool:
    """Alembic `include_name` hook: leave the search objects (and FTS5's shadow tables) out of autogenerate."""
    return name not in SEARCH_OBJECT_NAMES
