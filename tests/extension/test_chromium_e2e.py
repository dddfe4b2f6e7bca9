"""End-to-end: the built extension in headless Chromium against the real wiretrace server.

The news pages are served from 127.0.0.2, a loopback address outside the extension's host
permissions (127.0.0.1 and localhost), so reading them relies on the activeTab grant that the
toolbar click gives, just as on a real news site.
"""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from e2e_support import (
    PAGE_ARTICLE,
    PAGE_STORY,
    XSS_TITLE,
    LiveServer,
    expected_rows,
    passage_union,
    post_json,
    squash,
)
from newspages import ASTRAL_PARAGRAPH, FURNITURE_PHRASES, NewsSite, article_page

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def news_site(news_pages):
    site = NewsSite(news_pages, host="127.0.0.2")
    yield site
    site.close()


@pytest.fixture
def checked(chromium, api_server, news_site):
    """Opens a news page, clicks the toolbar button and waits for the popup's answer."""
    opened = []

    def check(path: str, server_url: str | None = None):
        chromium.use_settings(serverUrl=server_url or api_server.url)
        page = chromium.open_page(news_site.base + path)
        popup = chromium.click_action(page)
        opened.append((page, popup))
        popup.wait_for("document.body && document.body.dataset.state")
        return page, popup

    check.site = news_site
    yield check
    for page, popup in opened:
        popup.close()
        page.close()


def popup_rows(popup) -> list[dict]:
    return popup.evaluate(
        """[...document.querySelectorAll('#matches li.match')].map((li) => ({
            outlet: li.querySelector('.outlet').textContent,
            relation: li.querySelector('.relation').textContent,
            title: li.querySelector('.title').textContent,
            href: li.querySelector('a.title') ? li.querySelector('a.title').href : null,
            date: li.querySelector('.date').textContent,
            ofPage: li.querySelector('.pct-query').textContent,
            ofTheirs: li.querySelector('.pct-match').textContent,
            origin: li.classList.contains('is-origin'),
        }))"""
    )


def page_marks(page) -> list[dict]:
    return page.evaluate(
        """[...document.querySelectorAll('mark.wiretrace-mark')].map((m) => ({
            match: Number(m.dataset.wiretraceMatch), passage: Number(m.dataset.wiretracePassage), text: m.textContent,
        }))"""
    )


def test_click_lists_the_matches_the_server_finds(chromium, checked, api_server, stories, artifacts):
    page, popup = checked("/port-strike.html")
    assert popup.evaluate("document.body.dataset.state") == "ok", popup.evaluate("document.body.innerText")

    tab = chromium.tab_id(page)
    sent = chromium.stored_result(tab)["text"]
    # Readability sent the article, not the furniture around it.
    assert "Port Aldren" in sent and ASTRAL_PARAGRAPH in sent
    for phrase in FURNITURE_PHRASES:
        assert phrase not in sent

    # What the server says about exactly that text is what the popup shows, in the same order.
    status, answer = post_json(api_server.url + "/api/v1/match", {"text": sent, "url": page.url})
    assert status == 200 and answer["matches"], answer
    expected = expected_rows(answer)
    rows = popup_rows(popup)
    assert [{k: row[k] for k in expected[0]} for row in rows] == expected

    # The story's origin (per the demo's ground truth) is published first and marked as such.
    origin_url = stories[PAGE_STORY]["origin"]
    assert [row["href"] for row in rows if row["origin"]] == [origin_url]
    assert "Likely origin" in popup.evaluate("document.getElementById('origin').textContent")
    copies = {origin_url, *stories[PAGE_STORY]["copies"]} - {PAGE_ARTICLE}
    assert copies <= {row["href"] for row in rows}

    assert popup.evaluate("document.getElementById('status').textContent").startswith(f"{len(rows)} other articles")
    assert chromium.badge(tab) == str(len(rows))
    popup.screenshot(artifacts / "chromium-popup.png")


def test_news_pages_are_closed_to_the_extension_until_clicked(chromium, news_site):
    """The extension holds no permission for news sites: only the click's activeTab opens one."""
    page = chromium.open_page(news_site.base + "/port-strike.html")
    page.bring_to_front()
    try:
        # Without access the tab's URL is hidden too, so the tab is found as the active one.
        tab = chromium.evaluate("async () => (await chrome.tabs.query({active: true, lastFocusedWindow: true}))[0]")
        assert "url" not in tab
        error = chromium.evaluate(
            """(tabId) => chrome.scripting.executeScript({target: {tabId}, func: () => document.title})
                .then(() => null, (e) => e.message)""",
            tab["id"],
        )
        assert error and "Cannot access" in error
    finally:
        page.close()


