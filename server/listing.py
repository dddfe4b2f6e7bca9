"""Lists in the API: cursor pagination, filters every list shares, and the export formats.

Every list endpoint (stories, outlets, network edges, article search) pages
the same way and answers in the same three formats, so a researcher learns
it once:

* ``?limit=N`` (default 50, at most 1,000) and ``?cursor=C``, where ``C`` is
  the ``next_cursor`` of the previous page. A cursor is opaque to clients:
  it encodes the sort key of the last row sent, so pages stay consistent
  while rows are added (no offsets that shift).
* ``?format=json`` (default), ``csv`` or ``ndjson``. JSON answers
  ``{"ok": true, "<items>": [...], "next_cursor": str|null}``; CSV and NDJSON
  carry the rows only, with the next cursor in the ``X-Next-Cursor`` header
  and a ``Link: <...>; rel="next"`` header.
* ``?since=`` and ``?until=``: ISO 8601 dates or datetimes, inclusive.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from flask import Response, request

from .errors import ApiError
from .validation import parse_published_at

__all__ = [
    "FORMATS",
    "ListQuery",
    "parse_list_query",
    "date_range",
    "date_clauses",
    "until_bound",
    "encode_cursor",
    "decode_cursor",
    "list_response",
    "csv_text",
    "ndjson_text",
]

FORMATS = ("json", "csv", "ndjson")
DEFAULT_PAGE = 50
MAX_PAGE = 1000


@dataclass(frozen=True)
class ListQuery:
    limit: int
    cursor: list | None  # the decoded sort key of the last row already sent
    format: str
    since: str | None
    until: str | None


def encode_cursor(sort_key: Sequence) -> str:
    """An opaque cursor for the row whose sort key is ``sort_key`` (JSON values)."""
    raw = json.dumps(list(sort_key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "'cursor' is not a cursor this server gave out") from None
    if not isinstance(value, list):
        raise ApiError(400, "'cursor' is not a cursor this server gave out")
    return value


def _date_argument(name: str) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    try:
        return parse_published_at(value)
    except ApiError:
        raise ApiError(400, f"'{name}' must be an ISO 8601 date or datetime") from None


def until_bound(until: str | None) -> str | None:
    """The largest stored date an inclusive ``until`` admits: a date takes in its whole day.

    Stored dates are ISO 8601 strings (a date, or a UTC datetime ending in Z), so they compare as text.
    """
    if until is None:
        return None
    return until + "T23:59:59Z" if len(until) == 10 else until


def date_clauses(column: str, since: str | None, until: str | None) -> tuple[list[str], list]:
    """SQL conditions (to be joined with AND) and their values keeping ``column`` within [since, until]."""
    clauses, values = [], []
    if since:
        clauses.append(f"{column} >= ?")
        values.append(since)
    if until:
        clauses.append(f"{column} <= ?")
        values.append(until_bound(until))
    return clauses, values


def date_range() -> tuple[str | None, str | None]:
    """The request's ``?since=`` and ``?until=``, checked (for views that are not lists)."""
    since, until = _date_argument("since"), _date_argument("until")
    if since and until and until < since:
        raise ApiError(400, "'until' is before 'since'")
    return since, until


def parse_list_query(*, default_limit: int = DEFAULT_PAGE) -> ListQuery:
    """The paging, format and date-range arguments of the current request, checked."""
    limit_text = request.args.get("limit", str(default_limit))
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_PAGE:
        raise ApiError(400, f"'limit' must be an integer between 1 and {MAX_PAGE}")
    fmt = request.args.get("format", "json")
    if fmt not in FORMATS:
        raise ApiError(400, f"'format' must be one of {', '.join(FORMATS)}")
    cursor_text = request.args.get("cursor")
    since, until = _date_argument("since"), _date_argument("until")
    if since and until and until < since:
        raise ApiError(400, "'until' is before 'since'")
    return ListQuery(
        limit=int(limit_text),
        cursor=decode_cursor(cursor_text) if cursor_text else None,
        format=fmt,
        since=since,
        until=until,
    )


def _cell(value) -> str | int | float:
    # CSV has no nesting: lists are joined with "; ", objects written as JSON.
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list) and all(not isinstance(item, dict | list) for item in value):
        return "; ".join("" if item is None else str(item) for item in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def _flatten(row: dict, prefix: str = "") -> dict:
    # {"origin": {"id": 1}} becomes the column "origin.id", which pandas and
    # spreadsheets read without parsing JSON.
    flat: dict = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def csv_text(rows: Iterable[dict], columns: Sequence[str] | None = None) -> str:
    """Rows as CSV with a header; nested objects become dotted columns."""
    flat = [_flatten(row) for row in rows]
    if columns is None:
        columns = []
        for row in flat:
            columns.extend(name for name in row if name not in columns)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in flat:
        writer.writerow([_cell(row.get(name)) for name in columns])
    return out.getvalue()


def ndjson_text(rows: Iterable[dict]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def list_response(
    items_key: str,
    rows: list[dict],
    query: ListQuery,
    next_sort_key: Sequence | None,
    *,
    columns: Sequence[str] | None = None,
    extra: dict | None = None,
):
    """The answer for one page of a list, in the format the client asked for.

    ``next_sort_key`` is the sort key of the last row of this page when more
    rows may follow, else None. ``extra`` adds top-level keys to the JSON form.
    """
    next_cursor = encode_cursor(next_sort_key) if next_sort_key is not None else None
    if query.format == "json":
        return {"ok": True, items_key: rows, "next_cursor": next_cursor, **(extra or {})}
    if query.format == "csv":
        response = Response(csv_text(rows, columns), mimetype="text/csv")
    else:
        response = Response(ndjson_text(rows), mimetype="application/x-ndjson")
    if next_cursor is not None:
        response.headers["X-Next-Cursor"] = next_cursor
        arguments = request.args.to_dict()
        arguments["cursor"] = next_cursor
        response.headers["Link"] = f'<{request.base_url}?{urlencode(arguments)}>; rel="next"'
    return response
