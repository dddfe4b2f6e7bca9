"""The crawl: read the sources, record the article URLs they list, fetch what is due, store the articles.

All state lives in the database (``crawl_source``, ``crawl_url``), and each
step that changes it is one transaction: the URLs a source lists are
recorded together; a page's article and its URL's new state are committed
together. A crawl killed at any moment therefore resumes where it stopped:
URLs not yet recorded as done are fetched again, and storing an article is
idempotent by its URL, so nothing is stored twice and nothing is missed.

A page that calls another URL on the same site its own (an AMP copy, a
mobile page, a feed link with a different path) is recorded as an alias of
that URL, which is fetched in its place: one article per story per site,
whatever URL the crawl met it under.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

from fingerprints import TextTooShort, fingerprint

from .. import __version__
from ..db import database, utc_now
from ..errors import ApiError
from ..store import ingest
from ..validation import canonical_url, parse_article
from .canonical import same_site
from .discovery import MAX_UNPACKED_BYTES, DiscoveryError, discover
from .extract import decode_html, extract_article
from .fetch import Fetcher, FetchFailed, FetchPolicy
from .sources import Source

__all__ = ["CrawlOptions", "CrawlCounts", "Crawler", "user_agent", "log"]

log = logging.getLogger("wiretrace.crawl")

# What a final (not retryable) fetch failure leaves a URL as.
_FINAL_STATUS = {
    "gone": "gone",
    "robots": "skipped",
    "blocked": "skipped",
    "type": "skipped",
    "size": "skipped",
    "skipped": "skipped",
}


def user_agent(contact: str | None) -> str:
    return f"wiretrace/{__version__} (+{contact})" if contact else f"wiretrace/{__version__}"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class CrawlOptions:
    policy: FetchPolicy
    max_pages: int | None = None  # pages fetched per pass at most
    max_attempts: int = 5  # passes that may retry a URL after retryable failures
    revisit: float = 3600.0  # seconds before a URL a source lists again is fetched again (conditionally)
    retry_after: float = 300.0  # first wait before a failed URL is tried again on a later pass; doubled each time


@dataclass
class CrawlCounts:
    sources: int = 0
    source_errors: int = 0
    discovered: int = 0
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    not_modified: int = 0
    aliases: int = 0
    errors: int = 0
    failed_urls: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"{self.sources} sources read ({self.source_errors} failed), {self.discovered} new URLs, "
            f"{self.fetched} pages fetched: {self.created} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.not_modified} not modified, {self.aliases} copies of other URLs, {self.errors} errors"
        )


def _host_by_host(rows: list[tuple]) -> list[tuple]:
    """``rows`` reordered to take hosts in turn: one host's delay then passes while others are fetched."""
    by_host: dict[str, list[tuple]] = {}
    for row in rows:
        by_host.setdefault(urlsplit(row[1]).netloc, []).append(row)
    queues = list(by_host.values())
    ordered = []
    for turn in range(max(len(queue) for queue in queues)):
        ordered.extend(queue[turn] for queue in queues if turn < len(queue))
    return ordered


