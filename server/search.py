"""Full-text search over the stored articles' titles and texts (SQLite FTS5).

The index is an FTS5 table with external content (``content='article'``):
it holds only the inverted index, and reads titles and texts from the
``article`` table when a snippet is wanted, so no text is stored twice.
(A contentless table would be as small but could not make snippets.)

Triggers on ``article`` keep it in step: every insert, update of a title or
text, and delete changes the index in the same transaction, whichever code
made the change (ingest, ``wiretrace check --repair``, ...).

Indexing article by article costs a bulk load about a third of its time,
and indexing what it stored in bulk (20,000 articles per statement) costs
a sixth of that. So a bulk writer (``wiretrace ingest``) *pauses* the
index: ``search_state`` records that every article up to
``indexed_through`` is indexed and none after it, and while ``paused`` is
set, new articles wait (the insert trigger skips them; updates and deletes
of waiting articles have nothing to change). The bulk writer indexes a
full chunk of waiting articles between its batches
(:func:`index_waiting_chunk`), and :func:`catch_up_search_index` indexes
the rest and lifts the pause. Until then search does not see them;
``wiretrace stats`` reports how many wait. A bulk load killed
before it caught up leaves the pause set: the next ``wiretrace ingest`` or
``wiretrace search-index --catch-up`` finishes it. Without the index,
search answers 503 (``wiretrace search-index --rebuild`` builds it).
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from .db import database
from .errors import ApiError
from .listing import ListQuery, date_clauses

__all__ = [
    "FTS_TABLE",
    "MAX_QUERY_LENGTH",
    "create_search_index",
    "upgrade_search_index",
    "pause_search_index",
    "catch_up_search_index",
    "index_waiting_chunk",
    "CATCH_UP_CHUNK",
    "search_index_paused",
    "waiting_articles",
    "drop_search_index",
    "rebuild_search_index",
    "search_index_exists",
    "check_search_query",
    "search_articles",
    "recent_articles",
    "split_snippet",
    "SNIPPET_START",
    "SNIPPET_END",
]

FTS_TABLE = "article_fts"
MAX_QUERY_LENGTH = 500
# Snippet markers: private-use characters, which no article's text should
# hold; the API returns the snippet without them, plus the highlighted ranges.
SNIPPET_START, SNIPPET_END = "\ue000", "\ue001"
_MARKERS = re.compile(f"([{SNIPPET_START}{SNIPPET_END}])")
# bm25 weights: a hit in the title weighs as much as ten in the text.
_WEIGHTS = "10.0, 1.0"
_RANK = f"bm25({FTS_TABLE}, {_WEIGHTS})"
_COLUMNS = "title, text"

_STATE = "search_state"
_INDEXED = f"(SELECT indexed_through FROM {_STATE} WHERE id = 1)"
_PAUSED = f"(SELECT paused FROM {_STATE} WHERE id = 1)"

_TABLE = (
    # remove_diacritics 2: "creme" finds "crème", as readers type it.
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_COLUMNS}, content='article', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
_STATE_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {_STATE} (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "indexed_through INTEGER NOT NULL, paused INTEGER NOT NULL DEFAULT 0)"
)
_TRIGGER_SQL = [
    # A new article is indexed unless the index is paused; an id at or below
    # the mark (SQLite reuses the highest id after a delete) is always indexed,
    # since the mark says it is.
    f"""CREATE TRIGGER IF NOT EXISTS article_fts_insert AFTER INSERT ON article
    WHEN {_PAUSED} = 0 OR new.id <= {_INDEXED} BEGIN
        INSERT INTO {FTS_TABLE} (rowid, title, text) VALUES (new.id, new.title, new.text);
        UPDATE {_STATE} SET indexed_through = new.id WHERE id = 1 AND new.id > indexed_through;
    END""",
    # External content: the index must be told the old values to forget them.
    # An article still waiting to be indexed has nothing to forget.
    f"""CREATE TRIGGER IF NOT EXISTS article_fts_delete AFTER DELETE ON article
    WHEN old.id <= {_INDEXED} BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS article_fts_update AFTER UPDATE OF title, text ON article
    WHEN old.id <= {_INDEXED} BEGIN
        INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
        INSERT INTO {FTS_TABLE} (rowid, title, text) VALUES (new.id, new.title, new.text);
    END""",
]
_TRIGGERS = ("article_fts_insert", "article_fts_delete", "article_fts_update")


def search_index_exists(connection) -> bool:
    row = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (FTS_TABLE,)).fetchone()
    return row is not None


def _highest_id(connection) -> int:
    return connection.execute("SELECT COALESCE(MAX(id), 0) FROM article").fetchone()[0]


def _drop_triggers(connection) -> None:
    for trigger in _TRIGGERS:
        connection.execute(f"DROP TRIGGER IF EXISTS {trigger}")


def create_search_index(connection) -> None:
    """Create the index and its state, for the articles now stored (none, on a new database), and the current triggers.

    Triggers an older version made are replaced. The caller holds the
    transaction and fills the index when articles exist (see
    :func:`rebuild_search_index`).
    """
    _drop_triggers(connection)
    connection.execute(_TABLE)
    connection.execute(_STATE_TABLE)
    connection.execute(
        f"INSERT OR REPLACE INTO {_STATE} (id, indexed_through, paused) VALUES (1, ?, 0)", (_highest_id(connection),)
    )
    for statement in _TRIGGER_SQL:
        connection.execute(statement)


def upgrade_search_index(connection) -> None:
    """Bring an index made before the pause (triggers without conditions) up to date; the caller holds the transaction.

    Those triggers kept every stored article indexed, so the mark starts at
    the highest id.
    """
    if not search_index_exists(connection):
        return
    has_state = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (_STATE,)
    ).fetchone()
    if has_state:
        return
    create_search_index(connection)


def pause_search_index(connection) -> None:
    """New articles wait until :func:`catch_up_search_index` (a bulk writer's choice)."""
    connection.execute(f"UPDATE {_STATE} SET paused = 1 WHERE id = 1")
    _configure_index(connection, _BULK_SETTINGS)


# FTS5 settings while a bulk load indexes its articles in large chunks.
# FTS5 writes a new segment each time its in-memory terms reach "hashsize"
# (1 MiB by default), and merges segments four at a time ("automerge").
# With 64 MiB and sixteen, catching up 200,000 articles took 8.5 s instead
# of 17.8 (benchmarks/fts_settings.py), to an index of the same size.
# They go back to the defaults when the load ends, because an index written
# one small transaction at a time (the API) answers faster with fewer
# segments.
_BULK_SETTINGS = {"hashsize": 64 * 2**20, "automerge": 16}
_DEFAULT_SETTINGS = {"hashsize": 2**20, "automerge": 4}


def _configure_index(connection, settings: dict[str, int]) -> None:
    for name, value in settings.items():
        # "hashsize" is not among FTS5's documented settings: an SQLite
        # without it indexes as before, only more slowly.
        with suppress(sqlite3.OperationalError):
            connection.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rank) VALUES (?, ?)", (name, value))