def test_highlight_marks_exactly_the_shared_passages(chromium, checked, api_server, artifacts):
    page, popup = checked("/port-strike.html")
    sent = chromium.stored_result(chromium.tab_id(page))["text"]
    _, answer = post_json(api_server.url + "/api/v1/match", {"text": sent, "url": page.url})
    matches = answer["matches"]
    assert len(matches) == popup.evaluate("document.querySelectorAll('li.match').length")

    for index, match in enumerate(matches):
        popup.evaluate(f"document.querySelector('.show-match[data-index=\"{index}\"]').click()")
        popup.wait_for(f"document.querySelector('.show-match[data-index=\"{index}\"]').ariaPressed === 'true'")
        marks = page_marks(page)
        assert {mark["match"] for mark in marks} == {index}
        # Server offsets count code points, as Python does: slicing `sent` here is the reference.
        for number, passage in enumerate(match["passages"]):
            marked = " ".join(mark["text"] for mark in marks if mark["passage"] == number)
            assert squash(marked) == squash(sent[passage["query_start"] : passage["query_end"]])
        assert {mark["passage"] for mark in marks} == set(range(len(match["passages"])))
        # A second click clears the marks.
        popup.evaluate(f"document.querySelector('.show-match[data-index=\"{index}\"]').click()")
        popup.wait_for(f"document.querySelector('.show-match[data-index=\"{index}\"]').ariaPressed === 'false'")
        assert page_marks(page) == []

    # "Show copied passages" marks the union of all matches' passages.
    popup.evaluate("document.getElementById('show-all').click()")
    popup.wait_for("document.getElementById('show-all').ariaPressed === 'true'")
    union = passage_union(matches)
    marked = " ".join(mark["text"] for mark in page_marks(page))
    assert squash(marked) == squash(" ".join(sent[start:end] for start, end in union))
    assert "marked on the page" in popup.evaluate("document.getElementById('highlight-note').textContent")
    page.screenshot(path=str(artifacts / "chromium-highlighted-page.png"))
    popup.screenshot(artifacts / "chromium-popup-highlighting.png")


def test_hostile_title_is_shown_as_text(chromium, checked, artifacts):
    _, popup = checked("/football.html")
    titles = popup.evaluate("[...document.querySelectorAll('#matches .title')].map((a) => a.textContent)")
    assert XSS_TITLE in titles
    assert popup.evaluate("document.querySelectorAll('#matches img').length") == 0
    assert popup.evaluate("document.querySelectorAll('img').length") == 1  # the heading's own icon
    popup.screenshot(artifacts / "chromium-popup-hostile-title.png")


def test_a_hostile_page_title_is_shown_as_text(chromium, checked):
    """Strings from the page itself are as untrusted as the server's."""
    _, popup = checked("/hostile-page.html")
    assert XSS_TITLE in popup.evaluate("document.body.textContent")
    assert popup.evaluate("document.querySelectorAll('img').length") == 1  # the heading's own icon
    assert popup.evaluate("document.querySelectorAll('[onerror]').length") == 0


def test_a_page_without_an_article_falls_back_to_its_main_text(chromium, checked, api_server):
    page, popup = checked("/no-article.html")
    assert popup.evaluate("document.body.dataset.state") == "ok"
    tab_id = chromium.tab_id(page)
    result = chromium.stored_result(tab_id)
    assert result["page"]["source"] == "page"
    assert popup.evaluate("document.querySelectorAll('#matches li.match').length") >= 1


def test_too_little_text_is_not_sent(chromium, checked, api_server, artifacts):
    before = api_server.matched()
    page, popup = checked("/short.html")
    assert popup.evaluate("document.body.dataset.state") == "too-short"
    status = popup.evaluate("document.getElementById('status').textContent")
    assert "Too little text" in status and "at least 40 words" in status
    assert api_server.matched() == before
    assert chromium.badge(chromium.tab_id(page)) == ""
    popup.screenshot(artifacts / "chromium-popup-too-short.png")


