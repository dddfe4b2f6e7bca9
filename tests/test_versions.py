"""Same-outlet versions through the API: an article updated in place keeps every earlier text, newest first."""

from __future__ import annotations

import csv
import io

from tests.conftest import assert_error
from tests.texts import UNRELATED_STORY, WIRE_STORY

URL = "https://www.ledger.example/news/port-strike"


def test_every_earlier_text_is_kept_newest_first_and_pages(client):
    texts = [
        WIRE_STORY,
        WIRE_STORY + "\n\nUpdate: talks resume.",
        WIRE_STORY + "\n\nUpdate: deal reached.",
        UNRELATED_STORY,
    ]
    for number, text in enumerate(texts):
        response = client.post("/api/v1/articles", json={"url": URL, "text": text, "title": f"take {number}"})
        assert response.status_code in (200, 201)
    # The same text again is not a new version; a changed title alone is not either.
    client.post("/api/v1/articles", json={"url": URL, "text": texts[-1], "title": "retitled"})
    article_id = response.get_json()["articles"][0]["id"]
    body = client.get(f"/api/v1/articles/{article_id}/versions").get_json()
    assert body["article"] == {"id": article_id, "url": URL}
    assert [version["text"] for version in body["versions"]] == texts[:-1][::-1]
    assert [version["title"] for version in body["versions"]] == ["take 2", "take 1", "take 0"]
    assert body["next_cursor"] is None
    assert client.get(f"/api/v1/articles/{article_id}").get_json()["article"]["text"] == texts[-1]

    first = client.get(f"/api/v1/articles/{article_id}/versions?limit=2").get_json()
    assert [v["title"] for v in first["versions"]] == ["take 2", "take 1"] and first["next_cursor"]
    rest = client.get(f"/api/v1/articles/{article_id}/versions?limit=2&cursor={first['next_cursor']}").get_json()
    assert [v["title"] for v in rest["versions"]] == ["take 0"] and rest["next_cursor"] is None

    exported = client.get(f"/api/v1/articles/{article_id}/versions?format=csv")
    assert exported.mimetype == "text/csv"
    assert [row["title"] for row in csv.DictReader(io.StringIO(exported.get_data(as_text=True)))] == [
        "take 2",
        "take 1",
        "take 0",
    ]
    assert client.get(f"/api/v1/articles/{article_id}/versions?since=2999-01-01").get_json()["versions"] == []


def test_errors(client):
    assert_error(client.get("/api/v1/articles/999/versions"), 404, "no article with id 999")
    response = client.post("/api/v1/articles", json={"url": URL, "text": WIRE_STORY})
    article_id = response.get_json()["articles"][0]["id"]
    assert client.get(f"/api/v1/articles/{article_id}/versions").get_json()["versions"] == []
    assert_error(client.get(f"/api/v1/articles/{article_id}/versions?limit=0"), 400, "'limit'")
    assert_error(client.get(f"/api/v1/articles/{article_id}/versions?cursor=WyJ4Il0"), 400, "'cursor'")
    assert_error(client.get(f"/api/v1/articles/{article_id}/versions?format=xml"), 400, "'format'")
