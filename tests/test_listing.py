"""The list conventions every list endpoint shares, and opening databases made by earlier versions."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from server import create_app, db
from server.errors import ApiError
from server.listing import csv_text, decode_cursor, encode_cursor, ndjson_text


def test_cursor_round_trip_and_rejects_forgeries():
    key = ["2016-05-01T00:00:00Z", 42]
    assert decode_cursor(encode_cursor(key)) == key
    for forged in ("!!!", "bm90IGpzb24", encode_cursor([1])[:-3] + "{{{"):
        with pytest.raises(ApiError) as caught:
            decode_cursor(forged)
        assert caught.value.status == 400


def test_csv_flattens_nested_objects_and_joins_lists():
    rows = [{"id": 1, "origin": {"id": 7, "outlet": "a"}, "labels": ["wire", "state"], "ok": True, "gone": None}]
    parsed = list(csv.DictReader(io.StringIO(csv_text(rows))))
    assert parsed == [
        {"id": "1", "origin.id": "7", "origin.outlet": "a", "labels": "wire; state", "ok": "true", "gone": ""}
    ]
    assert ndjson_text(rows).count("\n") == 1


def test_list_arguments_are_checked(tmp_path):
    app = create_app({"DATABASE": str(tmp_path / "w.db"), "TESTING": True})
    from server.listing import parse_list_query

    with app.test_request_context("/?limit=5&format=csv&since=2016-01-01&until=2016-02-01"):
        query = parse_list_query()
        assert (query.limit, query.format, query.since[:10], query.until[:10]) == (5, "csv", "2016-01-01", "2016-02-01")
    for bad in (
        "limit=0",
        "limit=1001",
        "limit=x",
        "format=xml",
        "since=yesterday",
        "since=2016-02-01&until=2016-01-01",
    ):
        with app.test_request_context(f"/?{bad}"):
            with pytest.raises(ApiError) as caught:
                parse_list_query()
            assert caught.value.status == 400, bad


def test_opening_an_older_database_adds_new_columns_and_keeps_rows(tmp_path, monkeypatch):
    path = str(tmp_path / "old.db")
    db.open_database(path)
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO outlet (name, created_at) VALUES ('kept', '2020-01-01T00:00:00Z')")
        # An "earlier version" of the outlet table, without created_at.
        connection.execute("ALTER TABLE outlet DROP COLUMN created_at")
    monkeypatch.setattr(db, "ADDED_COLUMNS", [(db.Outlet, "created_at")])
    db.open_database(path)
    with sqlite3.connect(path) as connection:
        columns = [row[1] for row in connection.execute("PRAGMA table_info(outlet)")]
        assert "created_at" in columns
        assert connection.execute("SELECT name FROM outlet").fetchall() == [("kept",)]