def test_no_matches_is_said_plainly(chromium, checked, api_server):
    before = api_server.matched()
    page, popup = checked("/unrelated.html")
    assert api_server.matched() == before + 1
    assert popup.evaluate("document.body.dataset.state") == "ok"
    assert popup.evaluate("document.getElementById('status').textContent").startswith("No matches:")
    assert popup.evaluate("document.querySelectorAll('#matches li').length") == 0
    assert popup.evaluate("document.getElementById('actions').hidden") is True
    assert chromium.badge(chromium.tab_id(page)) == "0"


def test_server_down_is_named(chromium, checked, artifacts):
    closed = LiveServer(lambda environ, start_response: [])
    down_url = closed.url
    closed.close()  # nothing listens on that port any more
    page, popup = checked("/port-strike.html", server_url=down_url)
    assert popup.evaluate("document.body.dataset.state") == "error"
    status = popup.evaluate("document.getElementById('status').textContent")
    assert f"Can't reach the wiretrace server at {down_url}" in status
    assert chromium.badge(chromium.tab_id(page)) == "!"
    popup.screenshot(artifacts / "chromium-popup-server-down.png")


def test_server_error_message_is_shown(chromium, checked, api_server):
    # The real server with a text limit smaller than the article answers 413 in its JSON shape.
    # (Its config is changed in place: a second app in this process would take over the first
    # one's database, see the note in e2e_support.create_server_app.)
    limit = api_server.app.config["MAX_TEXT_BYTES"]
    api_server.app.config["MAX_TEXT_BYTES"] = 200
    try:
        _, popup = checked("/port-strike.html")
        status = popup.evaluate("document.getElementById('status').textContent")
    finally:
        api_server.app.config["MAX_TEXT_BYTES"] = limit
    assert status.startswith("The wiretrace server answered with an error (HTTP 413):")
    assert "larger than the limit of 200 bytes" in status


def test_server_500_message_is_shown(chromium, checked):
    def broken(environ, start_response):
        start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "application/json")])
        return [b'{"ok": false, "error": "database is locked", "status": 500}']

    failing = LiveServer(broken)
    try:
        _, popup = checked("/port-strike.html", server_url=failing.url)
        status = popup.evaluate("document.getElementById('status').textContent")
    finally:
        failing.close()
    assert status == "The wiretrace server answered with an error (HTTP 500): database is locked"


def test_api_key_is_sent_as_bearer_token(chromium, checked, api_server):
    # The server knows this key (WIRETRACE_API_KEY's setting), so it accepts it.
    api_server.app.config["API_KEY"] = "reader-key-123"
    chromium.use_settings(serverUrl=api_server.url, apiKey="reader-key-123")
    before = len(api_server.requests)
    page = chromium.open_page(checked.site.base + "/port-strike.html")
    try:
        popup = chromium.click_action(page)
        popup.wait_for("document.body && document.body.dataset.state === 'ok'")
        popup.close()
    finally:
        page.close()
        api_server.app.config["API_KEY"] = None
    sent = [
        auth
        for (method, path), auth in zip(api_server.requests[before:], api_server.authorizations[before:], strict=True)
        if (method, path) == ("POST", "/api/v1/match")
    ]
    assert sent == ["Bearer reader-key-123"]


def test_automatic_checking_is_off_until_turned_on(chromium, api_server, news_pages):
    """Off (the default): loading a page sends nothing. On: the page is checked when it loads.

    The page is served from 127.0.0.1, which the extension may already read (its default server's
    host permission), standing in for the all-sites permission that turning the option on requests.
    """
    site = NewsSite(news_pages, host="127.0.0.1")
    try:
        chromium.use_settings(serverUrl=api_server.url, autoCheck=False)
        before = api_server.matched()
        page = chromium.open_page(site.base + "/port-strike.html")
        page.wait_for_timeout(1000)
        assert api_server.matched() == before
        assert chromium.badge(chromium.tab_id(page)) == ""
        page.close()

        chromium.use_settings(serverUrl=api_server.url, autoCheck=True)
        page = chromium.open_page(site.base + "/port-strike.html")
        tab = chromium.tab_id(page)
        deadline = time.monotonic() + 15
        while chromium.badge(tab) == "" and time.monotonic() < deadline:
            page.wait_for_timeout(100)
        assert api_server.matched() == before + 1
        assert chromium.badge(tab) == str(len(chromium.stored_result(tab)["matches"])) != "0"
        page.close()
    finally:
        chromium.use_settings(serverUrl=api_server.url, autoCheck=False)
        site.close()