# Articles indexed per transaction when catching up: at about 0.13 ms each
# (1M articles) a chunk holds the write lock for a few seconds, well within
# the 30 s other writers wait.
CATCH_UP_CHUNK = 20_000


def catch_up_search_index(database) -> int:
    """Index every waiting article, a chunk per transaction, then lift the pause; returns how many were indexed.

    The mark moves with each chunk, so an interrupted catch-up keeps what
    it did. Articles stored meanwhile are taken by a later chunk; the pause
    is lifted in the transaction that finds nothing left, so none is missed.
    """
    indexed = 0
    while True:
        done = index_waiting_chunk(database, lift_pause_when_done=True)
        if done is None:
            return indexed
        indexed += done


def index_waiting_chunk(database, *, lift_pause_when_done: bool = False, at_least: int = 1) -> int | None:
    """Index the next chunk of waiting articles in one transaction; returns how many, or None when none waited.

    A bulk writer calls it between its batches (with ``at_least`` =
    ``CATCH_UP_CHUNK``, so that only full chunks are indexed) to index as
    it goes, while the processes that fingerprint keep working, instead of
    leaving all of it to the end. Returns 0 when fewer than ``at_least``
    wait. With ``lift_pause_when_done``, the transaction that finds nothing
    waiting lifts the pause.
    """
    with database.atomic("IMMEDIATE"):
        connection = database.connection()
        if not search_index_exists(connection):
            return None
        mark = connection.execute(f"SELECT indexed_through FROM {_STATE} WHERE id = 1").fetchone()[0]
        count, upper = connection.execute(
            "SELECT COUNT(*), MAX(id) FROM (SELECT id FROM article WHERE id > ? ORDER BY id LIMIT ?)",
            (mark, CATCH_UP_CHUNK),
        ).fetchone()
        if upper is None:
            if lift_pause_when_done:
                connection.execute(f"UPDATE {_STATE} SET paused = 0 WHERE id = 1")
                _configure_index(connection, _DEFAULT_SETTINGS)
            return None
        if count < at_least:
            return 0
        indexed = connection.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, title, text) SELECT id, title, text FROM article "
            "WHERE id > ? AND id <= ?",
            (mark, upper),
        ).rowcount
        connection.execute(f"UPDATE {_STATE} SET indexed_through = ? WHERE id = 1", (upper,))
        return indexed


