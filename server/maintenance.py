"""Keeping a corpus sound: ``check`` (and ``--repair``) and ``backup``.

``check`` proves what the store promises: every article has a fingerprint made
with recorded parameters, its content hash matches its text, and the index
holds exactly the rows that fingerprint implies (its winnowed hashes under its
outlet, its band keys) and nothing else. The expected rows are built in TEMP
tables and compared with the real ones by primary key, so the comparison is
exact and the database file itself is never written; it all happens in one
read transaction, a consistent snapshot even while a server keeps writing.

``repair`` rebuilds the rows of the articles at fault from their stored texts
with the same code ingest uses (:class:`server.store.IndexRows`), one batch
per transaction, so it is deterministic and can be interrupted and rerun.
"""

from __future__ import annotations

import os
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from fingerprints import Fingerprint, FingerprintParams, TextTooShort, fingerprint
from fingerprints.fingerprint import decode_spans

from .index_tiers import delete_article_rows
from .store import IndexRows, _store_fingerprint, content_hash, params_id

__all__ = ["Problem", "CheckReport", "check", "repair", "backup"]

# Kinds of problem ``repair`` can fix by rebuilding an article's rows from its text.
REPAIRABLE = {
    "fingerprint_missing",
    "fingerprint_params",
    "fingerprint_corrupt",
    "fingerprint_mismatch",
    "content_hash",
    "index",
    "orphan_index",
    "orphan_fingerprint",
}

_BATCH = 500


@dataclass(frozen=True)
class Problem:
    kind: str
    article_id: int | None
    detail: str

    def __str__(self) -> str:
        where = f"article {self.article_id}: " if self.article_id is not None else ""
        return f"{self.kind}: {where}{self.detail}"


@dataclass
class CheckReport:
    articles: int = 0
    fingerprints: int = 0
    postings: int = 0
    bands: int = 0
    # Fingerprints made with recorded parameters other than the current ones:
    # sound, but not compared with new ones until ``wiretrace reindex``.
    stale: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def damaged(self) -> bool:
        """The file itself is damaged: only a backup can help, rebuilding rows on it could make things worse."""
        return any(problem.kind == "integrity" for problem in self.problems)

    def at_fault(self) -> dict[int, set[str]]:
        """Article ids ``repair`` can fix, with the kinds of problem each has."""
        faults: dict[int, set[str]] = defaultdict(set)
        for problem in self.problems:
            if problem.article_id is not None and problem.kind in REPAIRABLE:
                faults[problem.article_id].add(problem.kind)
        return faults

    def lines(self, limit: int = 50) -> list[str]:
        lines = [
            f"{self.articles} articles, {self.fingerprints} fingerprints, "
            f"{self.postings} postings, {self.bands} band keys"
        ]
        if self.stale:
            lines.append(f"{self.stale} fingerprints made with other parameters: run 'wiretrace reindex'")
        counts: dict[str, int] = defaultdict(int)
        for problem in self.problems:
            counts[problem.kind] += 1
        for problem in self.problems[:limit]:
            lines.append(str(problem))
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more")
        if self.ok:
            lines.append("ok: no problems found")
        else:
            summary = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()))
            lines.append(f"{len(self.problems)} problems: {summary}")
        return lines


def _known_params(connection) -> dict[int, FingerprintParams]:
    known = {}
    for row_id, key, params_json in connection.execute("SELECT id, key, params_json FROM fingerprint_params"):
        try:
            params = FingerprintParams.from_json(params_json)
        except (ValueError, TypeError):
            continue
        if params.key == key:
            known[row_id] = params
    return known


def _decode(params: FingerprintParams, blobs: dict[str, bytes], token_count: int) -> Fingerprint:
    """The stored fingerprint, or ValueError when its blobs do not hold one of ``token_count`` tokens."""
    if len(blobs["signature"]) != 4 * params.num_perm:
        raise ValueError("blob sizes do not fit the token count and parameters")
    print_ = Fingerprint.from_blobs(params, blobs)
    if (
        len(print_.shingles) != max(token_count - params.shingle_size + 1, 1)
        or len(print_.token_starts) != token_count
        or len(print_.quoted) != token_count
    ):
        raise ValueError("blob sizes do not fit the token count and parameters")
    return print_


