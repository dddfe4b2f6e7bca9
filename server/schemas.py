"""The API's request and response bodies as pydantic models: one definition for checking and for documenting.

:mod:`server.validation` checks every request body against the request
models here, and :mod:`server.openapi` builds the OpenAPI document from the
JSON Schemas of all of them, so what the document promises is what the
server enforces.

Request models check shape, types and lengths (strict: ``"5"`` is not a
number and ``true`` is not an integer). What needs more than that (a URL's
scheme and host, a date, the text size limit, which is configured per app)
is checked by :mod:`server.validation` once a body has the right shape, so a
body with a wrongly typed field is refused for that before anything else. Response models allow keys they do not list:
the contract only grows and clients ignore keys they do not know.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "MAX_BATCH",
    "MAX_LIMIT",
    "DEFAULT_LIMIT",
    "MAX_URL_LENGTH",
    "MAX_TITLE_LENGTH",
    "MAX_OUTLET_LENGTH",
    "MAX_ID",
    "URL_PATTERN",
    "ArticleBody",
    "ArticlesBatchBody",
    "MatchBody",
    "ErrorBody",
    "HealthResponse",
    "IngestResult",
    "IngestResponse",
    "ArticleSummary",
    "Passage",
    "Match",
    "MatchResponse",
    "StoredArticleRef",
    "ArticleDetail",
    "ArticleResponse",
    "ArticleRef",
    "ArticleMatchesResponse",
    "StatsResponse",
    "KeySummary",
    "KeysResponse",
    "ArticleVersionSummary",
    "ArticleVersionsResponse",
    "REQUEST_MODELS",
    "RESPONSE_MODELS",
]

MAX_BATCH = 1000
MAX_LIMIT = 200
DEFAULT_LIMIT = 20
MAX_URL_LENGTH = 4096
MAX_TITLE_LENGTH = 1000
MAX_OUTLET_LENGTH = 200

_REQUEST = ConfigDict(strict=True, extra="ignore")

# Lengths are checked after surrounding whitespace is stripped, as stored.
# A URL's scheme and host; the rest (a valid port, ...) is checked by server.validation.
URL_PATTERN = "^\\s*[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]"
# SQLite's integer ids are 64-bit.
MAX_ID = 2**63 - 1

_Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_URL_LENGTH),
    Field(
        description="An http or https URL. Stored in canonical form: scheme and host lower-cased, default port, "
        "fragment and tracking parameters (utm_*, fbclid, gclid, ...) removed.",
        json_schema_extra={"pattern": URL_PATTERN},
    ),
]
_Text = Annotated[
    str,
    Field(
        min_length=1,
        description="The article's text: not blank, at most the server's text limit (2 MB of UTF-8 by default), "
        "with at least one word (else 422).",
        json_schema_extra={"pattern": "\\S"},
    ),
]
_Title = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TITLE_LENGTH)]
_Outlet = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_OUTLET_LENGTH)]


class ArticleBody(BaseModel):
    """ARTICLE: one article to store."""

    model_config = ConfigDict(**_REQUEST, title="Article")

    url: _Url
    text: _Text
    title: _Title | None = None
    outlet: _Outlet | None = Field(
        default=None, description="Default: the URL's host without 'www.'. Stored lower-case."
    )
    published_at: str | None = Field(
        default=None,
        description="An ISO 8601 date (2026-03-09) or datetime; datetimes are stored in UTC, a datetime without "
        "a zone is taken as UTC.",
        json_schema_extra={"examples": ["2026-03-09", "2026-03-09T08:00:00Z"]},
    )
    author: _Title | None = Field(default=None, description="The byline, as the page gives it.")


class ArticlesBatchBody(BaseModel):
    """A batch of articles, stored in one transaction: all of them or none."""

    model_config = ConfigDict(**_REQUEST, title="ArticlesBatch")

    articles: list[ArticleBody] = Field(
        min_length=1, max_length=MAX_BATCH, description=f"1 to {MAX_BATCH} articles (more: 413)."
    )


class MatchBody(BaseModel):
    """A text to look for among the stored articles. The text is not stored."""

    model_config = ConfigDict(**_REQUEST, title="MatchRequest")

    text: _Text
    url: str | None = Field(
        default=None,
        description="The page the text comes from (http or https; empty means none): a stored article with this "
        "canonical URL is never returned.",
        json_schema_extra={"pattern": f"^$|{URL_PATTERN}"},
    )
    title: _Title | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="How many matches at most.")


# --- responses ---------------------------------------------------------------


class _Response(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorBody(_Response):
    """Every error, 404 and 405 included."""

    model_config = ConfigDict(extra="allow", title="Error")

    ok: Literal[False]
    error: str = Field(description="A sentence saying what is wrong.")
    status: int = Field(description="The HTTP status, repeated.")


class HealthResponse(_Response):
    ok: Literal[True]
    version: str
    fingerprint_params: str = Field(description="The key of the fingerprint parameters, e.g. n2-k5-p128-s1-b16x8-w12.")


class IngestResult(_Response):
    id: int
    url: str = Field(description="The canonical URL as stored.")
    status: Literal["created", "updated", "unchanged"]


class IngestResponse(_Response):
    ok: Literal[True]
    articles: list[IngestResult]


class ArticleSummary(_Response):
    id: int
    url: str
    outlet: str
    title: str | None
    published_at: str | None


class MatchArticle(ArticleSummary):
    outlet_display_name: str | None = Field(default=None, description="The outlet's name in the registry, if any.")
    outlet_labels: list[str] = Field(
        default_factory=list, description="The outlet's registry labels, e.g. 'wire agency', 'state-affiliated media'."
    )


class Passage(_Response):
    """A shared passage: half-open character offsets (code points) into the query text as sent and the stored text."""

    query_start: int = Field(ge=0)
    query_end: int = Field(ge=0)
    match_start: int = Field(ge=0)
    match_end: int = Field(ge=0)


class Match(_Response):
    article: MatchArticle
    similarity: float = Field(ge=0, le=1)
    containment_query: float = Field(ge=0, le=1)
    containment_match: float = Field(ge=0, le=1)
    relation: Literal["duplicate", "contained_in", "contains", "partial"]
    passages: list[Passage]
    story_id: int | None = Field(default=None, description="The matched article's story (null: in none).")
    attribution: MatchAttribution | None = None


class StoredArticleRef(_Response):
    id: int
    url: str


class MatchResponse(_Response):
    ok: Literal[True]
    story: MatchStory | None = Field(default=None, description="The story of the best match; null when none.")
    matches: list[Match] = Field(description="Highest containment_query first.")
    stored_article: StoredArticleRef | None = Field(
        default=None,
        description="The stored article at the request's `url` (never listed among the matches); null when the "
        "corpus has no article at that URL or no `url` was sent. Tells a client whether the page is in the corpus.",
    )


class ArticleDetail(ArticleSummary):
    author: str | None = Field(default=None, description="The byline, when one was given or extracted.")
    text: str
    first_seen_at: str
    updated_at: str
    content_hash: str
    token_count: int


class ArticleResponse(_Response):
    ok: Literal[True]
    article: ArticleDetail


class ArticleRef(_Response):
    id: int
    url: str


class ArticleMatchesResponse(_Response):
    ok: Literal[True]
    article: ArticleRef
    story: MatchStory | None = None
    matches: list[Match]


class StatsResponse(_Response):
    ok: Literal[True]
    articles: int
    outlets: int
    fingerprint_params: str
    database_bytes: int
    published_from: str | None
    published_to: str | None
    search_waiting: int = Field(
        description="Stored articles the full-text search does not see yet: a bulk load indexes them when it ends."
    )
    index_recent_rows: int = Field(
        description="Index rows in the recent tier, moved into the main tier in bulk once there are enough."
    )


class KeySummary(_Response):
    name: str
    prefix: str = Field(description="The key's first characters, to tell keys apart; never the key.")
    scopes: list[Literal["read", "write", "admin"]]
    created_at: str
    revoked_at: str | None


class KeysResponse(_Response):
    ok: Literal[True]
    keys: list[KeySummary]


# Story models live in server/story_schemas.py; the match response refers to two of them.
from . import story_schemas as _stories  # noqa: E402

MatchAttribution = _stories.Attribution
MatchStory = _stories.MatchStory
StoriesResponse = _stories.StoriesResponse
StoryResponse = _stories.StoryResponse
NetworkResponse = _stories.NetworkResponse
STORY_RESPONSE_MODELS = _stories.STORY_RESPONSE_MODELS

Match.model_rebuild()
MatchResponse.model_rebuild()
ArticleMatchesResponse.model_rebuild()


class ArticleVersionSummary(_Response):
    """An earlier text of a stored article."""

    id: int
    title: str | None
    published_at: str | None
    text: str
    content_hash: str
    token_count: int
    stored_at: str = Field(description="When this text was stored.")
    replaced_at: str = Field(description="When a new text replaced it.")


class ArticleVersionsResponse(_Response):
    ok: Literal[True]
    article: ArticleRef
    versions: list[ArticleVersionSummary] = Field(description="Earlier texts, newest first.")
    next_cursor: str | None


REQUEST_MODELS: tuple[type[BaseModel], ...] = (ArticleBody, ArticlesBatchBody, MatchBody)
RESPONSE_MODELS: tuple[type[BaseModel], ...] = (
    ErrorBody,
    HealthResponse,
    IngestResponse,
    MatchResponse,
    ArticleResponse,
    ArticleMatchesResponse,
    StatsResponse,
    KeysResponse,
    *STORY_RESPONSE_MODELS,
    ArticleVersionsResponse,
)


# --- the outlet registry, outlets and article lists ---------------------------

_Short = Annotated[str, StringConstraints(max_length=200)]


class OutletBody(BaseModel):
    """An outlet's registry entry (PUT replaces it whole: keys left out are cleared)."""

    model_config = ConfigDict(**_REQUEST, title="OutletRecord")

    display_name: _Short | None = Field(default=None, description="The name readers know, e.g. 'The Harbour Times'.")
    country: Annotated[str, StringConstraints(max_length=8)] | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code, e.g. GB.", json_schema_extra={"examples": ["GB"]}
    )
    language: Annotated[str, StringConstraints(max_length=35)] | None = Field(
        default=None, description="BCP 47 language tag, e.g. en or pt-BR.", json_schema_extra={"examples": ["en-GB"]}
    )
    ownership: Annotated[str, StringConstraints(max_length=1000)] | None = Field(
        default=None, description="Who owns the outlet, in free text."
    )
    homepage: Annotated[str, StringConstraints(max_length=MAX_URL_LENGTH)] | None = Field(
        default=None, description="An http or https URL."
    )
    domains: list[Annotated[str, StringConstraints(max_length=253)]] = Field(
        default_factory=list,
        max_length=100,
        description="Domains the outlet publishes under (example.co.uk: no scheme, port or path); each belongs to "
        "one outlet only (else 409). Articles from a domain or its subdomains that name no outlet are the outlet's.",
    )
    labels: list[Annotated[str, StringConstraints(max_length=60)]] = Field(
        default_factory=list,
        max_length=20,
        description="Labels from an open vocabulary: 'wire agency', 'state-affiliated media', 'public broadcaster', "
        "'aggregator', 'press release distributor', or others (stored lower-case).",
    )


