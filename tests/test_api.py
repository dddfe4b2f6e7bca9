"""API v1 contract: shapes, statuses and errors, against a real SQLite file."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import assert_error
from tests.texts import (
    FURNISHED_STORIES,
    FURNITURE,
    INDEPENDENT_STORY,
    QUOTATION,
    UNRELATED_STORY,
    WIRE_PARAGRAPHS,
    WIRE_STORY,
)

MATCH_KEYS = {"article", "similarity", "containment_query", "containment_match", "relation", "passages"}


def article(url, text, **extra):
    return {"url": url, "text": text, **extra}


def post_articles(client, *articles, headers=None):
    return client.post("/api/v1/articles", json={"articles": list(articles)}, headers=headers)


@pytest.fixture
def corpus(client):
    copy = "Port Alder will get a new pumping station, officials said.\n\n" + "\n\n".join(WIRE_PARAGRAPHS[1:6])
    response = post_articles(
        client,
        article(
            "https://coastwire.example/water",
            WIRE_STORY,
            title="Port Alder to replace pumping station",
            published_at="2026-03-03T08:00:00Z",
            outlet="Coastline Wire",
        ),
        article(
            "https://www.harbourgazette.example/news/pumps?utm_source=feed",
            copy,
            title="New pumps for the north",
            published_at="2026-03-03T11:30:00+01:00",
        ),
        article(
            "https://ledger.example/pumps", INDEPENDENT_STORY, title="Taps to flow again", published_at="2026-03-04"
        ),
        article("https://sport.example/rovers", UNRELATED_STORY, title="Late winner for Rovers"),
    )
    assert response.status_code == 201
    return response.get_json()["articles"]


def test_health(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["ok"] is True and body["fingerprint_params"].startswith("n2-")


def test_ingest_statuses_and_canonical_urls(client, corpus):
    assert [item["status"] for item in corpus] == ["created"] * 4
    assert corpus[1]["url"] == "https://www.harbourgazette.example/news/pumps"
    again = post_articles(
        client,
        article(
            "https://coastwire.example/water",
            WIRE_STORY,
            title="Port Alder to replace pumping station",
            published_at="2026-03-03T08:00:00Z",
            outlet="Coastline Wire",
        ),
    )
    assert again.status_code == 200
    assert again.get_json()["articles"] == [{"id": corpus[0]["id"], "url": corpus[0]["url"], "status": "unchanged"}]
    changed = post_articles(client, article("https://coastwire.example/water#top", WIRE_STORY + "\n\nUpdated at noon."))
    assert changed.get_json()["articles"][0] == {"id": corpus[0]["id"], "url": corpus[0]["url"], "status": "updated"}
    stored = client.get(f"/api/v1/articles/{corpus[0]['id']}").get_json()["article"]
    assert stored["text"].endswith("Updated at noon.")


def test_single_article_body_and_default_outlet(client):
    response = client.post("/api/v1/articles", json=article("https://www.example.org/a", WIRE_STORY))
    assert response.status_code == 201
    article_id = response.get_json()["articles"][0]["id"]
    stored = client.get(f"/api/v1/articles/{article_id}").get_json()["article"]
    assert stored["outlet"] == "example.org"
    assert {"id", "url", "outlet", "title", "published_at", "text", "first_seen_at"} <= set(stored)
    assert stored["author"] is None
    # A byline given later is saved even though the text is unchanged.
    again = client.post(
        "/api/v1/articles", json={**article("https://www.example.org/a", WIRE_STORY), "author": " Ada Reyes "}
    )
    assert again.get_json()["articles"][0]["status"] == "unchanged"
    assert client.get(f"/api/v1/articles/{article_id}").get_json()["article"]["author"] == "Ada Reyes"


def test_match_finds_the_copy_with_passages_and_excludes_its_own_url(client, corpus):
    query = "\n\n".join(WIRE_PARAGRAPHS[2:5])
    response = client.post("/api/v1/match", json={"text": query, "url": "https://coastwire.example/water"})
    assert response.status_code == 200
    matches = response.get_json()["matches"]
    assert [m["article"]["url"] for m in matches] == ["https://www.harbourgazette.example/news/pumps"]
    match = matches[0]
    assert set(match) >= MATCH_KEYS
    # The page's own stored article is named apart from the matches, so a client knows it is in the corpus.
    own = response.get_json()["stored_article"]
    assert own is not None and own["url"] == "https://coastwire.example/water"
    assert own["id"] not in [m["article"]["id"] for m in matches]
    elsewhere = client.post("/api/v1/match", json={"text": query, "url": "https://unstored.example/x"}).get_json()
    assert elsewhere["stored_article"] is None
    assert client.post("/api/v1/match", json={"text": query}).get_json()["stored_article"] is None
    assert set(match["article"]) >= {"id", "url", "outlet", "title", "published_at"}
    assert match["article"]["published_at"] == "2026-03-03T10:30:00Z"
    assert match["relation"] == "contained_in" and match["containment_query"] == 1.0
    stored_text = client.get(f"/api/v1/articles/{match['article']['id']}").get_json()["article"]["text"]
    for passage in match["passages"]:
        assert query[passage["query_start"] : passage["query_end"]] in stored_text
        assert (
            stored_text[passage["match_start"] : passage["match_end"]]
            == query[passage["query_start"] : passage["query_end"]]
        )


def test_match_order_and_limit(client, corpus):
    response = client.post("/api/v1/match", json={"text": WIRE_STORY, "limit": 1})
    matches = response.get_json()["matches"]
    assert len(matches) == 1 and matches[0]["article"]["url"] == "https://coastwire.example/water"
    everything = client.post("/api/v1/match", json={"text": WIRE_STORY}).get_json()["matches"]
    containments = [m["containment_query"] for m in everything]
    assert containments == sorted(containments, reverse=True)
    assert "https://ledger.example/pumps" not in {m["article"]["url"] for m in everything}


def test_stored_article_matches(client, corpus):
    response = client.get(f"/api/v1/articles/{corpus[1]['id']}/matches")
    assert response.status_code == 200
    body = response.get_json()
    assert [m["article"]["id"] for m in body["matches"]] == [corpus[0]["id"]]
    assert body["matches"][0]["relation"] == "contained_in"
    assert_error(client.get("/api/v1/articles/999/matches"), 404)


def test_stats(client, corpus):
    body = client.get("/api/v1/stats").get_json()
    assert body["ok"] is True and body["articles"] == 4 and body["outlets"] == 4


def test_outlet_boilerplate_does_not_make_a_match(client):
    for number, text in enumerate(FURNISHED_STORIES):
        post_articles(client, article(f"https://harbourgazette.example/{number}", text))
    other = "The ferry operator announced a new winter timetable on Monday with fewer sailings to the islands. " * 3
    for url in ("https://harbourgazette.example/new", "https://elsewhere.example/new"):
        response = client.post("/api/v1/match", json={"text": f"{FURNITURE}\n\n{other}", "url": url})
        assert response.get_json()["matches"] == [], url
    # The copied story still matches, and only through its own text.
    query = f"{FURNITURE}\n\n" + "\n\n".join(WIRE_PARAGRAPHS[5:8])
    matches = client.post("/api/v1/match", json={"text": query}).get_json()["matches"]
    assert [m["article"]["url"] for m in matches] == ["https://harbourgazette.example/4"]
    assert all(p["query_start"] > len(FURNITURE) for p in matches[0]["passages"])


def test_an_outlets_boilerplate_carried_by_a_copy_elsewhere_does_not_make_a_match(client):
    stories = [UNRELATED_STORY, INDEPENDENT_STORY, *("\n\n".join(WIRE_PARAGRAPHS[i : i + 2]) for i in (0, 2, 4, 6))]
    for number, story in enumerate(stories):
        post_articles(client, article(f"https://origin.example/{number}", f"{story}\n\n{FURNITURE}"))
    post_articles(client, article("https://mirror.example/1", f"{UNRELATED_STORY}\n\n{FURNITURE}"))
    other = "The ferry operator announced a new winter timetable on Monday with fewer sailings to the islands. " * 3
    response = client.post("/api/v1/match", json={"text": f"{other}\n\n{FURNITURE}", "url": "https://third.example/1"})
    assert response.get_json()["matches"] == []


def test_shared_quotation_does_not_match(client):
    post_articles(client, article("https://a.example/q", UNRELATED_STORY + "\n\n" + QUOTATION))
    response = client.post("/api/v1/match", json={"text": INDEPENDENT_STORY + "\n\nShe added: " + QUOTATION})
    assert response.get_json()["matches"] == []


def test_write_endpoints_need_the_key_when_one_is_set(db_path):
    from server import create_app

    client = create_app({"DATABASE": db_path, "API_KEY": "s3cret"}).test_client()
    assert_error(post_articles(client, article("https://a.example/1", WIRE_STORY)), 401, "Authorization")
    assert_error(
        post_articles(client, article("https://a.example/1", WIRE_STORY), headers={"Authorization": "Bearer nope"}),
        401,
    )
    ok = post_articles(client, article("https://a.example/1", WIRE_STORY), headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 201
    assert client.post("/api/v1/match", json={"text": WIRE_STORY}).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"articles": []}, 400, "at least one"),
        ({"articles": "x"}, 400, "must be a list"),
        ({"articles": [{"text": "words here"}]}, 400, "'url' is required"),
        ({"articles": [{"url": "ftp://a.example/x", "text": "words"}]}, 400, "http or https"),
        ({"articles": [{"url": "https://a.example/x"}]}, 400, "'text' is required"),
        ({"articles": [{"url": "https://a.example/x", "text": "   "}]}, 400, "must not be empty"),
        ({"articles": [{"url": "https://a.example/x", "text": 12}]}, 400, "must be a string"),
        ({"articles": [{"url": "https://a.example/x", "text": "— … —"}]}, 422, "no words"),
        ({"articles": [{"url": "https://a.example/x", "text": "ok", "published_at": "yesterday"}]}, 400, "ISO 8601"),
        ({"articles": [{"url": "https://a.example/x", "text": "ok", "title": ["x"]}]}, 400, "'title' must be"),
        ({"articles": [{"url": "https://a.example/x", "text": "fine"}, {"url": 5, "text": "x"}]}, 400, "articles[1]"),
        ({"articles": [{"url": f"https://a.example/{n}", "text": "x"} for n in range(1001)]}, 413, "at most 1000"),
        ([1, 2], 400, "JSON object"),
    ],
)
def test_bad_articles_are_refused_and_nothing_is_stored(client, corpus, db_path, body, status, message):
    before = client.get("/api/v1/stats").get_json()["articles"]
    assert_error(client.post("/api/v1/articles", json=body), status, message)
    assert client.get("/api/v1/stats").get_json()["articles"] == before
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({}, 400, "'text' is required"),
        ({"text": ""}, 400, "must not be empty"),
        ({"text": None}, 400, "must be a string"),
        ({"text": "!!! ???"}, 422, "no words"),
        ({"text": "words", "limit": 0}, 400, "between 1 and 200"),
        ({"text": "words", "limit": 201}, 400, "between 1 and 200"),
        ({"text": "words", "limit": "5"}, 400, "integer"),
        ({"text": "words", "url": "javascript:alert(1)"}, 400, "http or https"),
    ],
)
def test_bad_match_requests(client, body, status, message):
    assert_error(client.post("/api/v1/match", json=body), status, message)


def test_text_with_a_lone_surrogate_is_refused(client):
    body = '{"text": "\\ud800 lone surrogate"}'
    assert_error(client.post("/api/v1/match", data=body, content_type="application/json"), 400, "surrogate")


def test_text_over_the_limit_is_413(db_path):
    from server import create_app

    client = create_app({"DATABASE": db_path, "MAX_TEXT_BYTES": 1000}).test_client()
    assert_error(client.post("/api/v1/match", json={"text": "word " * 300}), 413, "1000 bytes")
    assert_error(post_articles(client, article("https://a.example/x", "word " * 300)), 413)
    assert_error(client.post("/api/v1/match", data="x" * 100_000, content_type="application/json"), 413)


def test_bodies_that_are_not_json(client):
    assert_error(client.post("/api/v1/match", data="text=hello"), 415, "JSON")
    assert_error(client.post("/api/v1/match", data="{not json", content_type="application/json"), 400, "not valid JSON")
    assert_error(client.post("/api/v1/match", data=b"\xff\xfe{}", content_type="application/json"), 400)


def test_every_error_is_json(client):
    assert_error(client.get("/api/v1/nowhere"), 404)
    assert_error(client.get("/api/v1/match"), 405)
    assert_error(client.delete("/api/v1/articles"), 405)
    assert_error(client.get("/api/v1/articles/12345"), 404, "12345")
    assert_error(client.get("/api/v1/articles/1/matches?limit=x"), 404)


def test_two_apps_in_one_process_keep_their_own_databases(tmp_path):
    from server import create_app

    first = create_app({"DATABASE": str(tmp_path / "first.db")}).test_client()
    second = create_app({"DATABASE": str(tmp_path / "second.db")}).test_client()
    assert post_articles(first, article("https://a.example/1", WIRE_STORY)).status_code == 201
    assert first.get("/api/v1/stats").get_json()["articles"] == 1
    assert second.get("/api/v1/stats").get_json()["articles"] == 0
    assert first.post("/api/v1/match", json={"text": WIRE_STORY}).get_json()["matches"]


def test_a_url_twice_in_one_batch_leaves_only_its_last_text_in_the_index(client, db_path):
    from fingerprints import fingerprint

    first, second = WIRE_STORY, UNRELATED_STORY
    response = post_articles(client, article("https://a.example/1", first), article("https://a.example/1", second))
    assert [item["status"] for item in response.get_json()["articles"]] == ["created", "updated"]
    with sqlite3.connect(db_path) as connection:
        stored = sorted(hash_ for (hash_,) in connection.execute("SELECT hash FROM posting"))
        bands = sorted(key for (key,) in connection.execute("SELECT key FROM band"))
    assert stored == sorted(fingerprint(second).winnowed.tolist())
    assert bands == sorted(fingerprint(second).band_keys)
    assert client.post("/api/v1/match", json={"text": first}).get_json()["matches"] == []