def _holds(stored: dict[str, bytes], print_: Fingerprint) -> bool:
    """Whether the ``stored`` blobs are ``print_``'s, with its token spans in either stored form."""
    fresh = print_.to_blobs()
    if any(stored[name] != fresh[name] for name in ("shingles", "quoted", "signature")):
        return False
    try:
        starts, ends = decode_spans(stored["spans"])
    except ValueError:
        return False
    return np.array_equal(starts, print_.token_starts) and np.array_equal(ends, print_.token_ends)


_TEMP_TABLES = [
    "CREATE TEMP TABLE expected_posting (hash INTEGER NOT NULL, outlet_id INTEGER NOT NULL, "
    "article_id INTEGER NOT NULL, PRIMARY KEY (hash, outlet_id, article_id)) WITHOUT ROWID",
    "CREATE TEMP TABLE expected_band (key INTEGER NOT NULL, article_id INTEGER NOT NULL, "
    "PRIMARY KEY (key, article_id)) WITHOUT ROWID",
]


def _drop_temp_tables(connection) -> None:
    connection.execute("DROP TABLE IF EXISTS temp.expected_posting")
    connection.execute("DROP TABLE IF EXISTS temp.expected_band")


def _fresh_print(text: str, params: FingerprintParams) -> Fingerprint | None:
    try:
        return fingerprint(text, params)
    except TextTooShort:
        return None


def _check_articles(connection, report: CheckReport, current: FingerprintParams, deep: bool) -> None:
    """Per-article checks; fills the TEMP tables with the index rows each sound fingerprint implies."""
    known = _known_params(connection)
    expected = IndexRows()
    last_id = 0
    while True:
        rows = connection.execute(
            "SELECT a.id, a.outlet_id, a.text, a.content_hash, a.token_count, f.article_id, f.params_id, "
            "f.shingles, f.spans, f.quoted, f.signature "
            "FROM article a LEFT JOIN fingerprint f ON f.article_id = a.id WHERE a.id > ? ORDER BY a.id LIMIT ?",
            (last_id, _BATCH),
        ).fetchall()
        if not rows:
            return
        last_id = rows[-1][0]
        for article_id, outlet_id, text, digest, token_count, has_print, params_row, *blobs in rows:
            report.articles += 1
            if content_hash(text) != digest:
                report.problems.append(Problem("content_hash", article_id, "the stored hash does not match the text"))
            if has_print is None:
                report.problems.append(Problem("fingerprint_missing", article_id, "no fingerprint"))
                continue
            report.fingerprints += 1
            params = known.get(params_row)
            if params is None:
                report.problems.append(
                    Problem("fingerprint_params", article_id, f"made with unrecorded parameters (id {params_row})")
                )
                continue
            if params != current:
                report.stale += 1
            stored = dict(zip(("shingles", "spans", "quoted", "signature"), blobs, strict=True))
            try:
                print_ = _decode(params, stored, token_count)
            except ValueError as error:
                report.problems.append(Problem("fingerprint_corrupt", article_id, str(error)))
                continue
            if deep and not ((fresh := _fresh_print(text, params)) is not None and _holds(stored, fresh)):
                report.problems.append(Problem("fingerprint_mismatch", article_id, "the fingerprint is not the text's"))
                continue
            expected.add(article_id, outlet_id, print_)
        postings, bands = expected.take_rows()
        connection.executemany("INSERT INTO temp.expected_posting VALUES (?, ?, ?)", postings)
        connection.executemany("INSERT INTO temp.expected_band VALUES (?, ?)", bands)


