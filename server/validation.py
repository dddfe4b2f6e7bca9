"""Checking what clients send: one definition of a valid article and match request.

The HTTP API and the CLI both go through these functions, so a line of an
ingest file and an API request are held to the same rules and get the same
messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from .errors import ApiError

__all__ = [
    "ArticleInput",
    "MatchRequest",
    "parse_article",
    "parse_articles_body",
    "parse_match_body",
    "canonical_url",
    "default_outlet",
    "parse_published_at",
    "MAX_BATCH",
    "MAX_LIMIT",
]

MAX_BATCH = 1000
MAX_LIMIT = 200
DEFAULT_LIMIT = 20

# Query parameters that only say how a reader arrived; two URLs that differ
# only in these are the same article.
_TRACKING_PARAMETERS = {"fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "smid", "guccounter"}


@dataclass(frozen=True)
class ArticleInput:
    url: str
    text: str
    title: str | None
    outlet: str
    published_at: str | None


@dataclass(frozen=True)
class MatchRequest:
    text: str
    url: str | None
    title: str | None
    limit: int


def canonical_url(value: object, field: str = "url") -> str:
    """The canonical form of an http(s) URL, or an :class:`ApiError` saying what is wrong."""
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"'{field}' must be a non-empty string")
    value = value.strip()
    if len(value) > 4096:
        raise ApiError(400, f"'{field}' is longer than 4096 characters")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        raise ApiError(400, f"'{field}' is not a valid URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ApiError(400, f"'{field}' must be an http or https URL")
    host = (parts.hostname or "").lower()
    if not host:
        raise ApiError(400, f"'{field}' has no host")
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        host = f"{host}:{port}"
    query = [
        (name, item)
        for name, item in parse_qsl(parts.query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in _TRACKING_PARAMETERS
    ]
    path = parts.path or "/"
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def default_outlet(url: str) -> str:
    """The outlet of an article when none is given: its host without ``www.``."""
    host = urlsplit(url).hostname or ""
    return host[4:] if host.startswith("www.") else host


def parse_published_at(value: object) -> str | None:
    """An ISO 8601 date or datetime, stored as ``YYYY-MM-DD`` or a UTC ``...Z`` timestamp."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ApiError(400, "'published_at' must be an ISO 8601 date or datetime string")
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ApiError(400, f"'published_at' is not an ISO 8601 date or datetime: {value[:40]!r}") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    # Naive times are taken as UTC: feeds that omit the zone mostly mean it.
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _optional_string(payload: dict, field: str, max_length: int = 1000) -> str | None:
    value = payload.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"'{field}' must be a string")
    value = value.strip()
    if len(value) > max_length:
        raise ApiError(400, f"'{field}' is longer than {max_length} characters")
    return value or None


def _text(payload: dict, max_bytes: int) -> str:
    if "text" not in payload:
        raise ApiError(400, "'text' is required")
    text = payload["text"]
    if not isinstance(text, str):
        raise ApiError(400, "'text' must be a string")
    if not text.strip():
        raise ApiError(400, "'text' must not be empty")
    if len(text) > max_bytes:
        raise ApiError(413, f"'text' is larger than the limit of {max_bytes} bytes")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise ApiError(400, "'text' contains unpaired surrogates (not valid Unicode)") from None
    if size > max_bytes:
        raise ApiError(413, f"'text' is larger than the limit of {max_bytes} bytes")
    return text


def parse_article(payload: object, max_text_bytes: int) -> ArticleInput:
    """One ARTICLE object, checked."""
    if not isinstance(payload, dict):
        raise ApiError(400, "an article must be a JSON object")
    if "url" not in payload:
        raise ApiError(400, "'url' is required")
    url = canonical_url(payload["url"])
    text = _text(payload, max_text_bytes)
    outlet = _optional_string(payload, "outlet", 200) or default_outlet(url)
    return ArticleInput(
        url=url,
        text=text,
        title=_optional_string(payload, "title"),
        outlet=outlet.lower(),
        published_at=parse_published_at(payload.get("published_at")),
    )


def parse_articles_body(body: object, max_text_bytes: int) -> list[ArticleInput]:
    """``{"articles": [ARTICLE, ...]}`` or a single ARTICLE; every article is checked before any is stored."""
    if isinstance(body, dict) and "articles" in body:
        items = body["articles"]
        if not isinstance(items, list):
            raise ApiError(400, "'articles' must be a list")
        if not items:
            raise ApiError(400, "'articles' must hold at least one article")
        if len(items) > MAX_BATCH:
            raise ApiError(413, f"a batch holds at most {MAX_BATCH} articles, got {len(items)}")
    elif isinstance(body, dict):
        items = [body]
    else:
        raise ApiError(400, "the body must be a JSON object")
    parsed = []
    for position, item in enumerate(items):
        try:
            parsed.append(parse_article(item, max_text_bytes))
        except ApiError as error:
            if len(items) == 1:
                raise
            raise ApiError(error.status, f"articles[{position}]: {error.message}") from None
    return parsed


def parse_match_body(body: object, max_text_bytes: int) -> MatchRequest:
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    text = _text(body, max_text_bytes)
    url = canonical_url(body["url"]) if body.get("url") not in (None, "") else None
    limit = body.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int):
        raise ApiError(400, "'limit' must be an integer")
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, f"'limit' must be between 1 and {MAX_LIMIT}")
    return MatchRequest(text=text, url=url, title=_optional_string(body, "title"), limit=limit)