class Crawler:
    """One crawl over one database; ``run_pass`` does a whole pass and can be called again to poll."""

    def __init__(self, app, options: CrawlOptions, *, on_progress=None) -> None:
        self.app = app
        self.options = options
        self.params = app.extensions["wiretrace"].params
        self.max_text_bytes = app.config["MAX_TEXT_BYTES"]
        self._on_progress = on_progress or (lambda counts: None)

    # -- sources ----------------------------------------------------------

    def _register(self, sources: list[Source]) -> None:
        with database.atomic("IMMEDIATE"):
            for source in sources:
                database.execute_sql(
                    "INSERT INTO crawl_source (url, outlet) VALUES (?, ?) "
                    "ON CONFLICT(url) DO UPDATE SET outlet = excluded.outlet, parent = NULL",
                    (source.url, source.outlet),
                )

    def _read_source(self, fetcher: Fetcher, url: str, counts: CrawlCounts, queue: list[str]) -> None:
        row = database.execute_sql(
            "SELECT id, outlet, etag, last_modified FROM crawl_source WHERE url = ?", (url,)
        ).fetchone()
        source_id, outlet, etag, last_modified = row
        counts.sources += 1
        try:
            page = fetcher.fetch(url, etag=etag, last_modified=last_modified, accept=None, max_bytes=MAX_UNPACKED_BYTES)
            if page.not_modified:
                log.info("source %s: not modified since the last pass", url)
                found = None
            else:
                found = discover(page.body)
        except (FetchFailed, DiscoveryError) as failure:
            counts.source_errors += 1
            log.warning("source %s failed: %s", url, failure)
            with database.atomic("IMMEDIATE"):
                database.execute_sql(
                    "UPDATE crawl_source SET last_error = ?, fetched_at = ? WHERE id = ?",
                    (str(failure), utc_now(), source_id),
                )
            return
        threshold = _iso(datetime.now(UTC) - timedelta(seconds=self.options.revisit))
        new = 0
        with database.atomic("IMMEDIATE"):
            if found is not None:
                for child in found.sitemaps:
                    try:
                        child = canonical_url(urljoin(url, child))
                    except ApiError as error:
                        log.warning("source %s lists a bad sitemap URL %r: %s", url, child, error.message)
                        continue
                    database.execute_sql(
                        "INSERT INTO crawl_source (url, outlet, parent) VALUES (?, ?, ?) ON CONFLICT(url) DO NOTHING",
                        (child, outlet, url),
                    )
                    queue.append(child)
                for item in found.articles:
                    new += self._record_url(item, source_id, outlet, threshold, url)
            database.execute_sql(
                "UPDATE crawl_source SET kind = COALESCE(?, kind), etag = ?, last_modified = ?, fetched_at = ?, "
                "last_error = NULL WHERE id = ?",
                (
                    found.kind if found else None,
                    page.etag or etag,
                    page.last_modified or last_modified,
                    utc_now(),
                    source_id,
                ),
            )
        counts.discovered += new
        if found is not None:
            log.info("source %s (%s): %d URLs listed, %d new", url, found.kind, len(found.articles), new)

    def _record_url(self, item, source_id: int, outlet: str | None, threshold: str, source_url: str) -> int:
        try:
            # Feeds in the wild carry relative links; they are relative to the feed.
            url = canonical_url(urljoin(source_url, item.url))
        except ApiError as error:
            log.warning("source %s lists a bad URL %r: %s", source_url, item.url, error.message)
            return 0
        row = database.execute_sql("SELECT status, alias_of, lastmod FROM crawl_url WHERE url = ?", (url,)).fetchone()
        if row is None:
            database.execute_sql(
                "INSERT INTO crawl_url (url, source_id, outlet, status, title_hint, published_hint, lastmod, attempts, "
                "discovered_at) VALUES (?, ?, ?, 'pending', ?, ?, ?, 0, ?)",
                (url, source_id, outlet, item.title, item.published_at, item.lastmod, utc_now()),
            )
            return 1
        status, alias_of, lastmod = row
        # Listed again: fetch it again (conditionally) when the listing says it changed or it is due a revisit.
        changed = item.lastmod is not None and item.lastmod != lastmod
        database.execute_sql(
            "UPDATE crawl_url SET lastmod = COALESCE(?, lastmod), title_hint = COALESCE(?, title_hint), "
            "published_hint = COALESCE(?, published_hint) WHERE url = ?",
            (item.lastmod, item.title, item.published_at, url),
        )
        target = alias_of if status == "alias" and alias_of else url
        database.execute_sql(
            "UPDATE crawl_url SET status = 'pending' WHERE url = ? AND status = 'done' AND (fetched_at IS NULL "
            "OR fetched_at <= ? OR ?)",
            (target, threshold, changed),
        )
        return 0

    # -- pages ------------------------------------------------------------

    def _due(self, limit: int) -> list[tuple]:
        return database.execute_sql(
            "SELECT id, url, outlet, source_id, title_hint, published_hint, etag, last_modified, attempts "
            "FROM crawl_url WHERE status = 'pending' OR (status = 'failed' AND attempts < ? AND next_attempt_at <= ?) "
            "ORDER BY id LIMIT ?",
            (self.options.max_attempts, utc_now(), limit),
        ).fetchall()

    def _set_state(self, row_id: int, **values) -> None:
        names = ", ".join(f"{name} = ?" for name in values)
        database.execute_sql(f"UPDATE crawl_url SET {names} WHERE id = ?", (*values.values(), row_id))

    def _failed(self, row, failure: FetchFailed, counts: CrawlCounts) -> None:
        row_id, url, *_rest, attempts = row
        counts.errors += 1
        counts.failed_urls.append(url)
        if failure.retryable:
            attempts += 1
            wait = self.options.retry_after * 2 ** (attempts - 1)
            again = _iso(datetime.now(UTC) + timedelta(seconds=wait))
            final = attempts >= self.options.max_attempts
            log.warning(
                "page %s failed: %s (attempt %d of %d%s)",
                url,
                failure.reason,
                attempts,
                self.options.max_attempts,
                "; giving up" if final else f"; next try after {again}",
            )
            with database.atomic("IMMEDIATE"):
                self._set_state(
                    row_id,
                    status="failed",
                    attempts=attempts,
                    next_attempt_at=again,
                    last_error=failure.reason,
                    fetched_at=utc_now(),
                )
            return
        status = _FINAL_STATUS.get(failure.kind, "failed")
        log.warning("page %s %s: %s", url, "skipped" if status == "skipped" else status, failure.reason)
        with database.atomic("IMMEDIATE"):
            self._set_state(
                row_id,
                status=status,
                attempts=self.options.max_attempts if status == "failed" else attempts,
                last_error=failure.reason,
                fetched_at=utc_now(),
            )

    def _skip(self, row, reason: str, counts: CrawlCounts) -> None:
        self._failed(row, FetchFailed(reason, kind="skipped"), counts)

    def _visit(self, fetcher: Fetcher, row, counts: CrawlCounts) -> None:
        row_id, url, outlet, source_id, title_hint, published_hint, etag, last_modified, _attempts = row
        try:
            page = fetcher.fetch(url, etag=etag, last_modified=last_modified)
        except FetchFailed as failure:
            self._failed(row, failure, counts)
            return
        counts.fetched += 1
        if page.not_modified:
            counts.not_modified += 1
            log.info("page %s: not modified", url)
            with database.atomic("IMMEDIATE"):
                self._set_state(row_id, status="done", fetched_at=utc_now(), attempts=0, last_error=None)
            return
        extracted = extract_article(decode_html(page.body, page.charset), page.url)
        if extracted is None:
            self._skip(row, "no article text found on the page", counts)
            return
        final_url = canonical_url(page.url)
        if page.redirected_from:
            log.info("page %s redirected to %s", url, final_url)
        home = final_url
        if extracted.canonical_url and same_site(extracted.canonical_url, final_url):
            home = extracted.canonical_url
        elif extracted.canonical_url:
            log.info(
                "page %s names a canonical URL on another site (%s): stored under its own URL",
                url,
                extracted.canonical_url,
            )
        if home != final_url:
            self._alias(row, home, extracted.is_amp, counts)
            return
        self._store(row, home, page, extracted, counts)

    def _alias(self, row, home: str, is_amp: bool, counts: CrawlCounts) -> None:
        row_id, url, outlet, source_id, title_hint, published_hint, *_rest = row
        counts.aliases += 1
        log.info("page %s is %s of %s: fetching that instead", url, "the AMP copy" if is_amp else "a copy", home)
        with database.atomic("IMMEDIATE"):
            database.execute_sql(
                "INSERT INTO crawl_url (url, source_id, outlet, status, title_hint, published_hint, attempts, "
                "discovered_at) VALUES (?, ?, ?, 'pending', ?, ?, 0, ?) ON CONFLICT(url) DO NOTHING",
                (home, source_id, outlet, title_hint, published_hint, utc_now()),
            )
            self._set_state(row_id, status="alias", alias_of=home, fetched_at=utc_now(), attempts=0, last_error=None)

    def _store(self, row, home: str, page, extracted, counts: CrawlCounts) -> None:
        row_id, url, outlet, _source, title_hint, published_hint, *_rest = row
        payload = {
            "url": home,
            "text": extracted.text,
            "title": extracted.title or title_hint,
            # A redirect to another site is that site's article.
            "outlet": outlet if same_site(home, url) else None,
            "published_at": extracted.published_at or published_hint,
            "author": extracted.author,
        }
        try:
            try:
                article = parse_article(payload, self.max_text_bytes)
            except ApiError as error:
                if "published_at" not in error.message:
                    raise
                article = parse_article({**payload, "published_at": None}, self.max_text_bytes)
            print_ = fingerprint(article.text, self.params)
        except ApiError as error:
            self._skip(row, f"not stored: {error.message}", counts)
            return
        except TextTooShort:
            self._skip(row, "not stored: the extracted text has no words to match", counts)
            return
        with database.atomic("IMMEDIATE"):
            result = ingest([article], self.params, [print_])[0]
            self._set_state(
                row_id,
                status="done",
                etag=page.etag,
                last_modified=page.last_modified,
                fetched_at=utc_now(),
                attempts=0,
                last_error=None,
                next_attempt_at=None,
                article_id=result.id,
            )
        setattr(counts, result.status, getattr(counts, result.status) + 1)
        log.info("page %s: %s article %d (%s)", url, result.status, result.id, result.url)

    # -- a pass -----------------------------------------------------------

    def run_pass(self, sources: list[Source]) -> CrawlCounts:
        counts = CrawlCounts()
        with database.connection_context(), Fetcher(self.options.policy) as fetcher:
            self._register(sources)
            queue = [source.url for source in sources]
            seen: set[str] = set()
            while queue:
                url = queue.pop(0)
                if url in seen:
                    continue
                seen.add(url)
                self._read_source(fetcher, url, counts, queue)
                self._on_progress(counts)
            budget = self.options.max_pages
            while budget is None or budget > 0:
                rows = self._due(200 if budget is None else min(200, budget))
                if not rows:
                    break
                for row in _host_by_host(rows):
                    self._visit(fetcher, row, counts)
                    self._on_progress(counts)
                if budget is not None:
                    budget -= len(rows)
        return counts
