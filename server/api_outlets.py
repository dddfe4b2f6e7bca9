"""API v1 routes for the outlet registry and article lists: outlets, one outlet, full-text search.

Views parse, call one function, serialise; lists page and export through
:mod:`server.listing` like every other list.
"""

from __future__ import annotations

from flask import Blueprint, request
from pydantic import ValidationError

from .access import require
from .api import _json_body
from .errors import ApiError
from .listing import date_range, list_response, parse_list_query
from .outlets import (
    check_record,
    get_outlet,
    list_outlets,
    normalise_name,
    outlet_detail,
    outlet_summaries,
    save_outlet,
)
from .schemas import OutletBody
from .search import check_search_query, recent_articles, search_articles

__all__ = ["outlets_api", "OUTLET_COLUMNS", "ARTICLE_COLUMNS", "parse_outlet_body"]

outlets_api = Blueprint("outlets_api", __name__, url_prefix="/api/v1")

OUTLET_COLUMNS = (
    "name",
    "display_name",
    "country",
    "language",
    "ownership",
    "homepage",
    "domains",
    "labels",
    "article_count",
    "updated_at",
)
ARTICLE_COLUMNS = ("id", "url", "outlet", "title", "published_at", "score", "snippet", "snippet_highlights")


def parse_outlet_body(name: str, body: object):
    """A PUT body as a checked :class:`server.outlets.OutletRecord`, or a 400 naming the field."""
    try:
        checked = OutletBody.model_validate(body)
    except ValidationError as invalid:
        error = invalid.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "the body"
        raise ApiError(400, f"'{where}': {error['msg']}") from None
    return check_record(name, **checked.model_dump())


@outlets_api.get("/outlets")
def get_outlets():
    require("read")
    query = parse_list_query()
    after = None
    if query.cursor is not None:
        if len(query.cursor) != 1 or not isinstance(query.cursor[0], str):
            raise ApiError(400, "'cursor' is not a cursor this server gave out")
        after = query.cursor[0]
    args = request.args
    outlets, more = list_outlets(
        label=args.get("label"),
        country=args.get("country"),
        language=args.get("language"),
        prefix=args.get("q"),
        after=after,
        limit=query.limit,
    )
    rows = outlet_summaries(outlets, query.since, query.until)
    return list_response("outlets", rows, query, [outlets[-1].name] if more else None, columns=OUTLET_COLUMNS)


@outlets_api.get("/outlets/<path:name>")
def get_outlet_detail(name: str):
    require("read")
    since, until = date_range()
    return {"ok": True, "outlet": outlet_detail(get_outlet(name), since=since, until=until)}


@outlets_api.put("/outlets/<path:name>")
def put_outlet(name: str):
    require("write")
    record = parse_outlet_body(normalise_name(name), _json_body())
    outlet, status = save_outlet(record)
    return {"ok": True, "outlet": outlet_detail(outlet)}, 201 if status == "created" else 200


@outlets_api.get("/articles")
def get_articles():
    require("read")
    query = parse_list_query()
    outlet = request.args.get("outlet")
    if "q" in request.args:
        rows, next_key = search_articles(check_search_query(request.args["q"]), outlet, query)
    else:
        rows, next_key = recent_articles(outlet, query)
    return list_response("articles", rows, query, next_key, columns=ARTICLE_COLUMNS)
