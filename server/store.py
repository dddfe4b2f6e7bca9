"""Storing articles and keeping the index in step with them.

An article, its fingerprint and its index rows are written in one
transaction: a reader either sees all of them or none. Fingerprints are
computed before the transaction opens, so concurrent writers hold the
database lock only for the inserts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from fingerprints import Fingerprint, FingerprintParams, FingerprintRecord, TextTooShort, fingerprint

from .db import Article, ArticleFingerprint, Outlet, ParamsRecord, database, utc_now
from .errors import ApiError
from .index_tiers import note_added, recent_rows
from .outlets import OutletResolver
from .search import waiting_articles
from .validation import ArticleInput
from .versions import keep_previous_version

__all__ = ["ingest", "params_id", "load_fingerprint", "article_summary", "article_detail", "stats", "IngestResult"]


# What storing reads of a fingerprint; a parallel ingest's workers send the record.
Storable = Fingerprint | FingerprintRecord


@dataclass(frozen=True)
class IngestResult:
    id: int
    url: str
    status: str  # "created" | "updated" | "unchanged"

    def to_json(self) -> dict:
        return {"id": self.id, "url": self.url, "status": self.status}


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def params_id(params: FingerprintParams) -> int:
    """The database id of ``params``, recorded on first use."""
    record, _ = ParamsRecord.get_or_create(key=params.key, defaults={"params_json": params.to_json()})
    return record.id


def _outlet_id(name: str, cache: dict[str, int]) -> int:
    if name not in cache:
        connection = database.connection()
        row = connection.execute("SELECT id FROM outlet WHERE name = ?", (name,)).fetchone()
        if row is None:
            row = (
                connection.execute("INSERT INTO outlet (name, created_at) VALUES (?, ?)", (name, utc_now())).lastrowid,
            )
        cache[name] = row[0]
    return cache[name]


def load_fingerprint(article_id: int, params: FingerprintParams) -> Fingerprint | None:
    row = ArticleFingerprint.get_or_none(ArticleFingerprint.article == article_id)
    if row is None or row.params.key != params.key:
        return None
    return Fingerprint.from_blobs(params, stored_blobs(row))


def stored_blobs(row: ArticleFingerprint) -> dict[str, bytes]:
    return {"shingles": row.shingles, "spans": row.spans, "quoted": row.quoted, "signature": row.signature}


class IndexRows:
    """Index rows for a batch, written together in key order when the batch ends.

    They go to the recent tier (server/index_tiers.py). Its tables are
    clustered on the hash, which is random: inserting a batch's rows sorted
    touches each B-tree page once instead of once per article. The rows are
    built and sorted with numpy: as Python tuples they cost the writing
    process more than inserting them.
    """

    def __init__(self) -> None:
        self._hashes: list[np.ndarray] = []
        self._keys: list[list[int]] = []
        self._owners: list[tuple[int, int]] = []  # (outlet_id, article_id) of each added fingerprint

    def add(self, article_id: int, outlet_id: int, print_: Storable) -> None:
        self._hashes.append(print_.winnowed)
        self._keys.append(print_.band_keys)
        self._owners.append((outlet_id, article_id))

    def take_rows(self) -> tuple[Iterator[tuple[int, int, int]], Iterator[tuple[int, int]]]:
        """The batch's posting rows and band rows, each sorted by key, for ``executemany``; the batch is emptied.

        The rows are made one at a time as they are inserted: a batch's
        tens of thousands of rows built as lists up front set off the
        garbage collector over and over, which cost the writing process more
        than SQLite's inserting them.
        """
        if not self._owners:
            return iter(()), iter(())
        owners = np.asarray(self._owners, dtype=np.int64)
        hashes = np.concatenate(self._hashes).astype(np.int64)
        per_print = [len(values) for values in self._hashes]
        outlet_ids = np.repeat(owners[:, 0], per_print)
        article_ids = np.repeat(owners[:, 1], per_print)
        order = np.lexsort((article_ids, outlet_ids, hashes))
        postings = zip(hashes[order].tolist(), outlet_ids[order].tolist(), article_ids[order].tolist(), strict=True)
        band_keys = np.asarray([key for keys in self._keys for key in keys], dtype=np.int64)
        key_owners = np.repeat(owners[:, 1], [len(keys) for keys in self._keys])
        order = np.lexsort((key_owners, band_keys))
        bands = zip(band_keys[order].tolist(), key_owners[order].tolist(), strict=True)
        self._hashes.clear()
        self._keys.clear()
        self._owners.clear()
        return postings, bands

    def write(self, connection) -> None:
        added = sum(len(values) for values in self._hashes) + sum(len(keys) for keys in self._keys)
        postings, bands = self.take_rows()
        connection.executemany(
            "INSERT OR IGNORE INTO posting_recent (hash, outlet_id, article_id) VALUES (?, ?, ?)", postings
        )
        connection.executemany("INSERT OR IGNORE INTO band_recent (key, article_id) VALUES (?, ?)", bands)
        note_added(connection, added)


def _add_to_index(connection, article_id: int, outlet_id: int, print_: Storable) -> None:
    rows = IndexRows()
    rows.add(article_id, outlet_id, print_)
    rows.write(connection)


def _remove_from_index(connection, article: Article) -> None:
    row = ArticleFingerprint.get_or_none(ArticleFingerprint.article == article.id)
    if row is None:
        return
    old = Fingerprint.from_blobs(FingerprintParams.from_json(row.params.params_json), stored_blobs(row))
    # The rows are in either tier, depending on whether a merge has moved them.
    postings = [(int(value), article.outlet_id, article.id) for value in old.winnowed]
    bands = [(key, article.id) for key in old.band_keys]
    for tier in ("main", "recent"):
        connection.executemany(
            f"DELETE FROM posting_{tier} WHERE hash = ? AND outlet_id = ? AND article_id = ?", postings
        )
        connection.executemany(f"DELETE FROM band_{tier} WHERE key = ? AND article_id = ?", bands)
    row.delete_instance()


_FINGERPRINT_SQL = (
    "INSERT INTO fingerprint (article_id, params_id, shingles, spans, quoted, signature) VALUES (?, ?, ?, ?, ?, ?)"
)


def _fingerprint_row(article_id: int, params_row: int, print_: Storable) -> tuple:
    blobs = print_.to_blobs()
    return (article_id, params_row, blobs["shingles"], blobs["spans"], blobs["quoted"], blobs["signature"])


def _store_fingerprint(connection, article_id: int, params_row: int, print_: Storable) -> None:
    connection.execute(_FINGERPRINT_SQL, _fingerprint_row(article_id, params_row, print_))


def fingerprint_all(articles: list[ArticleInput], params: FingerprintParams) -> list[Fingerprint]:
    """Fingerprints for a batch, or a 422 naming the first article with no words."""
    prints = []
    for position, article in enumerate(articles):
        try:
            prints.append(fingerprint(article.text, params))
        except TextTooShort:
            where = f"articles[{position}]: " if len(articles) > 1 else ""
            raise ApiError(422, f"{where}'text' has no words to match") from None
    return prints


def _existing_by_url(connection, urls: list[str]) -> dict[str, tuple]:
    found = {}
    unique = list(dict.fromkeys(urls))
    for start in range(0, len(unique), 900):
        chunk = unique[start : start + 900]
        rows = connection.execute(
            "SELECT a.url, a.id, a.outlet_id, a.content_hash, a.title, a.published_at, a.author, f.params_id "
            "FROM article a LEFT JOIN fingerprint f ON f.article_id = a.id "
            f"WHERE a.url IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        for url, *rest in rows:
            found[url] = tuple(rest)
    return found


class NewArticles:
    """New articles of a batch, inserted together with ``executemany`` (one call per table, not two per article).

    Ids are given, not left to SQLite: the batch holds the write lock, so
    counting on from the highest id stored is safe, and each article's
    index rows need its id before the rows are written.
    """

    _ARTICLE_SQL = (
        "INSERT INTO article (id, url, outlet_id, title, published_at, first_seen_at, updated_at, text, "
        "content_hash, token_count, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def __init__(self, connection, params_row: int) -> None:
        self._connection = connection
        self._params_row = params_row
        self._next_id = connection.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM article").fetchone()[0]
        self._now = utc_now()
        self._articles: list[tuple] = []
        self._fingerprints: list[tuple] = []

    def add(self, article: ArticleInput, outlet_id: int, digest: str, print_: Storable) -> int:
        article_id = self._next_id
        self._next_id += 1
        self._articles.append(
            (
                article_id,
                article.url,
                outlet_id,
                article.title,
                article.published_at,
                self._now,
                self._now,
                article.text,
                digest,
                print_.token_count,
                article.author,
            )
        )
        self._fingerprints.append(_fingerprint_row(article_id, self._params_row, print_))
        return article_id

    def write(self) -> None:
        """Insert what was added; before anything reads or changes those articles, and at the batch's end."""
        if self._articles:
            self._connection.executemany(self._ARTICLE_SQL, self._articles)
            self._connection.executemany(_FINGERPRINT_SQL, self._fingerprints)
            self._articles.clear()
            self._fingerprints.clear()


