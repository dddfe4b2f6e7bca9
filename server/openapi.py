"""``GET /api/v1/openapi.json``: the API described as OpenAPI 3.1, built from the models that check requests.

The bodies are the JSON Schemas of :mod:`server.schemas` (the models
:mod:`server.validation` validates with); this module adds only what a
schema cannot say: the route table below (paths, methods, parameters, and
every status each operation can answer). ``tests/test_openapi.py`` checks
that the table covers every API route of the app, and drives the app with
schemathesis to check that every answer is one the document promises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask import Blueprint, current_app
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from . import __version__, listing, schemas

__all__ = ["openapi", "OPERATIONS", "Operation", "build_document", "LIST_QUERY"]

openapi = Blueprint("openapi", __name__, url_prefix="/api/v1")

# Why each error status can happen; an operation lists the ones that apply.
_ERRORS = {
    400: "Bad request: the body is not valid JSON, or nested too deeply; a field is missing, of the wrong type or "
    "invalid (blank text, a non-http(s) URL, a bad date, a bad `limit`); a bad list argument (`cursor`, "
    "`format`, `since`, `until`, `min_size`, `min_articles`).",
    401: "A key is needed and missing, or the `Authorization` header is not `Bearer <key>` with a valid, "
    "unrevoked key (a malformed header is refused on any route).",
    403: "The key lacks the scope this operation needs.",
    404: "No such article, story (a dissolved story too) or outlet.",
    409: "The article has no fingerprint made with the server's current parameters: run `wiretrace reindex`; "
    "or (outlets) a domain given already belongs to another outlet.",
    413: "Text over the limit (2 MB by default), a batch over 1,000 articles, or a body over the request limit.",
    415: "The body is not `application/json`.",
    422: "The text has no words to match.",
    429: "Rate limit exceeded; see `Retry-After`.",
    500: "An unexpected failure (logged; no details are sent).",
    503: "The full-text search index has not been built: run `wiretrace search-index --rebuild`.",
}
_ALWAYS = (401, 429, 500)


@dataclass(frozen=True)
class Operation:
    """One row of the route table: an API operation and everything it can answer."""

    method: str
    path: str  # as Flask spells it, e.g. /api/v1/articles/<int:article_id>
    summary: str
    responses: dict[int, type[BaseModel] | None]  # success statuses and their bodies
    errors: tuple[int, ...] = ()
    body: tuple[type[BaseModel], ...] = ()
    scope: str | None = None  # the API key scope needed when keys are in force
    query: dict[str, dict] = field(default_factory=dict)
    media: tuple[str, ...] = ()  # other content types of the success answer (list formats)

    @property
    def openapi_path(self) -> str:
        return _openapi_path(self.path)


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


# The query arguments every list shares (server/listing.py).
LIST_QUERY: dict[str, dict] = {
    "limit": {"type": "integer", "minimum": 1, "maximum": listing.MAX_PAGE, "default": listing.DEFAULT_PAGE},
    "cursor": {"type": "string", "description": "The `next_cursor` of the previous page."},
    "format": {"type": "string", "enum": list(listing.FORMATS), "default": "json"},
    "since": {"type": "string", "description": "ISO 8601 date or datetime, inclusive."},
    "until": {"type": "string", "description": "ISO 8601 date or datetime, inclusive."},
}
# A list's other answers, for ?format=csv and ?format=ndjson.
_LIST_MEDIA = ("text/csv", "application/x-ndjson")
_PATH_SCHEMAS = {"int": {"type": "integer", "minimum": 0, "maximum": schemas.MAX_ID}}


_WRITE_ERRORS = (400, 403, 413, 415, 422)
OPERATIONS: tuple[Operation, ...] = (
    Operation("get", "/api/v1/health", "Liveness and the fingerprint parameters", {200: schemas.HealthResponse}),
    Operation("get", "/api/v1/openapi.json", "This document", {200: None}, errors=(), scope=None),
    Operation(
        "post",
        "/api/v1/articles",
        "Store articles (one ARTICLE or a batch), all or none",
        {200: schemas.IngestResponse, 201: schemas.IngestResponse},
        errors=_WRITE_ERRORS,
        body=(schemas.ArticlesBatchBody, schemas.ArticleBody),
        scope="write",
    ),
    Operation(
        "post",
        "/api/v1/match",
        "Which stored articles share text with this one, and where",
        {200: schemas.MatchResponse},
        errors=_WRITE_ERRORS,
        body=(schemas.MatchBody,),
        scope="read",
    ),
    Operation(
        "get",
        "/api/v1/articles/<int:article_id>",
        "One stored article",
        {200: schemas.ArticleResponse},
        errors=(403, 404),
        scope="read",
    ),
    Operation(
        "get",
        "/api/v1/articles/<int:article_id>/matches",
        "A stored article's own matches",
        {200: schemas.ArticleMatchesResponse},
        errors=(400, 403, 404, 409),
        scope="read",
        query={
            "limit": {
                "type": "integer",
                "minimum": 1,
                "maximum": schemas.MAX_LIMIT,
                "default": schemas.DEFAULT_LIMIT,
            }
        },
    ),
    Operation("get", "/api/v1/stats", "Counts and sizes", {200: schemas.StatsResponse}, errors=(403,), scope="read"),
    Operation(
        "get",
        "/api/v1/keys",
        "The API keys (never the keys themselves)",
        {200: schemas.KeysResponse},
        errors=(403,),
        scope="admin",
    ),
    Operation(
        "get",
        "/api/v1/outlets",
        "Outlets with their registry entries and article counts",
        {200: schemas.OutletsResponse},
        errors=(400, 403),
        scope="read",
        query={
            "label": {"type": "string", "description": "Only outlets with this label."},
            "country": {"type": "string", "description": "ISO 3166-1 alpha-2 code."},
            "language": {"type": "string", "description": "BCP 47 tag; `en` also finds `en-GB`."},
            "q": {"type": "string", "description": "Outlet names starting with this."},
            **LIST_QUERY,
        },
        media=_LIST_MEDIA,
    ),
    Operation(
        "get",
        "/api/v1/outlets/<path:name>",
        "One outlet: registry entry, counts, recent articles, and whom it copies and who copies it",
        {200: schemas.OutletResponse},
        errors=(400, 403, 404),
        scope="read",
        query={name: LIST_QUERY[name] for name in ("since", "until")},
    ),
    Operation(
        "put",
        "/api/v1/outlets/<path:name>",
        "Create or replace an outlet's registry entry",
        {200: schemas.OutletResponse, 201: schemas.OutletResponse},
        # 404: a path that names no outlet at all (an empty name).
        errors=(400, 403, 404, 409, 413, 415),
        body=(schemas.OutletBody,),
        scope="write",
    ),
    Operation(
        "get",
        "/api/v1/articles",
        "Full-text search over titles and texts (with q), else the latest articles",
        {200: schemas.ArticlesResponse},
        errors=(400, 403, 503),
        scope="read",
        query={
            "q": {"type": "string", "description": 'An SQLite FTS5 query: words, "phrases", AND/OR/NOT, prefix*.'},
            "outlet": {"type": "string", "description": "Only this outlet's articles."},
            **LIST_QUERY,
        },
        media=_LIST_MEDIA,
    ),
)


_LIST_QUERY = {**LIST_QUERY, "outlet": {"type": "string", "maxLength": 200}}
OPERATIONS += (
    Operation(
        "get",
        "/api/v1/articles/<int:article_id>/versions",
        "A stored article's earlier texts, newest first",
        {200: schemas.ArticleVersionsResponse},
        errors=(400, 403, 404),
        scope="read",
        query=LIST_QUERY,
        media=_LIST_MEDIA,
    ),
    Operation(
        "get",
        "/api/v1/stories",
        "Stories (groups of articles linked by reuse), oldest id first; CSV and NDJSON with ?format=",
        {200: schemas.StoriesResponse},
        errors=(400, 403),
        scope="read",
        query={**_LIST_QUERY, "min_size": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 2}},
        media=_LIST_MEDIA,
    ),
    Operation(
        "get",
        "/api/v1/stories/<int:story_id>",
        "A story: its origin and every copy, with its share of the origin, its changes and its attribution",
        {200: schemas.StoryResponse},
        errors=(403, 404),
        scope="read",
    ),
    Operation(
        "get",
        "/api/v1/network",
        "The outlet-to-outlet copying network: edges from the outlet that published first",
        {200: schemas.NetworkResponse},
        errors=(400, 403),
        scope="read",
        query={**_LIST_QUERY, "min_articles": {"type": "integer", "minimum": 1, "maximum": 1000000, "default": 1}},
        media=_LIST_MEDIA,
    ),
)


def _component_schemas() -> dict:
    models = [(model, "validation") for model in schemas.REQUEST_MODELS]
    models += [(model, "serialization") for model in schemas.RESPONSE_MODELS]
    _, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")
    return definitions["$defs"]


def _ref(model: type[BaseModel]) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(schema: dict) -> dict:
    return {"application/json": {"schema": schema}}


def _operation(operation: Operation) -> dict:
    document: dict = {
        "operationId": operation.method + re.sub(r"[^A-Za-z0-9]+", "_", operation.openapi_path).rstrip("_"),
        "summary": operation.summary,
        "responses": {},
    }
    if operation.scope is not None:
        document["description"] = (
            f"Needs a key with the `{operation.scope}` scope when keys are in force (see the README's 'Access')."
        )
        # Public unless the server is configured otherwise: no key is one way to call it.
        document["security"] = [{"bearerAuth": []}] if operation.scope == "admin" else [{}, {"bearerAuth": []}]
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": _PATH_SCHEMAS.get(converter, {"type": "string", "minLength": 1}),
        }
        for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", operation.path)
    ]
    query = operation.query
    parameters += [{"name": name, "in": "query", "required": False, "schema": spec} for name, spec in query.items()]
    if parameters:
        document["parameters"] = parameters
    if operation.body:
        bodies = [_ref(model) for model in operation.body]
        document["requestBody"] = {
            "required": True,
            "content": _json(bodies[0] if len(bodies) == 1 else {"anyOf": bodies}),
        }
    for status, model in operation.responses.items():
        content = _json(_ref(model) if model is not None else {"type": "object"})
        for media_type in operation.media:
            content[media_type] = {"schema": {"type": "string"}}
        document["responses"][str(status)] = {
            "description": "Success" if status == 200 else "Created",
            "content": content,
        }
    for status in sorted(set(operation.errors) | set(_ALWAYS)):
        document["responses"][str(status)] = {"$ref": f"#/components/responses/Error{status}"}
    return document


def _path_parameters(rule: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", rule)


def build_document(routes: set[tuple[str, str]] | None = None) -> dict:
    """The OpenAPI document; ``routes`` (method, Flask rule) limits it to the routes an app has."""
    paths: dict[str, dict] = {}
    for operation in OPERATIONS:
        if routes is not None and (operation.method.upper(), operation.path) not in routes:
            continue
        paths.setdefault(operation.openapi_path, {})[operation.method] = _operation(operation)
    responses = {
        f"Error{status}": {
            "description": description,
            "content": _json(_ref(schemas.ErrorBody)),
            **({"headers": {"Retry-After": {"schema": {"type": "integer"}}}} if status == 429 else {}),
        }
        for status, description in _ERRORS.items()
    }
    responses["Error405"] = {
        "description": "Method not allowed: a method this document does not list for the path.",
        "content": _json(_ref(schemas.ErrorBody)),
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "wiretrace API",
            "version": __version__,
            "description": "Trace copied news text across outlets. Every error, 404 and 405 included, has the "
            'body `{"ok": false, "error": str, "status": int}`. The contract only grows: documented keys '
            "keep their names and types; clients must ignore keys they do not know.",
        },
        "paths": paths,
        "components": {
            "schemas": _component_schemas(),
            "responses": responses,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key: `wiretrace keys create`.",
                }
            },
        },
    }


def _app_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


@openapi.get("/openapi.json")
def openapi_json():
    app = current_app._get_current_object()
    if "wiretrace_openapi" not in app.extensions:
        app.extensions["wiretrace_openapi"] = build_document(_app_routes(app))
    return app.extensions["wiretrace_openapi"]