@contextmanager
def search_index_paused(database):
    """Pause the index for a bulk load and catch up when it ends, however it ends."""
    with database.atomic("IMMEDIATE"):
        connection = database.connection()
        if search_index_exists(connection):
            pause_search_index(connection)
    try:
        yield
    finally:
        catch_up_search_index(database)


def waiting_articles(connection) -> int:
    """Stored articles the index does not hold yet (a paused bulk load's)."""
    if not search_index_exists(connection):
        return 0
    mark = connection.execute(f"SELECT indexed_through FROM {_STATE} WHERE id = 1").fetchone()[0]
    return connection.execute("SELECT COUNT(*) FROM article WHERE id > ?", (mark,)).fetchone()[0]


def drop_search_index(connection) -> None:
    _drop_triggers(connection)
    connection.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    connection.execute(f"DROP TABLE IF EXISTS {_STATE}")


def rebuild_search_index() -> int:
    """Create the index if missing and fill it from every stored article, in one transaction."""
    with database.atomic("IMMEDIATE"):
        connection = database.connection()
        create_search_index(connection)
        _configure_index(connection, _BULK_SETTINGS)
        connection.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")
        _configure_index(connection, _DEFAULT_SETTINGS)
        return connection.execute("SELECT COUNT(*) FROM article").fetchone()[0]


def check_search_query(text: str | None) -> str:
    """``text`` as an FTS5 query, or a 400 saying why it is not one.

    The query is tried on an empty in-memory FTS5 table with the same
    columns: an error there can only be the query's, so a syntax error is a
    400 while a real database failure stays a 500.
    """
    if text is None or not text.strip():
        raise ApiError(400, "'q' must not be empty")
    text = text.strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise ApiError(400, f"'q' is longer than {MAX_QUERY_LENGTH} characters")
    if "\x00" in text:
        raise ApiError(400, "'q' contains a NUL character")
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute(f"CREATE VIRTUAL TABLE probe USING fts5({_COLUMNS})")
        probe.execute("SELECT rowid FROM probe WHERE probe MATCH ?", (text,)).fetchall()
    except sqlite3.Error as error:
        raise ApiError(
            400, f"'q' is not a valid search query ({error}); quote words with special characters: \"...\""
        ) from None
    finally:
        probe.close()
    return text


def split_snippet(marked: str) -> tuple[str, list[list[int]]]:
    """A snippet with markers -> (plain text, [[start, end], ...] of the highlighted ranges, in code points)."""
    plain: list[str] = []
    ranges: list[list[int]] = []
    length, start = 0, None
    for piece in _MARKERS.split(marked):
        if piece == SNIPPET_START:
            start = length
        elif piece == SNIPPET_END:
            if start is not None and length > start:
                ranges.append([start, length])
            start = None
        else:
            plain.append(piece)
            length += len(piece)
    return "".join(plain), ranges


@dataclass(frozen=True)
class _Filters:
    outlet_id: int | None
    since: str | None
    until: str | None


