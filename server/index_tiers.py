"""The candidate index in two tiers, so that ingest costs the same at a million articles as at ten thousand.

Index rows are clustered on random hashes. Inserted straight into one large
B-tree, each batch's rows land on pages all over it, and every commit
rewrites each page it touched: at a million articles a 500-article batch
rewrote about a hundred megabytes, and ingest fell from about 1,500 to 490
articles a second. So new rows go to small *recent* tables
(``posting_recent``, ``band_recent``) that stay in the page cache, and are
moved into the *main* tables (``posting_main``, ``band_main``) in hash order
once the recent tier holds ``limit`` rows: a main page is then rewritten
once for the many rows a merge brings it, not once per batch.

Readers never see the tiers: the views ``posting`` and ``band`` are the union
of both, and SQLite pushes a query's ``hash IN (...)`` into each side. A
merge moves one slice of the hash space per transaction (insert into main,
delete from recent), so a reader sees every row exactly once, before or
after the move, and a merge interrupted at any point leaves a correct index.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "TIER_SCHEMA",
    "DEFAULT_RECENT_LIMIT",
    "SLICES",
    "TIERS",
    "migrate_single_tier",
    "note_added",
    "recent_rows",
    "merge_all",
    "merge_due",
    "merge_next_slice",
    "merge_if_due",
    "delete_article_rows",
]

# About 70,000 articles' rows (around 40 postings and 16 band keys each):
# small enough to stay in the cache while ingest writes to it, large
# enough that a merge brings each main page many rows. Configurable as
# ``INDEX_RECENT_LIMIT``.
DEFAULT_RECENT_LIMIT = 4_000_000
SLICES = 16
TIERS = ("main", "recent")

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _uniform_edges(low: int, high: int) -> list[int]:
    """Slice edges for keys spread evenly over ``low..high``."""
    width = (high - low + 1) // SLICES
    return [low + number * width for number in range(SLICES + 1)]


def _winnowed_edges(window: int = 12) -> list[int]:
    """Slice edges for winnowed posting hashes, which are not spread evenly.

    A hash is selected by winnowing when it is the minimum of some window of
    ``window`` shingles, so small values are selected far more often. For a
    hash at fraction u of the range, the run of larger values around it
    covers a window with probability (1 - u) ** (window - 1) *
    (1 + (window - 1) * u); edges at the quantiles of that density give
    slices of about equal size. Only the balance depends on this: any edges
    give a correct merge.
    """
    u = np.linspace(0.0, 1.0, 100_001)
    density = (1 - u) ** (window - 1) * (1 + (window - 1) * u)
    cumulative = np.concatenate([[0.0], np.cumsum((density[1:] + density[:-1]) / 2)])
    cumulative /= cumulative[-1]
    quantiles = np.interp(np.arange(SLICES + 1) / SLICES, cumulative, u)
    return [int(round(q * (1 << 32))) for q in quantiles]


@dataclass(frozen=True)
class _Table:
    name: str  # the view readers use
    key: str  # the clustering column, sliced when merging
    columns: str
    definition: str
    edges: tuple[int, ...]  # SLICES + 1 ascending slice edges over the key's usual values

    def bounds(self, slice_number: int) -> tuple[int, int]:
        """Inclusive key range of one slice; the first and last slices reach the ends of the integers."""
        lo, hi = self.edges[slice_number], self.edges[slice_number + 1] - 1
        return (_INT64_MIN if slice_number == 0 else lo), (_INT64_MAX if slice_number == SLICES - 1 else hi)


_TABLES = (
    _Table(
        "posting",
        "hash",
        "hash, outlet_id, article_id",
        "hash INTEGER NOT NULL, outlet_id INTEGER NOT NULL, article_id INTEGER NOT NULL, "
        "PRIMARY KEY (hash, outlet_id, article_id)",
        tuple(_winnowed_edges()),
    ),
    _Table(
        "band",
        "key",
        "key, article_id",
        "key INTEGER NOT NULL, article_id INTEGER NOT NULL, PRIMARY KEY (key, article_id)",
        tuple(_uniform_edges(_INT64_MIN, _INT64_MAX)),
    ),
)


def _schema() -> list[str]:
    statements = []
    for table in _TABLES:
        for tier in ("main", "recent"):
            statements.append(f"CREATE TABLE IF NOT EXISTS {table.name}_{tier} ({table.definition}) WITHOUT ROWID")
        statements.append(
            f"CREATE VIEW IF NOT EXISTS {table.name} AS SELECT {table.columns} FROM {table.name}_main "
            f"UNION ALL SELECT {table.columns} FROM {table.name}_recent"
        )
    statements.append(
        "CREATE TABLE IF NOT EXISTS index_tier_state (id INTEGER PRIMARY KEY CHECK (id = 1), "
        "recent_rows INTEGER NOT NULL, next_slice INTEGER NOT NULL)"
    )
    statements.append("INSERT OR IGNORE INTO index_tier_state (id, recent_rows, next_slice) VALUES (1, 0, 0)")
    return statements


TIER_SCHEMA = _schema()


def migrate_single_tier(connection) -> None:
    """A database from before the tiers has plain ``posting`` and ``band`` tables: they become the main tier.

    Renaming is a change to the schema only; no row is rewritten. Run
    before :data:`TIER_SCHEMA`, in the same transaction.
    """
    for table in _TABLES:
        row = connection.execute("SELECT type FROM sqlite_master WHERE name = ?", (table.name,)).fetchone()
        if row is not None and row[0] == "table":
            connection.execute(f"ALTER TABLE {table.name} RENAME TO {table.name}_main")


def note_added(connection, rows: int) -> None:
    """Count rows just written to the recent tier (in the writer's transaction)."""
    if rows:
        connection.execute("UPDATE index_tier_state SET recent_rows = recent_rows + ? WHERE id = 1", (rows,))


def recent_rows(connection) -> int:
    """Rows in the recent tier, as counted by :func:`note_added` (an estimate between merges)."""
    row = connection.execute("SELECT recent_rows FROM index_tier_state WHERE id = 1").fetchone()
    return row[0] if row else 0


def delete_article_rows(connection, article_ids_sql: str, parameters=()) -> None:
    """Delete the index rows of the articles ``article_ids_sql`` selects, from both tiers."""
    for table in _TABLES:
        for tier in ("main", "recent"):
            connection.execute(f"DELETE FROM {table.name}_{tier} WHERE article_id IN ({article_ids_sql})", parameters)


def _merge_slice(connection, slice_number: int) -> int:
    moved = 0
    for table in _TABLES:
        lo, hi = table.bounds(slice_number)
        # In key order: each main page is visited once, in sequence.
        connection.execute(
            f"INSERT OR IGNORE INTO {table.name}_main ({table.columns}) SELECT {table.columns} "
            f"FROM {table.name}_recent WHERE {table.key} BETWEEN ? AND ? ORDER BY {table.columns}",
            (lo, hi),
        )
        moved += connection.execute(
            f"DELETE FROM {table.name}_recent WHERE {table.key} BETWEEN ? AND ?", (lo, hi)
        ).rowcount
    connection.execute(
        "UPDATE index_tier_state SET recent_rows = MAX(0, recent_rows - ?), next_slice = ? WHERE id = 1",
        (moved, (slice_number + 1) % SLICES),
    )
    return moved


def merge_next_slice(database) -> int:
    """Move the next slice of the recent tier into the main one, in one transaction; rows moved."""
    with database.atomic("IMMEDIATE"):
        connection = database.connection()
        (slice_number,) = connection.execute("SELECT next_slice FROM index_tier_state WHERE id = 1").fetchone()
        return _merge_slice(connection, slice_number)


def merge_all(database) -> int:
    """Move the whole recent tier into the main one, a slice per transaction; rows moved."""
    moved = 0
    for slice_number in range(SLICES):
        with database.atomic("IMMEDIATE"):
            moved += _merge_slice(database.connection(), slice_number)
    with database.atomic("IMMEDIATE"):
        connection = database.connection()
        # Correct the running estimate (deletes from the recent tier are not counted).
        actual = sum(connection.execute(f"SELECT COUNT(*) FROM {table.name}_recent").fetchone()[0] for table in _TABLES)
        connection.execute("UPDATE index_tier_state SET recent_rows = ? WHERE id = 1", (actual,))
    return moved


def merge_due(connection, limit: int) -> bool:
    return recent_rows(connection) >= limit


def merge_if_due(database, limit: int) -> int:
    """For bulk writers (ingest, crawl): merge the whole recent tier once it holds ``limit`` rows."""
    if merge_due(database.connection(), limit):
        return merge_all(database)
    return 0
