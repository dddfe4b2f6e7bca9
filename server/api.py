"""HTTP API v1. Views parse, call one function, serialise; the contract only grows.

Documented keys never change name or type; clients must ignore keys they do
not know.
"""

from __future__ import annotations

from flask import Blueprint, after_this_request, current_app, request

from fingerprints import TextTooShort, fingerprint

from . import __version__
from .access import key_summary, list_keys, require
from .db import Article, database
from .errors import ApiError
from .index_tiers import merge_due, merge_next_slice
from .linking import link_articles
from .matching import find_matches
from .store import article_detail, fingerprint_all, ingest, load_fingerprint, params_id, stats
from .stories import match_story_context
from .validation import parse_articles_body, parse_match_body

api = Blueprint("api", __name__, url_prefix="/api/v1")


def _json_body() -> object:
    if not request.is_json:
        raise ApiError(415, "the body must be JSON (Content-Type: application/json)")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        # Python's JSON parser recurses once per nesting level; no valid
        # request nests more than a few levels.
        raise ApiError(400, "the body is nested too deeply") from None
    if body is None:
        raise ApiError(400, "the body is not valid JSON")
    return body


def _settings():
    return current_app.extensions["wiretrace"]


def _params_row() -> int:
    # The parameters' row never changes once recorded: look it up once per app.
    cached = current_app.extensions.get("wiretrace_params_row")
    if cached is None:
        cached = current_app.extensions["wiretrace_params_row"] = params_id(_settings().params)
    return cached


@api.get("/health")
def health():
    settings = _settings()
    return {"ok": True, "version": __version__, "fingerprint_params": settings.params.key}


@api.post("/articles")
def post_articles():
    require("write")
    settings = _settings()
    articles = parse_articles_body(_json_body(), current_app.config["MAX_TEXT_BYTES"])
    prints = fingerprint_all(articles, settings.params)
    results = ingest(articles, settings.params, prints)
    # Link before answering, so stories are current once the request returns.
    link_articles([r.id for r in results], settings, _params_row(), only_pending=True)
    _merge_a_slice_later_if_due()
    status = 201 if any(result.status == "created" for result in results) else 200
    return {"ok": True, "articles": [result.to_json() for result in results]}, status


def _merge_a_slice_later_if_due() -> None:
    """Once the recent index tier is full, move one slice of it after the response is sent.

    One slice per request bounds the work any one request triggers, and
    doing it after the response keeps it out of the client's wait; the
    articles were committed before the response either way.
    """
    if not merge_due(database.connection(), current_app.config["INDEX_RECENT_LIMIT"]):
        return
    sqlite = current_app.extensions["wiretrace_database"]

    @after_this_request
    def _schedule(response):
        def merge() -> None:
            with sqlite.connection_context():
                merge_next_slice(sqlite)

        response.call_on_close(merge)
        return response


@api.post("/match")
def post_match():
    require("read")
    settings = _settings()
    wanted = parse_match_body(_json_body(), current_app.config["MAX_TEXT_BYTES"])
    try:
        query = fingerprint(wanted.text, settings.params)
    except TextTooShort:
        raise ApiError(422, "'text' has no words to match") from None
    stored = None
    if wanted.url is not None:
        stored = Article.select(Article.id, Article.url).where(Article.url == wanted.url).first()
    matches = find_matches(
        query,
        settings,
        _params_row(),
        limit=wanted.limit,
        exclude_ids={stored.id} if stored else frozenset(),
    )
    found = [match.to_json() for match in matches]
    story = match_story_context(found)
    return {
        "ok": True,
        "story": story,
        "matches": found,
        "stored_article": {"id": stored.id, "url": stored.url} if stored else None,
    }


# SQLite integers are signed 64-bit; a larger id cannot name an article.
_LARGEST_ID = 2**63 - 1


def _article(article_id: int) -> Article:
    article = Article.get_or_none(Article.id == article_id) if article_id <= _LARGEST_ID else None
    if article is None:
        raise ApiError(404, f"no article with id {article_id}")
    return article


@api.get("/articles/<int:article_id>")
def get_article(article_id: int):
    require("read")
    return {"ok": True, "article": article_detail(_article(article_id))}


@api.get("/articles/<int:article_id>/matches")
def get_article_matches(article_id: int):
    require("read")
    settings = _settings()
    article = _article(article_id)
    limit = request.args.get("limit", "20")
    if not limit.isdigit() or not 1 <= int(limit) <= 200:
        raise ApiError(400, "'limit' must be an integer between 1 and 200")
    query = load_fingerprint(article.id, settings.params)
    if query is None:
        raise ApiError(
            409, f"article {article_id} has no fingerprint with the current parameters; run 'wiretrace reindex'"
        )
    matches = find_matches(
        query,
        settings,
        _params_row(),
        limit=int(limit),
        exclude_ids={article.id},
    )
    found = [m.to_json() for m in matches]
    story = match_story_context(found)
    return {"ok": True, "article": {"id": article.id, "url": article.url}, "story": story, "matches": found}


@api.get("/stats")
def get_stats():
    require("read")
    return {"ok": True, **stats(_settings().params)}


@api.get("/keys")
def get_keys():
    require("admin")
    return {"ok": True, "keys": [key_summary(key) for key in list_keys()]}


# Routes that live in modules of their own attach themselves to ``api`` when imported.
from . import api_versions  # noqa: E402, F401