def test_options_save_a_server_and_test_the_connection(chromium, api_server, artifacts):
    """Saving a server on localhost needs no extra permission; Test connection asks /api/v1/health."""
    local_url = api_server.url.replace("127.0.0.1", "localhost")
    page = chromium.context.new_page()
    try:
        page.goto(f"chrome-extension://{chromium.id}/options.html")
        page.fill("#serverUrl", local_url + "/")
        page.fill("#apiKey", "k")
        page.click("button[type=submit]")
        page.wait_for_function("() => document.getElementById('status').textContent === 'Saved.'")
        stored = chromium.evaluate("() => chrome.storage.local.get(null)")
        assert stored == {"serverUrl": local_url, "apiKey": "k", "autoCheck": False, "contribute": False}
        page.click("#test")
        page.wait_for_function("() => document.getElementById('status').classList.contains('ok')")
        assert page.text_content("#status") == f"The wiretrace server at {local_url} answers."
        page.fill("#serverUrl", "ftp://example.org")
        page.click("button[type=submit]")
        page.wait_for_function("() => document.getElementById('status').classList.contains('error')")
        assert "must start with http:// or https://" in page.text_content("#status")
        page.set_viewport_size({"width": 640, "height": 560})
        page.screenshot(path=str(artifacts / "chromium-options.png"))
    finally:
        page.close()
        chromium.use_settings(serverUrl=api_server.url)


def test_popup_enforces_its_content_security_policy(chromium, checked):
    """No inline script, no eval and no remote script can run in the extension's pages."""
    _, popup = checked("/football.html")
    popup.evaluate(
        "window.__violations = []; document.addEventListener('securitypolicyviolation', "
        "(e) => window.__violations.push(e.violatedDirective));"
        "const inline = document.createElement('script'); inline.textContent = 'window.__inline = 1';"
        "document.head.appendChild(inline);"
        "const remote = document.createElement('script'); remote.src = 'http://127.0.0.2:9/remote.js';"
        "document.head.appendChild(remote); 0"
    )
    popup.wait_for("window.__violations.length >= 2")
    assert popup.evaluate("window.__inline === undefined")
    violated = popup.evaluate("window.__violations")
    assert all(directive.startswith("script-src") for directive in violated)
    # eval from the page's own code path (setTimeout with a string) is refused too.
    popup.evaluate("window.__evaluated = false; setTimeout('window.__evaluated = true', 0); 0")
    popup.wait_for("window.__violations.length >= 3")
    assert popup.evaluate("window.__evaluated") is False


def attribution_tag(match: dict) -> str | None:
    """What the popup's attribution tag should say for one MATCH of the server's answer."""
    finding = match.get("attribution") or {}
    if finding.get("status") == "credited":
        names = ", ".join(finding["credited"][:3])
        return f"credits {names}" if names else "credits its source"
    if finding.get("status") == "uncredited":
        return "no credit"
    return None


def test_popup_names_the_story_its_origin_and_each_copys_attribution(chromium, checked, api_server, stories):
    # The registry labels the origin's outlet; the popup shows labels beside each match.
    origin_outlet = "meridianpress.example"
    request = urllib.request.Request(
        f"{api_server.url}/api/v1/outlets/{origin_outlet}",
        data=json.dumps({"labels": ["wire agency", "state-affiliated media"]}).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 201)
    page, popup = checked("/port-strike.html")
    assert popup.evaluate("document.body.dataset.state") == "ok"
    sent = chromium.stored_result(chromium.tab_id(page))["text"]
    _, answer = post_json(api_server.url + "/api/v1/match", {"text": sent, "url": page.url})
    story = answer["story"]
    assert story is not None and story["origin"]["url"] == stories[PAGE_STORY]["origin"]

    # The origin line is the server's story origin, which knows every copy.
    assert story["origin"]["outlet"] in popup.evaluate("document.getElementById('origin').textContent")
    link = popup.evaluate("document.getElementById('story-link').href")
    assert link == f"{api_server.url}/stories/{story['id']}"
    assert f"{story['size']} articles" in popup.evaluate("document.getElementById('story-link').textContent")

    shown = popup.evaluate(
        """[...document.querySelectorAll('#matches li.match')].map((li) => {
            const tag = li.querySelector('.attribution');
            return tag ? tag.textContent : null;
        })"""
    )
    expected = [attribution_tag(match) for match in answer["matches"]]
    assert shown == expected
    labels = popup.evaluate(
        """[...document.querySelectorAll('#matches li.match')].map((li) => [
            li.querySelector('.outlet').textContent,
            [...li.querySelectorAll('.outlet-label')].map((tag) => tag.textContent),
        ])"""
    )
    assert [tags for outlet, tags in labels if outlet == origin_outlet] == [["state-affiliated media", "wire agency"]]
    assert all(tags == [] for outlet, tags in labels if outlet != origin_outlet)
    # The demo's port strike has copies that credit the origin and copies that do not: both are told.
    assert "no credit" in shown and any(tag and tag.startswith("credits") for tag in shown)

    # The link leads to the server's story page for that story.
    story_page = chromium.open_page(link)
    try:
        assert story["origin"]["outlet"] in story_page.inner_text("body")
    finally:
        story_page.close()


