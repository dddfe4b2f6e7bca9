"""Full-text search (SQLite FTS5): ranking, filters, snippets, paging, hostile queries, and the index's life."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

import pytest
from click.testing import CliRunner

from server import create_app
from server.cli import main
from tests.conftest import assert_error

# Texts written for these tests; the places are invented.
ARTICLES = [
    # id 1: the word in the headline and once in the text
    ("https://a.example/1", "Lighthouse keeper retires", "After forty years the keeper of the Varn lighthouse has retired.", "2026-03-01"),
    # id 2: the word three times in the text only
    ("https://b.example/2", "Coastal news", "The lighthouse needs paint. Visitors love the lighthouse. A lighthouse museum opens.", "2026-03-02"),
    # id 3: the word once in a long text
    ("https://b.example/3", "Ferry times", "The ferry leaves at nine and returns at six. " * 20 + "It passes the lighthouse.", "2026-03-03"),
    # id 4: no hit
    ("https://c.example/4", "Harvest fair", "The harvest fair opens on Saturday with crème brûlée stalls.", "2026-03-04"),
]


@pytest.fixture
def seeded(client):
    body = {"articles": [{"url": u, "title": t, "text": x, "published_at": d} for u, t, x, d in ARTICLES]}
    assert client.post("/api/v1/articles", json=body).status_code == 201
    return client


def search(client, query: str) -> list[dict]:
    response = client.get(f"/api/v1/articles?{query}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()["articles"]


def test_ranking_puts_headline_hits_and_frequent_hits_first(seeded):
    hits = search(seeded, "q=lighthouse")
    assert [hit["id"] for hit in hits] == [1, 2, 3]
    scores = [hit["score"] for hit in hits]
    assert scores == sorted(scores)  # bm25: lower is better
    assert search(seeded, "q=harvest")[0]["id"] == 4
    assert search(seeded, "q=nothingmatches") == []


def test_snippets_mark_the_hits(seeded):
    for hit in search(seeded, "q=lighthouse"):
        assert hit["snippet_highlights"], hit
        for start, end in hit["snippet_highlights"]:
            assert hit["snippet"][start:end].lower() == "lighthouse"
        assert "\ue000" not in hit["snippet"] and "\ue001" not in hit["snippet"]


def test_query_syntax_diacritics_prefix_phrase_and_column(seeded):
    assert [hit["id"] for hit in search(seeded, "q=creme%20brulee")] == [4]
    assert [hit["id"] for hit in search(seeded, "q=lightho*")] == [1, 2, 3]
    assert [hit["id"] for hit in search(seeded, "q=%22lighthouse%20museum%22")] == [2]
    assert [hit["id"] for hit in search(seeded, "q=title:lighthouse")] == [1]
    assert [hit["id"] for hit in search(seeded, "q=lighthouse%20NOT%20paint")] == [1, 3]


def test_filters_by_outlet_and_dates(seeded):
    assert [hit["id"] for hit in search(seeded, "q=lighthouse&outlet=B.example")] == [2, 3]
    assert [hit["id"] for hit in search(seeded, "q=lighthouse&since=2026-03-02&until=2026-03-02")] == [2]
    assert search(seeded, "q=lighthouse&outlet=unknown.example") == []


def test_paging_through_every_hit_loses_and_repeats_nothing(client):
    body = {"articles": [{"url": f"https://p.example/{n}", "text": "tide " * (n % 5 + 1) + f"page {n}"} for n in range(37)]}
    client.post("/api/v1/articles", json=body)
    everything = search(client, "q=tide&limit=1000")
    assert len(everything) == 37
    seen, cursor = [], None
    while True:
        body = client.get("/api/v1/articles?q=tide&limit=6" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen.extend(hit["id"] for hit in body["articles"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [hit["id"] for hit in everything]


def test_csv_and_ndjson_exports(seeded):
    rows = search(seeded, "q=lighthouse")
    parsed = list(csv.DictReader(io.StringIO(seeded.get("/api/v1/articles?q=lighthouse&format=csv").get_data(as_text=True))))
    assert [int(row["id"]) for row in parsed] == [row["id"] for row in rows]
    assert parsed[0]["snippet"] == rows[0]["snippet"]
    lines = seeded.get("/api/v1/articles?q=lighthouse&format=ndjson").get_data(as_text=True).splitlines()
    assert [json.loads(line) for line in lines] == rows


def test_without_q_the_latest_articles_page_by_page(seeded):
    seeded.post("/api/v1/articles", json={"url": "https://d.example/undated", "text": "An undated note about tides."})
    seen, cursor = [], None
    while True:
        body = seeded.get("/api/v1/articles?limit=2" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen.extend(hit["id"] for hit in body["articles"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [4, 3, 2, 1, 5]  # latest first, the undated last
    assert [hit["id"] for hit in search(seeded, "outlet=b.example")] == [3, 2]


@pytest.mark.parametrize(
    "query",
    [
        "q=",
        "q=%20%20",
        "q=%22unterminated",
        "q=a%20AND",
        "q=*",
        "q=NEAR(",
        "q=-x",
        "q=nosuchcolumn:word",
        "q=()",
        "q=%00",
        "q=" + "word%20" * 200,
        "q=%27)%3B%20DROP%20TABLE%20article%3B%20--",
        "q=lighthouse&cursor=WyJ4Il0",
        "q=lighthouse&cursor=!!",
        "q=lighthouse&limit=0",
        "q=lighthouse&format=xml",
    ],
)
def test_hostile_queries_are_400_never_500(seeded, query):
    assert_error(seeded.get(f"/api/v1/articles?{query}"), 400)
    assert len(search(seeded, "q=lighthouse")) == 3  # and nothing was harmed


def test_the_index_follows_updates_of_the_text(seeded):
    seeded.post("/api/v1/articles", json={"url": "https://a.example/1", "text": "The keeper now grows tomatoes."})
    assert [hit["id"] for hit in search(seeded, "q=lighthouse")] == [2, 3]
    assert [hit["id"] for hit in search(seeded, "q=tomatoes")] == [1]


def test_dropped_index_is_503_until_rebuilt_and_an_older_database_is_rebuilt(tmp_path, db_path, seeded):
    runner = CliRunner()
    assert "live" in runner.invoke(main, ["search-index", "--db", db_path]).output
    assert runner.invoke(main, ["search-index", "--drop", "--db", db_path]).exit_code == 0
    client = create_app({"DATABASE": db_path}).test_client()
    # Ingest goes on without the index.
    client.post("/api/v1/articles", json={"url": "https://e.example/5", "text": "A lighthouse again."})
    assert_error(client.get("/api/v1/articles?q=lighthouse"), 503, "search-index --rebuild")
    assert client.get("/api/v1/articles").status_code == 200  # listing needs no index
    result = runner.invoke(main, ["search-index", "--rebuild", "--db", db_path])
    assert result.exit_code == 0 and "5 articles" in result.output
    assert [hit["id"] for hit in search(client, "q=lighthouse")] == [1, 2, 5, 3]
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        connection.execute("INSERT INTO article_fts (article_fts, rank) VALUES ('integrity-check', 1)")


def fts_is_consistent(db_path, against_articles: bool = True) -> None:
    """FTS5's own check of the index (raises when it fails).

    With ``against_articles`` it also compares the index with the article
    table, which only holds once no article waits.
    """
    with sqlite3.connect(db_path) as connection:
        connection.execute(
            "INSERT INTO article_fts (article_fts, rank) VALUES ('integrity-check', ?)", (int(against_articles),)
        )


def pause(db_path) -> None:
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE search_state SET paused = 1")


def test_a_paused_index_skips_new_articles_until_it_catches_up(db_path, seeded):
    pause(db_path)  # as a bulk load running beside the server does
    seeded.post("/api/v1/articles", json={"url": "https://e.example/5", "text": "A lighthouse in the fog."})
    # Waiting articles changed or removed meanwhile have nothing to tell the index.
    seeded.post("/api/v1/articles", json={"url": "https://e.example/6", "text": "First draft about a windmill."})
    seeded.post("/api/v1/articles", json={"url": "https://e.example/6", "text": "Final text about a lighthouse."})
    # An indexed article updated while the index is paused is still followed.
    seeded.post("/api/v1/articles", json={"url": "https://a.example/1", "text": "The keeper now grows tomatoes."})
    assert [hit["id"] for hit in search(seeded, "q=lighthouse")] == [2, 3]
    assert search(seeded, "q=tomatoes")[0]["id"] == 1
    assert seeded.get("/api/v1/stats").get_json()["search_waiting"] == 2
    fts_is_consistent(db_path, against_articles=False)
    result = CliRunner().invoke(main, ["search-index", "--db", db_path])
    assert "2 articles waiting" in result.output

    result = CliRunner().invoke(main, ["search-index", "--catch-up", "--db", db_path])
    assert result.exit_code == 0 and "2 articles indexed" in result.output
    assert sorted(hit["id"] for hit in search(seeded, "q=lighthouse")) == [2, 3, 5, 6]
    assert search(seeded, "q=windmill") == []
    assert seeded.get("/api/v1/stats").get_json()["search_waiting"] == 0
    fts_is_consistent(db_path)
    # Live again: the next article is indexed as it is stored.
    seeded.post("/api/v1/articles", json={"url": "https://e.example/7", "text": "Lighthouse seven."})
    assert 7 in [hit["id"] for hit in search(seeded, "q=lighthouse")]


def test_wiretrace_ingest_indexes_what_it_loaded_and_what_an_earlier_load_left(tmp_path, db_path, seeded):
    pause(db_path)  # a load killed before it caught up
    seeded.post("/api/v1/articles", json={"url": "https://e.example/5", "text": "A lighthouse left waiting."})
    source = tmp_path / "more.jsonl"
    source.write_text(json.dumps({"url": "https://f.example/9", "text": "The new lighthouse lamp."}) + "\n")
    assert CliRunner().invoke(main, ["ingest", str(source), "--db", db_path, "--quiet"]).exit_code == 0
    assert sorted(hit["id"] for hit in search(seeded, "q=lighthouse")) == [1, 2, 3, 5, 6]
    fts_is_consistent(db_path)


def test_a_reused_id_is_indexed_even_while_paused(db_path, seeded):
    with sqlite3.connect(db_path) as connection:
        connection.execute("PRAGMA foreign_keys = OFF")
        # SQLite gives the next row the highest id again once that row is gone.
        connection.execute("DELETE FROM article WHERE id = 4")
        connection.execute("UPDATE search_state SET paused = 1")
        outlet = connection.execute("SELECT outlet_id FROM article WHERE id = 3").fetchone()[0]
        connection.execute(
            "INSERT INTO article (url, outlet_id, title, text, first_seen_at, updated_at, content_hash, token_count) "
            "VALUES ('https://g.example/x', ?, 'Reused', 'Another lighthouse story.', '', '', 'h', 3)",
            (outlet,),
        )
        assert connection.execute("SELECT MAX(id) FROM article").fetchone()[0] == 4
    assert 4 in [hit["id"] for hit in search(seeded, "q=lighthouse")]
    fts_is_consistent(db_path)


def test_an_index_from_before_the_pause_is_upgraded_in_place(db_path, seeded):
    with sqlite3.connect(db_path) as connection:
        connection.executescript(
            """
            DROP TRIGGER article_fts_insert; DROP TRIGGER article_fts_update; DROP TRIGGER article_fts_delete;
            DROP TABLE search_state;
            CREATE TRIGGER article_fts_insert AFTER INSERT ON article BEGIN
                INSERT INTO article_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
            END;
            """
        )
    client = create_app({"DATABASE": db_path}).test_client()
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT indexed_through, paused FROM search_state").fetchone() == (4, 0)
        triggers = [sql for (sql,) in connection.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger'")]
        assert len(triggers) == 3 and all("search_state" in sql for sql in triggers)
    client.post("/api/v1/articles", json={"url": "https://e.example/5", "text": "Lighthouse five."})
    assert [hit["id"] for hit in search(client, "q=lighthouse")] == [1, 2, 5, 3]
    fts_is_consistent(db_path)


def test_catching_up_goes_a_chunk_at_a_time_and_misses_nothing(db_path, seeded, monkeypatch):
    import server.search

    monkeypatch.setattr(server.search, "CATCH_UP_CHUNK", 2)
    pause(db_path)
    for number in range(5, 10):
        seeded.post("/api/v1/articles", json={"url": f"https://h.example/{number}", "text": f"Lighthouse {number}."})
    result = CliRunner().invoke(main, ["search-index", "--catch-up", "--db", db_path])
    assert result.exit_code == 0 and "5 articles indexed" in result.output
    assert sorted(hit["id"] for hit in search(seeded, "q=lighthouse")) == [1, 2, 3, 5, 6, 7, 8, 9]
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT indexed_through, paused FROM search_state").fetchone() == (9, 0)
    fts_is_consistent(db_path)


def _fts_settings(db_path) -> dict:
    with sqlite3.connect(db_path) as connection:
        return dict(connection.execute("SELECT k, v FROM article_fts_config WHERE k IN ('automerge', 'hashsize')"))


def test_a_bulk_load_indexes_full_chunks_as_it_goes_and_the_rest_at_its_end(tmp_path, db_path, seeded, monkeypatch):
    import server.search

    monkeypatch.setattr(server.search, "CATCH_UP_CHUNK", 4)
    seen_while_loading: list[tuple[int | None, dict]] = []
    index_chunk = server.search.index_waiting_chunk

    def watched(database, **options):
        indexed = index_chunk(database, **options)
        if not options.get("lift_pause_when_done"):
            seen_while_loading.append((indexed, _fts_settings(db_path)))
        return indexed

    monkeypatch.setattr(server.search, "index_waiting_chunk", watched)
    source = tmp_path / "lamps.jsonl"
    lines = [{"url": f"https://k.example/{n}", "text": f"Lighthouse lamp number {n} was lit."} for n in range(11)]
    source.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    result = CliRunner().invoke(main, ["ingest", str(source), "--db", db_path, "--quiet", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    # Batches of 3, 3, 3 and 2 against chunks of 4: 3 wait after the first
    # batch (too few), 6 after the second (4 indexed), 5 after the third (4
    # indexed), 3 after the last; those are left to the end.
    assert [indexed for indexed, _ in seen_while_loading] == [0, 4, 4, 0]
    # While the load ran the index had the bulk settings; now the defaults.
    assert seen_while_loading[0][1] == {"automerge": 16, "hashsize": 64 * 2**20}
    assert _fts_settings(db_path) == {"automerge": 4, "hashsize": 2**20}
    assert len(search(seeded, "q=lamp&limit=50")) == 11
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT paused FROM search_state").fetchone() == (0,)
    fts_is_consistent(db_path)
