"""Fetching pages politely: robots.txt, a per-host delay, conditional GET, retries, timeouts and a size cap.

One :class:`Fetcher` per crawl. It keeps, per host, the robots.txt rules
(fetched once, RFC 9309: a 4xx answer means no rules, a 5xx or no answer
means stay away for now) and the time the host may next be asked for a
page (the crawl's delay, or the host's ``Crawl-delay`` when longer).
Redirects are followed one hop at a time, so each hop goes through the
address guard and robots.txt of its own host. 429 and 5xx answers,
timeouts and dropped connections are retried with exponential backoff and
jitter, honouring ``Retry-After``; other 4xx answers are final.
"""

from __future__ import annotations

import email.utils
import random
import time
import urllib.robotparser
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ..netguard import BlockedAddress, check_url, guarded_transport

__all__ = ["FetchPolicy", "Page", "FetchFailed", "Fetcher", "HTML_TYPES", "FEED_TYPES"]

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Feeds and sitemaps come with every content type imaginable; only the
# obviously wrong ones are refused.
FEED_TYPES = None
ROBOTS_MAX_BYTES = 512 * 1024
RETRY_AFTER_CAP = 120.0
# The product token robots.txt rules are matched against (RFC 9309 2.2.1).
ROBOTS_AGENT = "wiretrace"


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str
    delay: float = 1.0  # seconds between two requests to one host
    timeout: float = 20.0  # connect and read timeout, and the whole transfer's limit
    retries: int = 2  # further attempts after a retryable failure
    backoff: float = 1.0  # the first retry's wait in seconds; doubled at each attempt
    max_bytes: int = 5 * 1024 * 1024
    max_redirects: int = 5


