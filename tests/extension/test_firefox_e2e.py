"""End-to-end: the built extension in headless Firefox ESR against the real wiretrace server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from e2e_support import (
    EXTENSION_SOURCE,
    FIREFOX,
    PAGE_STORY,
    expected_rows,
    passage_union,
    post_json,
    squash,
)
from newspages import FURNITURE_PHRASES, NewsSite

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).with_name("firefox_e2e.mjs")
UUID = "6f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"


def test_firefox_click_to_matches(built_extension, api_server, news_pages, stories, artifacts, tmp_path):
    """The popup in Firefox ESR lists the matches the server finds and marks the copied passages.

    A headless Firefox has no toolbar that can be clicked (and BiDi offers no way to click a
    browser action), so the test opens the popup's own page, popup.html?tabId=N, in a tab, naming
    the news tab to check. With no click there is no activeTab grant either: the news page is served
    from 127.0.0.1, which the extension's host permissions (for its default server) already cover.
    The extension's moz-extension:// UUID is pinned through a preference so its pages have known URLs.
    """
    if not Path(FIREFOX).exists():
        pytest.skip(f"Firefox ESR is not installed ({FIREFOX}); run extension/install-test-deps.sh")
    if not shutil.which("node"):
        pytest.fail("node is needed to drive Firefox: run extension/install-test-deps.sh")
    manifest = json.loads((built_extension / "firefox" / "manifest.json").read_text())
    site = NewsSite(news_pages, host="127.0.0.1")
    news_url = site.base + "/port-strike.html"
    config = {
        "extensionSource": str(EXTENSION_SOURCE),
        "extensionDir": str(built_extension / "firefox"),
        "firefox": FIREFOX,
        "geckoId": manifest["browser_specific_settings"]["gecko"]["id"],
        "uuid": UUID,
        "newsUrl": news_url,
        "apiUrl": api_server.url,
        "screenshot": str(artifacts / "firefox-popup.png"),
    }
    try:
        # Firefox's throwaway profile goes to TMPDIR: keep it under pytest's temporary folder.
        done = subprocess.run(
            ["node", str(SCRIPT), json.dumps(config)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
    finally:
        site.close()
    assert done.returncode == 0, f"firefox_e2e.mjs failed:\n{done.stdout}\n{done.stderr}"
    result = json.loads(done.stdout.strip().splitlines()[-1])

    assert result["state"] == "ok", result
    sent = result["sent"]
    for phrase in FURNITURE_PHRASES:
        assert phrase not in sent
    status, answer = post_json(api_server.url + "/api/v1/match", {"text": sent, "url": news_url})
    assert status == 200 and answer["matches"], answer
    expected = expected_rows(answer)
    assert [{key: row[key] for key in expected[0]} for row in result["rows"]] == expected
    assert [row["href"] for row in result["rows"] if row["origin"]] == [stories[PAGE_STORY]["origin"]]
    assert result["badge"] == str(len(expected))

    union = passage_union(answer["matches"])
    assert squash(" ".join(result["marks"])) == squash(" ".join(sent[start:end] for start, end in union))
