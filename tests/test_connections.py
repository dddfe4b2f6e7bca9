"""The server keeps one SQLite connection per thread between requests, and that changes nothing anyone sees."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from server import create_app
from server.db import database

STORY = (
    "The harbour authority said on Tuesday that the northern breakwater will be rebuilt over two winters, "
    "with the fishing fleet moved to the old coal quay while the work goes on. Engineers found that storms "
    "had hollowed out the core of the wall in three places, and the cost is put at forty million."
)


def _ingest_in_another_process(db_path: str, tmp_path: Path, url: str) -> None:
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps({"url": url, "text": STORY, "outlet": "harbour.example"}) + "\n", encoding="utf-8")
    wiretrace = str(Path(sys.executable).with_name("wiretrace"))
    subprocess.run([wiretrace, "ingest", str(source), "--db", db_path, "--quiet"], check=True, capture_output=True)


def test_the_connection_is_kept_between_requests(db_path):
    client = create_app({"DATABASE": db_path}).test_client()
    assert client.get("/api/v1/health").status_code == 200
    first = database.connection()
    assert client.get("/api/v1/stats").status_code == 200
    assert database.connection() is first


def test_another_process_s_article_is_seen_by_the_next_request(db_path, tmp_path):
    client = create_app({"DATABASE": db_path}).test_client()
    assert client.get("/api/v1/stats").get_json()["articles"] == 0
    kept = database.connection()
    _ingest_in_another_process(db_path, tmp_path, "https://harbour.example/breakwater")
    stats = client.get("/api/v1/stats").get_json()
    assert database.connection() is kept
    assert stats["articles"] == 1
    matches = client.post("/api/v1/match", json={"text": STORY}).get_json()["matches"]
    assert [match["article"]["url"] for match in matches] == ["https://harbour.example/breakwater"]


def test_a_request_that_fails_inside_a_transaction_leaves_nothing_open(db_path, tmp_path):
    app = create_app({"DATABASE": db_path})

    def fail_halfway():
        # Plain SQL with no context manager to roll it back: the transaction
        # outlives the view, as it would after a bug in a write path.
        connection = database.connection()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO outlet (name) VALUES ('half-written.example')")
        raise RuntimeError("failed halfway")

    app.add_url_rule("/fail-halfway", "fail_halfway", fail_halfway)
    client = app.test_client()
    assert client.get("/fail-halfway").status_code == 500
    assert database.is_closed()
    # Nothing it wrote stays, and the write lock is free for another process.
    with sqlite3.connect(db_path, timeout=1) as other:
        assert other.execute("SELECT COUNT(*) FROM outlet WHERE name = 'half-written.example'").fetchone() == (0,)
        other.execute("BEGIN IMMEDIATE")
        other.rollback()
    _ingest_in_another_process(db_path, tmp_path, "https://harbour.example/after-the-failure")
    assert client.get("/api/v1/stats").get_json()["articles"] == 1