FRESH_PARAGRAPHS = [
    "The Kestrel Valley water board voted on Tuesday evening to replace the ageing filter beds at its "
    "Millbrook plant, ending a dispute that had run through three winters of boil notices.",
    "Board members said the new beds would be built beside the old ones so that the plant keeps running, "
    "and that the work should be finished before the spring thaw raises the river again.",
    "Residents who packed the meeting hall cheered the vote, although several asked why the repairs had "
    "taken so long and who would pay for the temporary pumps hired during the last cold snap.",
]


def test_a_reader_can_add_a_page_the_corpus_lacks(chromium, api_server, artifacts):
    """Opt-in and keyed: the popup offers to add a page only when both are set and the corpus lacks it."""
    site = NewsSite(
        {
            "/fresh.html": article_page(
                title="Water board votes to rebuild filter beds",
                paragraphs=FRESH_PARAGRAPHS,
                published_at="2026-04-02T09:15:00Z",
            )
        },
        host="127.0.0.2",
    )
    api_server.app.config["API_KEY"] = "contributor-key"

    def open_popup():
        page = chromium.open_page(site.base + "/fresh.html")
        popup = chromium.click_action(page)
        popup.wait_for("document.body && document.body.dataset.state")
        return page, popup

    try:
        chromium.use_settings(serverUrl=api_server.url, apiKey="contributor-key", contribute=False)
        page, popup = open_popup()
        assert popup.evaluate("document.getElementById('contribute').hidden") is True
        popup.close()
        page.close()

        chromium.use_settings(serverUrl=api_server.url, apiKey="contributor-key", contribute=True)
        page, popup = open_popup()
        assert popup.evaluate("document.body.dataset.state") == "ok"
        assert popup.evaluate("document.getElementById('contribute').hidden") is False
        before = len(api_server.requests)
        popup.evaluate("document.getElementById('contribute-button').click()")
        note = popup.wait_for(
            "(() => { const t = document.getElementById('contribute-note').textContent;"
            " return /^Added|corpus already|error|Could not/.test(t) ? t : null; })()"
        )
        assert note.startswith("Added to the corpus as article "), note
        popup.screenshot(artifacts / "chromium-popup-contribute.png")
        article_id = int(note.rsplit(" ", 1)[1].rstrip("."))
        sent = chromium.stored_result(chromium.tab_id(page))["text"]
        writes = [
            auth
            for (method, path), auth in zip(
                api_server.requests[before:], api_server.authorizations[before:], strict=True
            )
            if (method, path) == ("POST", "/api/v1/articles")
        ]
        assert writes == ["Bearer contributor-key"]
        with urllib.request.urlopen(f"{api_server.url}/api/v1/articles/{article_id}", timeout=10) as response:
            stored = json.loads(response.read())["article"]
        assert stored["text"] == sent and stored["url"] == page.url
        assert stored["title"] == "Water board votes to rebuild filter beds"
        assert stored["published_at"] == "2026-04-02T09:15:00Z"
        popup.close()
        page.close()

        # Now the corpus has it: no second offer.
        page, popup = open_popup()
        assert popup.evaluate("document.getElementById('contribute').hidden") is True
        popup.close()
        page.close()
    finally:
        api_server.app.config["API_KEY"] = None
        chromium.use_settings(serverUrl=api_server.url)
        site.close()