@dataclass(frozen=True)
class Page:
    url: str  # after redirects
    status: int
    body: bytes
    content_type: str
    charset: str | None
    etag: str | None
    last_modified: str | None
    redirected_from: str | None = None
    location: str | None = None  # a redirect's target, as sent

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchFailed(Exception):
    """A URL that could not be fetched; ``retryable`` failures may succeed on a later pass."""

    def __init__(
        self,
        reason: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        kind: str = "error",
        retry_after: float | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retryable = retryable
        self.kind = kind  # "error" | "gone" | "robots" | "blocked" | "type" | "size" | "skipped"
        self.retry_after = retry_after  # seconds the server asked us to wait (Retry-After)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return min(float(value), RETRY_AFTER_CAP)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, min(when.timestamp() - time.time(), RETRY_AFTER_CAP))


class Fetcher:
    def __init__(self, policy: FetchPolicy, *, sleep=time.sleep, clock=time.monotonic) -> None:
        self.policy = policy
        self._sleep = sleep
        self._clock = clock
        self._next_slot: dict[str, float] = {}
        self._robots: dict[str, urllib.robotparser.RobotFileParser | bool] = {}
        self._client = httpx.Client(
            transport=guarded_transport(),
            timeout=httpx.Timeout(policy.timeout, connect=min(policy.timeout, 10.0)),
            headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate"},
            follow_redirects=False,
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # -- politeness -------------------------------------------------------

    def _wait_for(self, host: str) -> None:
        now = self._clock()
        slot = self._next_slot.get(host, now)
        if slot > now:
            self._sleep(slot - now)
        delay = self.policy.delay
        rules = self._robots.get(host)
        if isinstance(rules, urllib.robotparser.RobotFileParser):
            delay = max(delay, float(rules.crawl_delay(ROBOTS_AGENT) or 0))
        self._next_slot[host] = self._clock() + delay

    def _robots_for(self, url: str) -> urllib.robotparser.RobotFileParser | bool:
        parts = urlsplit(url)
        host = parts.netloc.lower()
        if host in self._robots:
            return self._robots[host]
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        rules: urllib.robotparser.RobotFileParser | bool
        try:
            page = self._get(robots_url, {}, None, ROBOTS_MAX_BYTES)
        except FetchFailed as failure:
            if failure.kind == "blocked":
                raise
            # RFC 9309 2.3.1: robots.txt "unavailable" (4xx) means no rules;
            # "unreachable" (5xx, no answer) means assume everything is off limits.
            rules = failure.status is not None and 400 <= failure.status < 500
        else:
            if 300 <= page.status < 400:
                rules = True  # a robots.txt redirected away: treat as none (checked at each hop anyway)
            else:
                rules = urllib.robotparser.RobotFileParser(robots_url)
                rules.parse(page.body.decode("utf-8", "replace").splitlines())
        self._robots[host] = rules
        return rules

    def allowed_by_robots(self, url: str) -> bool:
        rules = self._robots_for(url)
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(ROBOTS_AGENT, url)

    # -- one request ------------------------------------------------------

    def _get(self, url: str, headers: dict, accept: tuple[str, ...] | None, max_bytes: int) -> Page:
        """One GET of one URL (no redirects followed), with retries; raises :class:`FetchFailed`."""
        try:
            check_url(url)
        except BlockedAddress as error:
            raise FetchFailed(f"refused: {error}", kind="blocked") from None
        host = urlsplit(url).netloc.lower()
        attempt = 0
        while True:
            self._wait_for(host)
            try:
                return self._get_once(url, headers, accept, max_bytes)
            except FetchFailed as failure:
                if not failure.retryable or attempt >= self.policy.retries:
                    raise
                wait = failure.retry_after
                if wait is None:
                    wait = self.policy.backoff * 2**attempt * (1 + random.random() / 2)
                attempt += 1
                self._sleep(wait)

    def _get_once(self, url: str, headers: dict, accept: tuple[str, ...] | None, max_bytes: int) -> Page:
        started = self._clock()
        try:
            with self._client.stream("GET", url, headers=headers) as response:
                status = response.status_code
                if status == 304 or 300 <= status < 400:
                    return self._page(url, response, b"")
                if status == 429 or status >= 500:
                    wait = _retry_after(response.headers.get("retry-after"))
                    raise FetchFailed(f"HTTP {status}", status=status, retryable=True, retry_after=wait)
                if status in (404, 410):
                    raise FetchFailed(f"HTTP {status} (gone)", status=status, kind="gone")
                if status >= 400:
                    raise FetchFailed(f"HTTP {status}", status=status)
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                if accept is not None and content_type not in accept:
                    raise FetchFailed(f"not an HTML page (Content-Type {content_type or 'missing'})", kind="type")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise FetchFailed(f"larger than the limit of {max_bytes} bytes ({declared} declared)", kind="size")
                body = bytearray()
                for chunk in response.iter_bytes():
                    body.extend(chunk)
                    if len(body) > max_bytes:
                        raise FetchFailed(f"larger than the limit of {max_bytes} bytes", kind="size")
                    if self._clock() - started > self.policy.timeout:
                        raise FetchFailed(f"timed out: transfer took over {self.policy.timeout:g} s", retryable=True)
                return self._page(url, response, bytes(body))
        except httpx.TimeoutException:
            raise FetchFailed(f"timed out after {self.policy.timeout:g} s", retryable=True) from None
        except httpx.ConnectError as error:
            if "not a public address" in str(error):
                raise FetchFailed(f"refused: {error}", kind="blocked") from None
            raise FetchFailed(f"cannot connect: {error}", retryable=True) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.DecodingError) as error:
            raise FetchFailed(f"connection failed: {error}", retryable=True) from None

    @staticmethod
    def _page(url: str, response: httpx.Response, body: bytes) -> Page:
        content_type = response.headers.get("content-type", "")
        return Page(
            url=url,
            status=response.status_code,
            body=body,
            content_type=content_type.split(";")[0].strip().lower(),
            charset=response.charset_encoding,
            etag=response.headers.get("etag"),
            last_modified=response.headers.get("last-modified"),
            location=response.headers.get("location"),
        )

    # -- the public call --------------------------------------------------

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: tuple[str, ...] | None = HTML_TYPES,
        max_bytes: int | None = None,
    ) -> Page:
        """GET ``url`` following redirects, conditionally when ``etag``/``last_modified`` are known.

        A 304 answer comes back as a :class:`Page` with ``not_modified``.
        """
        conditional = {}
        if etag:
            conditional["If-None-Match"] = etag
        if last_modified:
            conditional["If-Modified-Since"] = last_modified
        current = url
        for _hop in range(self.policy.max_redirects + 1):
            try:
                check_url(current)
            except BlockedAddress as error:
                raise FetchFailed(f"refused: {error}", kind="blocked") from None
            if not self.allowed_by_robots(current):
                raise FetchFailed(f"robots.txt disallows {current}", kind="robots")
            headers = conditional if current == url else {}
            page = self._get(current, headers, accept, max_bytes or self.policy.max_bytes)
            if page.status == 304 or not 300 <= page.status < 400:
                if current != url:
                    page = Page(**{**page.__dict__, "redirected_from": url})
                return page
            if not page.location:
                raise FetchFailed(f"HTTP {page.status} redirect without a Location header", status=page.status)
            current = urljoin(current, page.location.strip())
            if urlsplit(current).scheme not in ("http", "https"):
                raise FetchFailed(f"redirected to a URL that is not http(s): {current}", status=page.status)
        raise FetchFailed(f"more than {self.policy.max_redirects} redirects")