def ingest(
    articles: list[ArticleInput], params: FingerprintParams, prints: list[Storable] | None = None
) -> list[IngestResult]:
    """Store a batch in one transaction; either every article is stored or none is.

    The path every new article takes is plain SQL on the connection: at bulk
    ingest rates the ORM's query building costs more than SQLite itself.
    """
    if prints is None:
        prints = fingerprint_all(articles, params)
    results = []
    outlets: dict[str, int] = {}
    # IMMEDIATE: take the write lock first (waiting up to busy_timeout). A
    # deferred transaction that reads, then writes, cannot wait: when another
    # process committed meanwhile, SQLite fails it at once with "database is
    # locked" (its snapshot is stale), whatever the busy timeout.
    with database.atomic("IMMEDIATE"):
        connection = database.connection()
        params_row = params_id(params)
        known = _existing_by_url(connection, [article.url for article in articles])
        index_rows = IndexRows()
        new_articles = NewArticles(connection, params_row)
        resolver = OutletResolver(connection)
        for article, print_ in zip(articles, prints, strict=True):
            digest = content_hash(article.text)
            outlet_id = _outlet_id(resolver.outlet_for(article.url, article.outlet), outlets)
            existing = known.get(article.url)
            if existing is None:
                article_id = new_articles.add(article, outlet_id, digest, print_)
                index_rows.add(article_id, outlet_id, print_)
                known[article.url] = (
                    article_id,
                    outlet_id,
                    digest,
                    article.title,
                    article.published_at,
                    article.author,
                    params_row,
                )
                results.append(IngestResult(article_id, article.url, "created"))
                continue
            # The stored article may be one this batch has not written yet (a
            # URL twice in one batch): write what waits before reading or
            # changing it.
            new_articles.write()
            article_id, stored_outlet, stored_hash, title, published_at, author, stored_params = existing
            same_text = stored_hash == digest
            metadata = (article.title, article.published_at, article.author)
            if same_text and stored_outlet == outlet_id and stored_params == params_row:
                if (title, published_at, author) != metadata:
                    connection.execute(
                        "UPDATE article SET title = ?, published_at = ?, author = ?, updated_at = ? WHERE id = ?",
                        (*metadata, utc_now(), article_id),
                    )
                known[article.url] = (article_id, outlet_id, digest, *metadata, params_row)
                results.append(IngestResult(article_id, article.url, "unchanged"))
                continue
            # Index rows still waiting may be this very article's: write them
            # before removing its old ones.
            index_rows.write(connection)
            stored = Article.get_by_id(article_id)
            if not same_text:
                keep_previous_version(connection, article_id)
            _remove_from_index(connection, stored)
            connection.execute(
                "UPDATE article SET outlet_id = ?, title = ?, published_at = ?, author = ?, text = ?, "
                "content_hash = ?, token_count = ?, updated_at = ? WHERE id = ?",
                (outlet_id, *metadata, article.text, digest, print_.token_count, utc_now(), article_id),
            )
            _store_fingerprint(connection, article_id, params_row, print_)
            index_rows.add(article_id, outlet_id, print_)
            known[article.url] = (article_id, outlet_id, digest, *metadata, params_row)
            results.append(IngestResult(article_id, article.url, "unchanged" if same_text else "updated"))
        new_articles.write()
        index_rows.write(connection)
    return results


