"""Same-outlet versions: an article updated in place keeps its earlier texts.

When a stored article's text changes (the outlet corrected or extended it,
or the crawler fetched it again), the text it had is copied into
``article_version`` inside the transaction that replaces it, so the history
and the article can never disagree. The article row always holds the
current text; versions hold the earlier ones, newest first.
"""

from __future__ import annotations

from .db import ArticleVersion, utc_now
from .listing import until_bound

__all__ = ["keep_previous_version", "version_summary", "list_versions"]


def keep_previous_version(connection, article_id: int) -> None:
    """Copy the article's current text into its history; call inside the transaction that replaces it."""
    connection.execute(
        "INSERT INTO article_version (article_id, title, published_at, text, content_hash, token_count, stored_at, "
        "replaced_at) SELECT id, title, published_at, text, content_hash, token_count, updated_at, ? "
        "FROM article WHERE id = ?",
        (utc_now(), article_id),
    )


def version_summary(version: ArticleVersion) -> dict:
    return {
        "id": version.id,
        "title": version.title,
        "published_at": version.published_at,
        "text": version.text,
        "content_hash": version.content_hash,
        "token_count": version.token_count,
        "stored_at": version.stored_at,
        "replaced_at": version.replaced_at,
    }


def list_versions(article_id: int, *, limit: int, before_id: int | None, since: str | None, until: str | None):
    """Up to ``limit`` earlier versions of an article, newest first, and whether more follow."""
    query = ArticleVersion.select().where(ArticleVersion.article == article_id)
    if before_id is not None:
        query = query.where(ArticleVersion.id < before_id)
    if since is not None:
        query = query.where(ArticleVersion.replaced_at >= since)
    if until is not None:
        query = query.where(ArticleVersion.replaced_at <= until_bound(until))
    rows = list(query.order_by(ArticleVersion.id.desc()).limit(limit + 1))
    return [version_summary(row) for row in rows[:limit]], len(rows) > limit