def _index_differences(connection, report: CheckReport) -> None:
    """Index rows that are there but should not be, and rows that should be but are not, per article."""
    differences: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    queries = [
        (
            0,
            "SELECT p.article_id, COUNT(*) FROM main.posting p WHERE NOT EXISTS (SELECT 1 FROM temp.expected_posting "
            "e WHERE e.hash = p.hash AND e.outlet_id = p.outlet_id AND e.article_id = p.article_id) "
            "GROUP BY p.article_id",
        ),
        (
            1,
            "SELECT e.article_id, COUNT(*) FROM temp.expected_posting e WHERE NOT EXISTS (SELECT 1 FROM main.posting "
            "p WHERE p.hash = e.hash AND p.outlet_id = e.outlet_id AND p.article_id = e.article_id) "
            "GROUP BY e.article_id",
        ),
        (
            2,
            "SELECT b.article_id, COUNT(*) FROM main.band b WHERE NOT EXISTS (SELECT 1 FROM temp.expected_band e "
            "WHERE e.key = b.key AND e.article_id = b.article_id) GROUP BY b.article_id",
        ),
        (
            3,
            "SELECT e.article_id, COUNT(*) FROM temp.expected_band e WHERE NOT EXISTS (SELECT 1 FROM main.band b "
            "WHERE b.key = e.key AND b.article_id = e.article_id) GROUP BY e.article_id",
        ),
    ]
    # A row in both tiers would be counted twice by every lookup: one of
    # the two is extra. (A merge moves rows in one transaction, so this is
    # never expected.)
    queries += [
        (
            0,
            "SELECT r.article_id, COUNT(*) FROM posting_recent r JOIN posting_main m "
            "USING (hash, outlet_id, article_id) GROUP BY r.article_id",
        ),
        (
            2,
            "SELECT r.article_id, COUNT(*) FROM band_recent r JOIN band_main m USING (key, article_id) "
            "GROUP BY r.article_id",
        ),
    ]
    for slot, sql in queries:
        for article_id, count in connection.execute(sql):
            differences[article_id][slot] += count
    report.postings = connection.execute("SELECT COUNT(*) FROM main.posting").fetchone()[0]
    report.bands = connection.execute("SELECT COUNT(*) FROM main.band").fetchone()[0]
    existing = _existing_ids(connection, list(differences))
    for article_id in sorted(differences):
        extra_postings, missing_postings, extra_bands, missing_bands = differences[article_id]
        if article_id not in existing:
            detail = f"{extra_postings} postings and {extra_bands} band keys for a missing article"
            report.problems.append(Problem("orphan_index", article_id, detail))
            continue
        parts = [
            f"{count} {what}"
            for count, what in (
                (extra_postings, "extra postings"),
                (missing_postings, "missing postings"),
                (extra_bands, "extra band keys"),
                (missing_bands, "missing band keys"),
            )
            if count
        ]
        report.problems.append(Problem("index", article_id, ", ".join(parts) + " (the index disagrees)"))


