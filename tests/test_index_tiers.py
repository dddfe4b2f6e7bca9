"""The two-tier index (server/index_tiers.py): merging moves rows, never changes what matching finds."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from server import create_app
from server.cli import main
from server.index_tiers import SLICES, _merge_slice
from tests.conftest import serving
from tests.synthetic import article
from tests.texts import FURNISHED_STORIES, FURNITURE

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "server" / "demo" / "corpus.jsonl"
TIERS = ("posting_main", "posting_recent", "band_main", "band_recent")


def run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def ingest_demo(db_path: str, monkeypatch, limit: int, batch_size: int = 500) -> None:
    monkeypatch.setenv("WIRETRACE_INDEX_RECENT_LIMIT", str(limit))
    result = run("ingest", DEMO, "--db", db_path, "--quiet", "--no-link", "--batch-size", batch_size)
    assert result.exit_code == 0, result.output


def tier_counts(db_path: str) -> dict[str, int]:
    with sqlite3.connect(db_path) as connection:
        return {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TIERS}


def index_rows(db_path: str) -> dict[str, list]:
    with sqlite3.connect(db_path) as connection:
        return {
            "posting": connection.execute("SELECT * FROM posting ORDER BY 1, 2, 3").fetchall(),
            "band": connection.execute("SELECT * FROM band ORDER BY 1, 2").fetchall(),
        }


def every_match(db_path: str) -> dict[str, list]:
    """For each stored article: the URLs, scores and passages of its matches."""
    client = create_app({"DATABASE": db_path}).test_client()
    with sqlite3.connect(db_path) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM article ORDER BY id")]
    found = {}
    for article_id in ids:
        body = client.get(f"/api/v1/articles/{article_id}/matches").get_json()
        found[article_id] = [
            (m["article"]["url"], m["similarity"], m["containment_query"], m["passages"]) for m in body["matches"]
        ]
    return found


def test_merged_and_unmerged_indexes_find_the_same_matches(tmp_path, monkeypatch):
    never = str(tmp_path / "never-merged.db")
    often = str(tmp_path / "often-merged.db")
    ingest_demo(never, monkeypatch, limit=10**12)
    # Small batches and a small limit: several merges, and rows left in both tiers.
    ingest_demo(often, monkeypatch, limit=300, batch_size=7)

    assert tier_counts(never)["posting_main"] == tier_counts(never)["band_main"] == 0
    merged = tier_counts(often)
    assert merged["posting_main"] > merged["posting_recent"] > 0
    assert merged["band_main"] > 0
    assert index_rows(often) == index_rows(never)
    matches = every_match(often)
    assert sum(map(len, matches.values())) > 20  # the demo corpus is full of copies
    assert matches == every_match(never)
    assert run("check", "--db", often).exit_code == 0


def test_a_merge_stopped_halfway_leaves_a_correct_index(tmp_path, monkeypatch):
    db_path = str(tmp_path / "half.db")
    ingest_demo(db_path, monkeypatch, limit=10**12)
    before_rows, before_matches = index_rows(db_path), every_match(db_path)
    with sqlite3.connect(db_path, isolation_level=None) as connection:
        for slice_number in range(SLICES // 2):
            connection.execute("BEGIN IMMEDIATE")
            _merge_slice(connection, slice_number)
            connection.execute("COMMIT")
    counts = tier_counts(db_path)
    assert counts["posting_main"] > 0 and counts["posting_recent"] > 0
    assert index_rows(db_path) == before_rows
    assert every_match(db_path) == before_matches
    assert run("check", "--db", db_path).exit_code == 0


def test_updating_an_article_whose_rows_were_merged_removes_them_from_the_main_tier(tmp_path, monkeypatch):
    db_path = str(tmp_path / "update.db")
    monkeypatch.setenv("WIRETRACE_INDEX_RECENT_LIMIT", "1")
    first = article("https://tier.example/story", version=0, words=300)
    other = article("https://elsewhere.example/copy", version=0, words=300)
    other["text"] = first["text"]
    source = tmp_path / "two.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in (first, other)) + "\n", encoding="utf-8")
    assert run("ingest", source, "--db", db_path, "--quiet", "--no-link").exit_code == 0
    assert tier_counts(db_path)["posting_recent"] == 0  # everything merged

    client = create_app({"DATABASE": db_path}).test_client()
    changed = article("https://tier.example/story", version=1, words=300)
    response = client.post("/api/v1/articles", json=changed)
    assert response.get_json()["articles"][0]["status"] == "updated"
    with sqlite3.connect(db_path) as connection:
        (story_id,) = connection.execute("SELECT id FROM article WHERE url = ?", (first["url"],)).fetchone()
        stale = connection.execute("SELECT COUNT(*) FROM posting_main WHERE article_id = ?", (story_id,)).fetchone()[0]
    assert stale == 0
    urls = [
        m["article"]["url"] for m in client.post("/api/v1/match", json={"text": first["text"]}).get_json()["matches"]
    ]
    assert urls == [other["url"]]
    assert run("check", "--db", db_path).exit_code == 0


def test_a_database_from_before_the_tiers_is_opened_in_place(tmp_path, monkeypatch):
    db_path = str(tmp_path / "old.db")
    ingest_demo(db_path, monkeypatch, limit=10**12)
    rows, matches = index_rows(db_path), every_match(db_path)
    # Put the file back into the single-tier layout earlier versions wrote.
    with sqlite3.connect(db_path) as connection:
        connection.executescript(
            """
            CREATE TABLE old_posting AS SELECT * FROM posting;
            CREATE TABLE old_band AS SELECT * FROM band;
            DROP VIEW posting; DROP VIEW band;
            DROP TABLE posting_main; DROP TABLE posting_recent; DROP TABLE band_main; DROP TABLE band_recent;
            DROP TABLE index_tier_state;
            CREATE TABLE posting (hash INTEGER NOT NULL, outlet_id INTEGER NOT NULL, article_id INTEGER NOT NULL,
                PRIMARY KEY (hash, outlet_id, article_id)) WITHOUT ROWID;
            CREATE TABLE band (key INTEGER NOT NULL, article_id INTEGER NOT NULL, PRIMARY KEY (key, article_id))
                WITHOUT ROWID;
            INSERT INTO posting SELECT * FROM old_posting; INSERT INTO band SELECT * FROM old_band;
            DROP TABLE old_posting; DROP TABLE old_band;
            """
        )
    assert every_match(db_path) == matches  # opening it migrates it
    counts = tier_counts(db_path)
    assert counts["posting_main"] == len(rows["posting"]) and counts["posting_recent"] == 0
    assert index_rows(db_path) == rows
    assert run("check", "--db", db_path).exit_code == 0


def test_the_server_merges_a_slice_after_answering_once_the_recent_tier_is_full(tmp_path):
    db_path = str(tmp_path / "served.db")
    app = create_app({"DATABASE": db_path, "INDEX_RECENT_LIMIT": 1})
    batch = {"articles": [article(f"https://s{n}.example/a", words=200 + n) for n in range(20)]}
    with serving(app) as base:
        request = urllib.request.Request(
            f"{base}/api/v1/articles", data=json.dumps(batch).encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201
        deadline = time.monotonic() + 30
        while tier_counts(db_path)["posting_main"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    counts = tier_counts(db_path)
    # One slice of the hash space moved, not all of it: the rest waits for later requests.
    assert 0 < counts["posting_main"] < counts["posting_recent"]
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT next_slice FROM index_tier_state").fetchone()[0] == 1
    assert run("check", "--db", db_path).exit_code == 0


@pytest.mark.parametrize("outlets_looked_up", [True, False], ids=["outlets-looked-up", "grouped-by-sqlite"])
@pytest.mark.parametrize("merged_first", [0, 2, 3, 5])
def test_an_outlets_boilerplate_is_found_when_its_stories_are_split_between_the_tiers(
    db_path, merged_first, outlets_looked_up
):
    # Five stories of one outlet carry the same furniture; some of them were
    # merged into the main tier before the others arrived.
    from fingerprints import fingerprint
    from server.db import database
    from server.index_tiers import merge_all
    from server.matching import Postings, _frequent_pairs, _frequent_pairs_in_sqlite

    app = create_app({"DATABASE": db_path, "INDEX_RECENT_LIMIT": 10**12})
    settings = app.extensions["wiretrace"]
    # Both ways of counting (hash, outlet) pairs are used, by how many
    # articles the hashes name: each must find the boilerplate on its own.
    app.extensions["wiretrace"] = dataclasses.replace(settings, outlet_lookup_limit=10**6 if outlets_looked_up else 0)
    client = app.test_client()
    for number, text in enumerate(FURNISHED_STORIES):
        response = client.post(
            "/api/v1/articles", json={"url": f"https://harbourgazette.example/{number}", "text": text}
        )
        assert response.status_code == 201
        if number + 1 == merged_first:
            with app.app_context(), database.connection_context():
                merge_all(database)
    counts = tier_counts(db_path)
    assert (counts["posting_main"] > 0) == (merged_first > 0)
    assert (counts["posting_recent"] > 0) == (merged_first < len(FURNISHED_STORIES))
    other = "The ferry operator announced a new winter timetable on Monday with fewer sailings to the islands. " * 3
    response = client.post(
        "/api/v1/match", json={"text": f"{FURNITURE}\n\n{other}", "url": "https://elsewhere.example/"}
    )
    assert response.get_json()["matches"] == []
    # And both find the same pairs, with the same first articles.
    hashes = [int(value) for value in fingerprint(f"{FURNITURE}\n\n{other}").winnowed]
    with app.app_context(), database.connection_context():
        looked_up = _frequent_pairs(hashes, 5, Postings.read(hashes), 10**6)
        assert looked_up and looked_up == _frequent_pairs_in_sqlite(hashes, 5)
