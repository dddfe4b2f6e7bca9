"""API v1 routes for stories and the copying network; views parse, call one function, serialise."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from .access import require
from .errors import ApiError
from .listing import list_response, parse_list_query
from .stories import network_edges, story_detail, story_rows

__all__ = ["stories_api", "STORY_COLUMNS", "EDGE_COLUMNS"]

stories_api = Blueprint("stories_api", __name__, url_prefix="/api/v1")

STORY_COLUMNS = [
    "id",
    "size",
    "origin.id",
    "origin.url",
    "origin.outlet",
    "origin.published_at",
    "origin_uncertain",
    "outlets",
    "first_published_at",
    "last_published_at",
    "created_at",
    "updated_at",
    "articles",
]
EDGE_COLUMNS = ["source", "target", "articles", "words"]


def _count_argument(name: str, default: int) -> int:
    value = request.args.get(name, str(default))
    if not value.isdigit() or not 1 <= int(value) <= 1_000_000:
        raise ApiError(400, f"'{name}' must be an integer between 1 and 1000000")
    return int(value)


def _outlet_argument() -> str | None:
    value = request.args.get("outlet")
    if value is not None and len(value) > 200:
        raise ApiError(400, "'outlet' is longer than 200 characters")
    return value or None


def _cursor_id(cursor: list | None) -> int | None:
    if cursor is None:
        return None
    if len(cursor) != 1 or not isinstance(cursor[0], int) or isinstance(cursor[0], bool):
        raise ApiError(400, "'cursor' is not a cursor this server gave out")
    return cursor[0]


@stories_api.get("/stories")
def list_stories():
    require("read")
    query = parse_list_query()
    min_size = _count_argument("min_size", 2)
    rows = story_rows(
        after_id=_cursor_id(query.cursor),
        limit=query.limit + 1,
        outlet=_outlet_argument(),
        since=query.since,
        until=query.until,
        min_size=min_size,
    )
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return list_response("stories", rows, query, [rows[-1]["id"]] if more else None, columns=STORY_COLUMNS)


@stories_api.get("/stories/<int:story_id>")
def get_story(story_id: int):
    require("read")
    return {"ok": True, "story": story_detail(story_id, current_app.extensions["wiretrace"])}


@stories_api.get("/network")
def get_network():
    require("read")
    query = parse_list_query()
    rows = network_edges(
        since=query.since,
        until=query.until,
        outlet=_outlet_argument(),
        min_articles=_count_argument("min_articles", 1),
    )
    if query.cursor is not None:
        cursor = query.cursor
        if (
            len(cursor) != 4
            or not all(isinstance(v, int) for v in cursor[:2])
            or not all(isinstance(v, str) for v in cursor[2:])
        ):
            raise ApiError(400, "'cursor' is not a cursor this server gave out")
        after = (-cursor[0], -cursor[1], cursor[2], cursor[3])
        rows = [r for r in rows if (-r["articles"], -r["words"], r["source"], r["target"]) > after]
    page = rows[: query.limit]
    last = page[-1] if page else None
    more = len(rows) > query.limit
    next_key = [last["articles"], last["words"], last["source"], last["target"]] if more and last else None
    return list_response("edges", page, query, next_key, columns=EDGE_COLUMNS)
