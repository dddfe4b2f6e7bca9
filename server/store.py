"""Storing articles and keeping the index in step with them.

An article, its fingerprint and its index rows are written in one
transaction: a reader either sees all of them or none. Fingerprints are
computed before the transaction opens, so concurrent writers hold the
database lock only for the inserts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from fingerprints import Fingerprint, FingerprintParams, TextTooShort, fingerprint

from .db import Article, ArticleFingerprint, Outlet, ParamsRecord, database, utc_now
from .errors import ApiError
from .validation import ArticleInput

__all__ = ["ingest", "params_id", "load_fingerprint", "article_summary", "article_detail", "stats", "IngestResult"]


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
        cache[name] = Outlet.get_or_create(name=name)[0].id
    return cache[name]


def load_fingerprint(article_id: int, params: FingerprintParams) -> Fingerprint | None:
    row = ArticleFingerprint.get_or_none(ArticleFingerprint.article == article_id)
    if row is None or row.params.key != params.key:
        return None
    return Fingerprint.from_blobs(params, stored_blobs(row))


def stored_blobs(row: ArticleFingerprint) -> dict[str, bytes]:
    return {"shingles": row.shingles, "spans": row.spans, "quoted": row.quoted, "signature": row.signature}


def _add_to_index(connection, article_id: int, outlet_id: int, print_: Fingerprint) -> None:
    connection.executemany(
        "INSERT OR IGNORE INTO posting (hash, outlet_id, article_id) VALUES (?, ?, ?)",
        [(int(value), outlet_id, article_id) for value in print_.winnowed],
    )
    connection.executemany(
        "INSERT OR IGNORE INTO band (key, article_id) VALUES (?, ?)",
        [(key, article_id) for key in print_.band_keys],
    )


def _remove_from_index(connection, article: Article) -> None:
    row = ArticleFingerprint.get_or_none(ArticleFingerprint.article == article.id)
    if row is None:
        return
    old = Fingerprint.from_blobs(FingerprintParams.from_json(row.params.params_json), stored_blobs(row))
    connection.executemany(
        "DELETE FROM posting WHERE hash = ? AND outlet_id = ? AND article_id = ?",
        [(int(value), article.outlet_id, article.id) for value in old.winnowed],
    )
    connection.executemany(
        "DELETE FROM band WHERE key = ? AND article_id = ?", [(key, article.id) for key in old.band_keys]
    )
    row.delete_instance()


def _store_fingerprint(article_id: int, params_row: int, print_: Fingerprint) -> None:
    blobs = print_.to_blobs()
    ArticleFingerprint.insert(
        article=article_id,
        params=params_row,
        sketch_key=int(print_.signature[0]),
        **blobs,
    ).execute()


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


def ingest(
    articles: list[ArticleInput], params: FingerprintParams, prints: list[Fingerprint] | None = None
) -> list[IngestResult]:
    """Store a batch in one transaction; either every article is stored or none is."""
    if prints is None:
        prints = fingerprint_all(articles, params)
    results = []
    outlets: dict[str, int] = {}
    with database.atomic():
        connection = database.connection()
        params_row = params_id(params)
        for article, print_ in zip(articles, prints, strict=True):
            digest = content_hash(article.text)
            outlet_id = _outlet_id(article.outlet, outlets)
            existing = Article.get_or_none(Article.url == article.url)
            if existing is None:
                stored = Article.create(
                    url=article.url,
                    outlet=outlet_id,
                    title=article.title,
                    published_at=article.published_at,
                    text=article.text,
                    content_hash=digest,
                    token_count=print_.token_count,
                )
                _store_fingerprint(stored.id, params_row, print_)
                _add_to_index(connection, stored.id, outlet_id, print_)
                results.append(IngestResult(stored.id, article.url, "created"))
                continue
            same_text = existing.content_hash == digest
            indexed_alike = same_text and existing.outlet_id == outlet_id and _has_params(existing.id, params_row)
            metadata_changed = (existing.title, existing.published_at) != (article.title, article.published_at)
            if indexed_alike:
                if metadata_changed:
                    existing.title = article.title
                    existing.published_at = article.published_at
                    existing.updated_at = utc_now()
                    existing.save()
                results.append(IngestResult(existing.id, article.url, "unchanged"))
                continue
            _remove_from_index(connection, existing)
            existing.outlet = outlet_id
            existing.title = article.title
            existing.published_at = article.published_at
            existing.text = article.text
            existing.content_hash = digest
            existing.token_count = print_.token_count
            existing.updated_at = utc_now()
            existing.save()
            _store_fingerprint(existing.id, params_row, print_)
            _add_to_index(connection, existing.id, outlet_id, print_)
            results.append(IngestResult(existing.id, article.url, "unchanged" if same_text else "updated"))
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
    return {
        "articles": Article.select().count(),
        "outlets": Outlet.select().count(),
        "fingerprint_params": params.key,
        "database_bytes": page_count * page_size,
        "published_from": first,
        "published_to": last,
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
        with database.atomic():
            connection = database.connection()
            for article, print_ in zip(stale, prints, strict=True):
                _remove_from_index(connection, article)
                _store_fingerprint(article.id, params_row, print_)
                _add_to_index(connection, article.id, article.outlet_id, print_)
        done += len(stale)