class OutletSummary(_Response):
    name: str = Field(description="The identifier articles carry (lower-case).")
    display_name: str | None
    country: str | None
    language: str | None
    ownership: str | None
    homepage: str | None
    domains: list[str]
    labels: list[str]
    article_count: int = Field(description="Stored articles (published within since/until when given).")
    updated_at: str | None = Field(description="When the registry entry last changed; null if never recorded.")


class OutletsResponse(_Response):
    ok: Literal[True]
    outlets: list[OutletSummary]
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class OutletCopyingEdge(_Response):
    outlet: str
    articles: int = Field(description="Distinct copies.")
    words: int = Field(description="Words copied.")


class OutletCopying(_Response):
    """How much of an outlet's output copies earlier articles of other outlets, and who copies it."""

    outlet: str
    articles: int = Field(description="The outlet's articles dated in range.")
    copied: int = Field(description="How many of them copy an earlier article of another outlet.")
    copied_share: float
    copied_from: list[OutletCopyingEdge]
    republished_by: list[OutletCopyingEdge]


class OutletDetail(OutletSummary):
    first_published: str | None
    last_published: str | None
    recent_articles: list[ArticleSummary]
    copying: OutletCopying | None = Field(
        description="Copying statistics (within ?since/?until when given), from the stories' reuse links."
    )


class OutletResponse(_Response):
    ok: Literal[True]
    outlet: OutletDetail


class ArticleListItem(ArticleSummary):
    score: float | None = Field(default=None, description="Search only: bm25 relevance, lower is better.")
    snippet: str | None = Field(default=None, description="Search only: a passage of the text around the hits.")
    snippet_highlights: list[list[int]] | None = Field(
        default=None,
        description="Search only: [start, end) code-point offsets of the hits inside `snippet`.",
    )


class ArticlesResponse(_Response):
    ok: Literal[True]
    articles: list[ArticleListItem]
    next_cursor: str | None


__all__ += [
    "MatchArticle",
    "OutletBody",
    "OutletSummary",
    "OutletsResponse",
    "OutletDetail",
    "OutletCopying",
    "OutletResponse",
    "ArticleListItem",
    "ArticlesResponse",
]
REQUEST_MODELS = (*REQUEST_MODELS, OutletBody)
RESPONSE_MODELS = (*RESPONSE_MODELS, OutletsResponse, OutletResponse, ArticlesResponse)
