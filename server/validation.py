"""Checking what clients send: one definition of a valid article and match request.

The shapes are the pydantic models of :mod:`server.schemas` (the same ones
the OpenAPI document is made from); this module turns their errors into the
API's messages and adds the checks a type cannot express.

The HTTP API and the CLI both go through these functions, so a line of an
ingest file and an API request are held to the same rules and get the same
messages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ValidationError

from .errors import ApiError
from .schemas import DEFAULT_LIMIT, MAX_BATCH, MAX_LIMIT, MAX_URL_LENGTH, ArticleBody, ArticlesBatchBody, MatchBody

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
    "DEFAULT_LIMIT",
]

# Query parameters that only say how a reader arrived; two URLs that differ
# only in these are the same article.
_TRACKING_PARAMETERS = {"fbclid", "gclid", "mc_cid", "mc_eid", "ocid", "cmpid", "smid", "guccounter"}


_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class ArticleInput:
    url: str
    text: str
    title: str | None
    outlet: str
    published_at: str | None
    author: str | None = None


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
    if len(value) > MAX_URL_LENGTH:
        raise ApiError(400, f"'{field}' is longer than {MAX_URL_LENGTH} characters")
    if _CONTROL_RE.search(value):
        # urlsplit would drop tabs and newlines silently and keep a NUL.
        raise ApiError(400, f"'{field}' contains control characters")
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


def _field(location: tuple) -> tuple[int | None, str | None]:
    """(batch position, field name) of a pydantic error location."""
    position = None
    if len(location) >= 2 and location[0] == "articles" and isinstance(location[1], int):
        position, location = location[1], location[2:]
    field = next((part for part in location if isinstance(part, str)), None)
    return position, field


def _message(error: dict, field: str | None, whole: str) -> ApiError:
    """One pydantic error as the message this API has always given for it."""
    kind = error["type"]
    if field is None:
        return ApiError(400, f"{whole} must be a JSON object")
    if kind == "missing":
        return ApiError(400, f"'{field}' is required")
    if field == "articles":
        if kind == "too_short":
            return ApiError(400, "'articles' must hold at least one article")
        if kind == "too_long":
            return ApiError(413, f"a batch holds at most {MAX_BATCH} articles, got {error['ctx']['actual_length']}")
        return ApiError(400, "'articles' must be a list")
    if field == "limit":
        if kind in ("greater_than_equal", "less_than_equal"):
            return ApiError(400, f"'limit' must be between 1 and {MAX_LIMIT}")
        return ApiError(400, "'limit' must be an integer")
    if kind == "string_unicode":
        return ApiError(400, f"'{field}' contains unpaired surrogates (not valid Unicode)")
    if kind == "string_too_long":
        return ApiError(400, f"'{field}' is longer than {error['ctx']['max_length']} characters")
    if field == "url":
        return ApiError(400, "'url' must be a non-empty string")
    if field == "text" and kind == "string_too_short":
        return ApiError(400, "'text' must not be empty")
    if field == "published_at":
        return ApiError(400, "'published_at' must be an ISO 8601 date or datetime string")
    return ApiError(400, f"'{field}' must be a string")


def _validate(model: type[BaseModel], body: object, whole: str):
    """``body`` as ``model``, or the :class:`ApiError` for its first problem (batch size before articles)."""
    try:
        return model.model_validate(body)
    except ValidationError as invalid:
        errors = invalid.errors(include_url=False, include_input=False)
        first = next((e for e in errors if e["loc"] == ("articles",)), errors[0])
        position, field = _field(first["loc"])
        error = _message(first, field, "an article" if position is not None else whole)
        if position is not None and len(body["articles"]) > 1:
            raise ApiError(error.status, f"articles[{position}]: {error.message}") from None
        raise error from None


def _text(text: str, max_bytes: int) -> str:
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


def _article(checked: ArticleBody, max_text_bytes: int) -> ArticleInput:
    url = canonical_url(checked.url)
    text = _text(checked.text, max_text_bytes)
    outlet = checked.outlet or default_outlet(url)
    return ArticleInput(
        url=url,
        text=text,
        title=checked.title or None,
        outlet=outlet.lower(),
        published_at=parse_published_at(checked.published_at),
        author=checked.author or None,
    )


def parse_article(payload: object, max_text_bytes: int) -> ArticleInput:
    """One ARTICLE object, checked."""
    return _article(_validate(ArticleBody, payload, "an article"), max_text_bytes)


def parse_articles_body(body: object, max_text_bytes: int) -> list[ArticleInput]:
    """``{"articles": [ARTICLE, ...]}`` or a single ARTICLE; every article is checked before any is stored."""
    if not (isinstance(body, dict) and "articles" in body):
        return [_article(_validate(ArticleBody, body, "the body"), max_text_bytes)]
    batch = _validate(ArticlesBatchBody, body, "the body")
    parsed = []
    for position, item in enumerate(batch.articles):
        try:
            parsed.append(_article(item, max_text_bytes))
        except ApiError as error:
            if len(batch.articles) == 1:
                raise
            raise ApiError(error.status, f"articles[{position}]: {error.message}") from None
    return parsed


def parse_match_body(body: object, max_text_bytes: int) -> MatchRequest:
    checked = _validate(MatchBody, body, "the body")
    text = _text(checked.text, max_text_bytes)
    url = canonical_url(checked.url) if checked.url not in (None, "") else None
    return MatchRequest(text=text, url=url, title=checked.title or None, limit=checked.limit)
