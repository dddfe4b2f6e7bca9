"""The story page in headless Chromium: a real server on a loopback port, the demo corpus, a screenshot.

The screenshot goes to artifacts/story-page.png (git-ignored) for a person to look at.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from server import create_app
from server.demo import DEMO_CORPUS
from tests.conftest import serving

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
EXPECTED = json.loads((DEMO_CORPUS.parent / "expected.json").read_text(encoding="utf-8"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    app = create_app({"DATABASE": str(tmp_path_factory.mktemp("story-page") / "wiretrace.db"), "RATE_LIMIT": "off"})
    articles = [json.loads(line) for line in DEMO_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    client = app.test_client()
    stored = client.post("/api/v1/articles", json={"articles": articles}).get_json()["articles"]
    with serving(app) as url:
        yield url, {item["url"]: item["id"] for item in stored}, client


@pytest.fixture(scope="module")
def page(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def test_story_page_shows_origin_timeline_copies_and_changes(live_server, page):
    base, ids, client = live_server
    expected = EXPECTED["stories"][0]
    origin_id = ids[expected["origin"]]
    story_id = client.get(f"/api/v1/articles/{origin_id}/matches").get_json()["story"]["id"]
    story = client.get(f"/api/v1/stories/{story_id}").get_json()["story"]
    copy = next(c for c in story["copies"] if c["article"]["url"] == expected["copies"][0])

    page.goto(f"{base}/stories/{story_id}?copy={copy['article']['id']}")
    assert page.locator("#origin .badge.origin").inner_text() == "meridianpress.example"
    assert "Port Aldren" in page.locator("#story-title").inner_text()
    # One dot per dated member, the origin's in its own colour.
    assert page.locator("svg.timeline circle.dot").count() == story["size"]
    assert page.locator("svg.timeline circle.origin").count() == 1
    assert page.locator("#copies tbody tr").count() == story["size"] - 1
    chosen = page.locator("#copies tr.chosen")
    assert chosen.get_attribute("data-article") == str(copy["article"]["id"])
    # Side by side: the shared passages are highlighted on both sides, with the copy's own changes marked.
    assert page.locator("#origin-side .shared").count() >= 1
    assert page.locator("#copy-side .shared").count() >= 1
    shared_text = "".join(page.locator("#copy-side .shared").all_inner_texts())
    assert len(shared_text) > 300
    summary = copy["changes"]["summary"]
    assert page.locator("#copy-side .added").count() >= (1 if summary["paragraphs_added"] else 0)
    assert page.locator("#origin-side .cut").count() >= (1 if summary["paragraphs_cut"] else 0)
    if summary["headline_rewritten"]:
        assert "headline rewritten" in page.locator("#copy-side h3").inner_text()
    highlighted = page.locator("#copy-side .shared").first.evaluate("e => getComputedStyle(e).backgroundColor")
    assert highlighted not in ("rgba(0, 0, 0, 0)", "transparent")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "story-page.png"), full_page=True)
    assert (ARTIFACTS / "story-page.png").stat().st_size > 10_000


def test_missing_story_page_is_a_clear_404(live_server, page):
    base, _, _ = live_server
    response = page.goto(f"{base}/stories/987654")
    assert response.status == 404
    assert "no story with id 987654" in page.locator("main").inner_text()


def test_story_page_obeys_read_access(tmp_path):
    from tests.conftest import assert_error

    app = create_app({"DATABASE": str(tmp_path / "closed.db"), "READ_ACCESS": "key"})
    assert_error(app.test_client().get("/stories/1"), 401, "API key")
