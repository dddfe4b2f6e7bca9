"""The research pages in a real browser: outlets, one outlet, search and the API reference.

A real server on a loopback port (the demo registry and corpus loaded, plus
one article with hostile markup in it), driven by headless Chromium through
playwright. Screenshots go to artifacts/research/.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from server import create_app
from server.cli import load_demo_if_empty
from server.db import database
from server.registry_csv import load_demo_registry
from tests.conftest import serving

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "research"
HOSTILE_TITLE = "<img src=x onerror=\"document.title='pwned'\">Lighthouse <b>bold</b> claim"
HOSTILE_TEXT = "The lighthouse <script>document.title='pwned'</script> keeper said the harbour lamp was relit."

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    app = create_app({"DATABASE": str(tmp_path_factory.mktemp("research") / "wiretrace.db")})
    with app.app_context():
        with database.connection_context():
            load_demo_registry()
        load_demo_if_empty(app)
    posted = app.test_client().post(
        "/api/v1/articles",
        json={"url": "https://www.harbourtimes.example/x", "title": HOSTILE_TITLE, "text": HOSTILE_TEXT},
    )
    assert posted.status_code == 201
    with serving(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium_browser):
    return chromium_browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    # The pages need nothing from outside: any request off loopback fails the test.
    outside: list[str] = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("http://127.0.0.1")
            else (outside.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors
    assert not outside, outside


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def api(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def test_outlets_page_lists_the_registry_and_filters_by_label(page, server_url):
    page.goto(f"{server_url}/outlets")
    rows = page.locator("table.outlets tbody tr")
    assert rows.count() == 10
    wire = rows.filter(has_text="Northline Wire")
    assert wire.locator(".badge").all_inner_texts() == ["wire agency"]
    assert "GB" in wire.inner_text() and "en-GB" in wire.inner_text()
    herald = rows.filter(has_text="Northstar Herald")
    assert herald.locator(".badge").all_inner_texts() == ["state-affiliated media"]
    expected = {o["name"]: o["article_count"] for o in api(f"{server_url}/api/v1/outlets")["outlets"]}
    assert herald.locator("td.num").inner_text() == str(expected["northstarherald.example"])
    shot(page, "outlets")

    page.select_option("select[name=label]", "wire agency")
    page.click("form.filters button")
    page.wait_for_url("**/outlets?*label=wire+agency*")
    assert sorted(page.locator("table.outlets tbody tr td:first-child a").all_inner_texts()) == [
        "Meridian Press Agency",
        "Northline Wire",
    ]
    shot(page, "outlets-wire-agencies")


def test_outlet_page_shows_facts_badges_articles_and_the_copying_placeholder(page, server_url):
    page.goto(f"{server_url}/outlets")
    page.click("text=Northstar Herald")
    page.wait_for_url("**/outlets/northstarherald.example")
    assert page.locator("h1").inner_text().startswith("Northstar Herald")
    assert page.locator("h1 .badge").inner_text() == "state-affiliated media"
    facts = page.locator("dl.facts").inner_text()
    assert "CA (Canada)" in facts and "northstarherald.example" in facts and "Ministry of Information" in facts
    detail = api(f"{server_url}/api/v1/outlets/northstarherald.example")["outlet"]
    assert page.locator("dd.count").inner_text() == str(detail["article_count"])
    titles = page.locator("table.recent tbody tr td:nth-child(2)").all_inner_texts()
    assert titles == [article["title"] for article in detail["recent_articles"]]
    assert page.locator("#copying").is_visible()
    shot(page, "outlet")

    # The copying section shows what the API's outlet_copying says: whom the outlet copies, who copies it.
    shown_any = False
    for name in ("meridianpress.example", "harbourtimes.example", "northstarherald.example"):
        copying = api(f"{server_url}/api/v1/outlets/{name}")["outlet"]["copying"]
        page.goto(f"{server_url}/outlets/{name}")
        for kind, rows in (("copied-from", copying["copied_from"]), ("republished-by", copying["republished_by"])):
            cells = page.locator(f"#copying table.{kind} tbody tr").all_inner_texts()
            assert [" ".join(cell.split()) for cell in cells] == [
                f"{row['outlet']} {row['articles']} {row['words']}" for row in rows
            ]
            shown_any = shown_any or bool(rows)
        if copying["republished_by"]:
            shot(page, "outlet-copying")
    assert shown_any, "the demo corpus should give some outlet copying statistics"

    page.goto(f"{server_url}/outlets/no.such.outlet")
    assert page.locator("h1").inner_text() == "No such outlet"


def test_search_page_highlights_hits_filters_and_pages(page, server_url):
    page.goto(f"{server_url}/search")
    page.fill("input[name=q]", "reservoirs")
    page.click("form.filters button")
    page.wait_for_url("**/search?q=reservoirs*")
    results = page.locator("ol.results > li")
    hits = api(f"{server_url}/api/v1/articles?q=reservoirs&limit=20")["articles"]
    assert results.count() == len(hits) > 2
    assert results.locator(".title").all_inner_texts() == [hit["title"] for hit in hits]
    marks = page.locator("ol.results mark").all_inner_texts()
    assert marks and all(mark.lower() == "reservoirs" for mark in marks)
    shot(page, "search")

    page.fill("input[name=outlet]", "coastalrecord.example")
    page.click("form.filters button")
    page.wait_for_load_state()
    assert set(page.locator("ol.results .meta a").all_inner_texts()) == {"coastalrecord.example"}

    page.goto(f"{server_url}/search?q=reservoirs&limit=2")
    first = page.locator("ol.results .title").all_inner_texts()
    page.click("a[rel=next]")
    page.wait_for_load_state()
    second = page.locator("ol.results .title").all_inner_texts()
    assert len(first) == 2 and second and not set(first) & set(second)


def test_search_page_shows_stored_markup_as_text(page, server_url):
    page.goto(f"{server_url}/search?q=lighthouse%20relit")
    result = page.locator("ol.results > li")
    assert result.count() == 1
    assert result.locator(".title").inner_text() == HOSTILE_TITLE
    assert "<script>" in result.locator(".snippet").inner_text()
    assert page.locator("ol.results img, ol.results script, ol.results b").count() == 0
    assert page.title() != "pwned"
    shot(page, "search-hostile")


def test_search_page_explains_a_bad_query(page, server_url):
    response = page.goto(f"{server_url}/search?q=%22unterminated")
    assert response.status == 400
    assert "not a valid search query" in page.locator(".error").inner_text()
    assert page.locator("input[name=q]").input_value() == '"unterminated'
    shot(page, "search-error")


def test_api_reference_lists_every_operation_of_the_document(page, server_url):
    document = api(f"{server_url}/api/v1/openapi.json")
    page.goto(f"{server_url}/outlets")
    page.click("text=API reference")
    page.wait_for_url("**/api/docs")
    sections = page.locator("section.operation")
    expected = [f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item]
    assert sections.locator("h2").all_inner_texts() == expected
    put = page.locator("section.operation", has_text="PUT /api/v1/outlets/{name}")
    body = put.locator("table.body").inner_text()
    assert "domains" in body and "labels" in body and "country" in body
    assert "409" in put.locator("table.responses").inner_text()
    search = page.locator("section.operation", has=page.locator("h2", has_text="GET /api/v1/articles"))
    parameters = search.first.locator("table.parameters").inner_text()
    assert all(name in parameters for name in ("q", "outlet", "limit", "cursor", "format", "since", "until"))
    shot(page, "api-docs")