def _existing_ids(connection, ids: list[int]) -> set[int]:
    found = set()
    for start in range(0, len(ids), 900):
        chunk = ids[start : start + 900]
        rows = connection.execute(f"SELECT id FROM article WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        found.update(article_id for (article_id,) in rows)
    return found


def check(connection, current: FingerprintParams, *, deep: bool = False) -> CheckReport:
    """Check the database on ``connection`` (a sqlite3 connection in autocommit mode); writes only TEMP tables.

    ``deep`` also fingerprints every text again and compares the result with
    the stored fingerprint (as slow as ingesting the corpus again).
    """
    report = CheckReport()
    try:
        integrity = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        foreign_keys = connection.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.DatabaseError as error:
        report.problems.append(Problem("integrity", None, f"the file cannot be read: {error}"))
        return report
    if integrity != ["ok"]:
        report.problems.extend(Problem("integrity", None, message) for message in integrity)
    for table, rowid, parent, _ in foreign_keys:
        if table == "fingerprint" and parent == "article":
            report.problems.append(Problem("orphan_fingerprint", rowid, "a fingerprint for a missing article"))
        elif table == "fingerprint":
            report.problems.append(Problem("fingerprint_params", rowid, f"refers to a missing {parent} row"))
        else:
            report.problems.append(Problem("foreign_key", None, f"{table} row {rowid} refers to a missing {parent}"))
    _drop_temp_tables(connection)
    for statement in _TEMP_TABLES:
        connection.execute(statement)
    # One read transaction: the counts and the comparison see one snapshot,
    # however much a server writes meanwhile (WAL readers never block writers).
    connection.execute("BEGIN")
    try:
        _check_articles(connection, report, current, deep)
        _index_differences(connection, report)
    except sqlite3.DatabaseError as error:
        report.problems.append(Problem("integrity", None, f"reading the tables failed: {error}"))
    finally:
        connection.execute("ROLLBACK")
        _drop_temp_tables(connection)
    return report


def repair(database, report: CheckReport, current: FingerprintParams) -> int:
    """Rebuild fingerprints (where needed) and index rows of the articles ``report`` found at fault.

    ``database`` is the bound peewee database. Each batch is one write
    transaction that reads the articles afresh, so a concurrent update is
    rebuilt from its new text. Returns how many articles were rebuilt or
    cleared. Page-level corruption (``integrity``) cannot be repaired here:
    restore a backup.
    """
    faults = report.at_fault()
    ids = sorted(faults)
    for start in range(0, len(ids), _BATCH):
        chunk = ids[start : start + _BATCH]
        with database.atomic("IMMEDIATE"):
            connection = database.connection()
            _repair_batch(connection, {article_id: faults[article_id] for article_id in chunk}, current)
    return len(ids)


def _repair_batch(connection, faults: dict[int, set[str]], current: FingerprintParams) -> None:
    ids = list(faults)
    marks = ",".join("?" * len(ids))
    connection.execute("DROP TABLE IF EXISTS temp.repairing")
    connection.execute("CREATE TEMP TABLE repairing (id INTEGER PRIMARY KEY)")
    connection.executemany("INSERT INTO temp.repairing VALUES (?)", [(article_id,) for article_id in ids])
    # The index has no article_id index (it is clustered on the hash): one scan per batch.
    delete_article_rows(connection, "SELECT id FROM temp.repairing")
    connection.execute(
        f"DELETE FROM fingerprint WHERE article_id IN ({marks}) AND article_id NOT IN (SELECT id FROM article)", ids
    )
    connection.execute("DROP TABLE temp.repairing")
    known = _known_params(connection)
    rows = IndexRows()
    articles = connection.execute(
        "SELECT a.id, a.outlet_id, a.text, a.content_hash, a.token_count, f.article_id, f.params_id, "
        f"f.shingles, f.spans, f.quoted, f.signature FROM article a LEFT JOIN fingerprint f ON f.article_id = a.id "
        f"WHERE a.id IN ({marks}) ORDER BY a.id",
        ids,
    ).fetchall()
    for article_id, outlet_id, text, digest, token_count, has_print, params_row, *blobs in articles:
        # The stored text is the truth: an article at fault gets the
        # fingerprint ingest would give its text, with its own recorded
        # parameters when they are known (so a corpus not yet reindexed stays
        # comparable), and the index rows of that fingerprint.
        params = known.get(params_row, current)
        try:
            print_ = fingerprint(text, params)
        except TextTooShort:
            connection.execute("DELETE FROM fingerprint WHERE article_id = ?", (article_id,))
            continue
        stored = dict(zip(("shingles", "spans", "quoted", "signature"), blobs, strict=True)) if has_print else None
        if params_row not in known or stored is None or not _holds(stored, print_):
            connection.execute("DELETE FROM fingerprint WHERE article_id = ?", (article_id,))
            _store_fingerprint(connection, article_id, params_id(params), print_)
        new_digest = content_hash(text)
        if (new_digest, print_.token_count) != (digest, token_count):
            connection.execute(
                "UPDATE article SET content_hash = ?, token_count = ? WHERE id = ?",
                (new_digest, print_.token_count, article_id),
            )
        rows.add(article_id, outlet_id, print_)
    rows.write(connection)


def backup(source_path: str, destination: str) -> str:
    """Copy the database at ``source_path`` to ``destination`` with SQLite's online backup API.

    The copy is one consistent snapshot, taken in one step under a read
    transaction: in WAL mode writers carry on meanwhile (a paged backup
    would restart whenever another process writes). It is written to a
    temporary file beside ``destination`` and renamed into place only once
    complete and found sound by ``PRAGMA integrity_check``, so a crash never
    leaves a half-written file under the backup's name. Returns the path
    written.
    """
    if not os.path.isfile(source_path):
        raise FileNotFoundError(f"no database at {source_path}")
    if os.path.isdir(destination):
        destination = os.path.join(destination, os.path.basename(source_path))
    if os.path.exists(destination):
        raise FileExistsError(f"{destination} already exists")
    partial = f"{destination}.partial-{os.getpid()}"
    source = sqlite3.connect(source_path, timeout=30)
    try:
        target = sqlite3.connect(partial)
        try:
            source.backup(target)
            # A single self-contained file: no -wal beside the copy.
            target.execute("PRAGMA journal_mode=DELETE")
            result = [row[0] for row in target.execute("PRAGMA integrity_check")]
        finally:
            target.close()
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)
        raise
    finally:
        source.close()
    if result != ["ok"]:
        os.remove(partial)
        raise sqlite3.DatabaseError("the copy failed its integrity check: " + "; ".join(result))
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, destination)
    directory = os.open(os.path.dirname(os.path.abspath(destination)), os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return destination