def _filters(outlet: str | None, query: ListQuery) -> _Filters:
    outlet_id = None
    if outlet:
        row = database.execute_sql("SELECT id FROM outlet WHERE name = ?", (outlet.strip().lower(),)).fetchone()
        # An unknown outlet has no articles: an empty page, not an error.
        outlet_id = row[0] if row else -1
    return _Filters(outlet_id, query.since, query.until)


def _where(filters: _Filters, alias: str = "a") -> tuple[list[str], list]:
    clauses, values = [], []
    if filters.outlet_id is not None:
        clauses.append(f"{alias}.outlet_id = ?")
        values.append(filters.outlet_id)
    dated, dates = date_clauses(f"{alias}.published_at", filters.since, filters.until)
    return clauses + dated, values + dates


def _article_row(row) -> dict:
    article_id, url, outlet, title, published_at = row[:5]
    return {"id": article_id, "url": url, "outlet": outlet, "title": title, "published_at": published_at}


def search_articles(text: str, outlet: str | None, query: ListQuery) -> tuple[list[dict], list | None]:
    """One page of articles matching the FTS5 query ``text``, best (lowest bm25) first.

    Returns the rows and the sort key of the last one when more may follow.
    """
    if not search_index_exists(database.connection()):
        raise ApiError(503, "the search index has not been built: run 'wiretrace search-index --rebuild'")
    clauses, values = _where(_filters(outlet, query))
    if query.cursor is not None:
        if (
            len(query.cursor) != 2
            or not isinstance(query.cursor[0], int | float)
            or not isinstance(query.cursor[1], int)
        ):
            raise ApiError(400, "'cursor' is not a cursor this server gave out")
        clauses.append(f"({_RANK} > ? OR ({_RANK} = ? AND a.id > ?))")
        values.extend([query.cursor[0], query.cursor[0], query.cursor[1]])
    where = "".join(f" AND {clause}" for clause in clauses)
    rows = database.execute_sql(
        f"SELECT a.id, a.url, o.name, a.title, a.published_at, {_RANK}, "
        f"snippet({FTS_TABLE}, 1, ?, ?, '…', 24) "
        f"FROM {FTS_TABLE} JOIN article a ON a.id = {FTS_TABLE}.rowid JOIN outlet o ON o.id = a.outlet_id "
        f"WHERE {FTS_TABLE} MATCH ?{where} ORDER BY {_RANK}, a.id LIMIT ?",
        [SNIPPET_START, SNIPPET_END, text, *values, query.limit + 1],
    ).fetchall()
    page = []
    for row in rows[: query.limit]:
        snippet, highlights = split_snippet(row[6] or "")
        page.append({**_article_row(row), "score": row[5], "snippet": snippet, "snippet_highlights": highlights})
    more = len(rows) > query.limit
    return page, ([page[-1]["score"], page[-1]["id"]] if more else None)


def recent_articles(outlet: str | None, query: ListQuery) -> tuple[list[dict], list | None]:
    """One page of articles, latest published first (undated ones last), then by id."""
    clauses, values = _where(_filters(outlet, query))
    if query.cursor is not None:
        if len(query.cursor) != 2 or not isinstance(query.cursor[1], int):
            raise ApiError(400, "'cursor' is not a cursor this server gave out")
        published, article_id = query.cursor
        if published is None:
            clauses.append("(a.published_at IS NULL AND a.id < ?)")
            values.append(article_id)
        elif isinstance(published, str):
            clauses.append("(a.published_at < ? OR (a.published_at = ? AND a.id < ?) OR a.published_at IS NULL)")
            values.extend([published, published, article_id])
        else:
            raise ApiError(400, "'cursor' is not a cursor this server gave out")
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    rows = database.execute_sql(
        "SELECT a.id, a.url, o.name, a.title, a.published_at FROM article a JOIN outlet o ON o.id = a.outlet_id "
        f"{where} ORDER BY a.published_at DESC, a.id DESC LIMIT ?",
        [*values, query.limit + 1],
    ).fetchall()
    page = [_article_row(row) for row in rows[: query.limit]]
    more = len(rows) > query.limit
    return page, ([page[-1]["published_at"], page[-1]["id"]] if more else None)