def _has_params(article_id: int, params_row: int) -> bool:
    return (
        ArticleFingerprint.select()
        .where((ArticleFingerprint.article == article_id) & (ArticleFingerprint.params == params_row))
        .exists()
    )


def article_summary(article: Article) -> dict:
    return {
        "id": article.id,
        "url": article.url,
        "outlet": article.outlet.name,
        "title": article.title,
        "published_at": article.published_at,
    }


def article_detail(article: Article) -> dict:
    return {
        **article_summary(article),
        "author": article.author,
        "text": article.text,
        "first_seen_at": article.first_seen_at,
        "updated_at": article.updated_at,
        "content_hash": article.content_hash,
        "token_count": article.token_count,
    }


def stats(params: FingerprintParams) -> dict:
    page_count = database.execute_sql("PRAGMA page_count").fetchone()[0]
    page_size = database.execute_sql("PRAGMA page_size").fetchone()[0]
    first, last = database.execute_sql("SELECT MIN(published_at), MAX(published_at) FROM article").fetchone()
    connection = database.connection()
    return {
        "articles": Article.select().count(),
        "outlets": Outlet.select().count(),
        "fingerprint_params": params.key,
        "database_bytes": page_count * page_size,
        "published_from": first,
        "published_to": last,
        "search_waiting": waiting_articles(connection),
        "index_recent_rows": recent_rows(connection),
    }


def reindex(params: FingerprintParams, *, everything: bool = False, batch_size: int = 500) -> int:
    """Fingerprint again every article whose fingerprint was made with other parameters (or all).

    A deterministic rebuild from the stored texts: run it after changing the
    fingerprint parameters. Returns how many articles were re-fingerprinted.
    """
    params_row = params_id(params)
    done = 0
    last_id = 0
    while True:
        articles = list(Article.select().where(Article.id > last_id).order_by(Article.id).limit(batch_size))
        if not articles:
            return done
        last_id = articles[-1].id
        stale = [a for a in articles if everything or not _has_params(a.id, params_row)]
        prints = [fingerprint(a.text, params) for a in stale]
        with database.atomic("IMMEDIATE"):
            connection = database.connection()
            for article, print_ in zip(stale, prints, strict=True):
                _remove_from_index(connection, article)
                _store_fingerprint(connection, article.id, params_row, print_)
                _add_to_index(connection, article.id, article.outlet_id, print_)
        done += len(stale)
