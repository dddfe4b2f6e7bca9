"""Plumbing for the extension's end-to-end tests.

- ``built_extension``: builds ``dist/`` with ``npm run build`` when it is missing or older than the
  sources (a hash of the sources is recorded by the build), or fails saying how to fix it;
- ``api_server``: the real wiretrace server (``server.create_app``) on a fresh SQLite file, served on
  127.0.0.1 at a free port, filled through ``POST /api/v1/articles`` with the demo corpus;
- ``chromium``: one headless Chromium with the unpacked extension for the whole session, and the
  helpers to click the toolbar button (``Extensions.triggerAction`` over the DevTools protocol, which
  grants ``activeTab`` exactly as a reader's click does) and to read the real popup through raw CDP.

Tests skip only when the browser binary is missing.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from e2e_support import (
    ARTIFACTS,
    CHROMIUM,
    CORPUS,
    DIST,
    EXPECTED,
    EXTENSION_SOURCE,
    PAGE_ARTICLE,
    XSS_STORY,
    XSS_TITLE,
    ChromiumExtension,
    LiveServer,
    create_server_app,
    post_json,
    run,
)
from newspages import demo_pages


@pytest.fixture(scope="session")
def built_extension() -> Path:
    """dist/ built from the current sources."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.fail("node and npm are needed to build the extension: run extension/install-test-deps.sh")
    if not (EXTENSION_SOURCE / "node_modules").is_dir():
        done = run(["npm", "ci", "--no-audit", "--no-fund"], EXTENSION_SOURCE)
        if done.returncode:
            pytest.fail(f"`npm ci` in extension/ failed:\n{done.stdout}\n{done.stderr}")
    hashed = run(["node", "build.mjs", "--print-source-hash"], EXTENSION_SOURCE)
    if hashed.returncode:
        pytest.fail(f"can't hash the extension's sources:\n{hashed.stderr}")
    info_file = DIST / "extension-build.json"
    info = json.loads(info_file.read_text()) if info_file.exists() else {}
    complete = all((DIST / target / "manifest.json").exists() for target in ("chromium", "firefox"))
    if info.get("sourceHash") != hashed.stdout.strip() or not complete:
        done = run(["npm", "run", "build"], EXTENSION_SOURCE)
        if done.returncode:
            pytest.fail(f"`npm run build` in extension/ failed:\n{done.stdout}\n{done.stderr}")
    return DIST


# ---- servers ----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def corpus() -> dict[str, dict]:
    if not CORPUS.exists():
        pytest.fail(f"the demo corpus {CORPUS} is missing")
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["url"]: row for row in rows}


@pytest.fixture(scope="session")
def stories() -> dict[str, dict]:
    return {story["name"]: story for story in json.loads(EXPECTED.read_text(encoding="utf-8"))["stories"]}


@pytest.fixture(scope="session")
def api_server(tmp_path_factory, corpus, stories):
    """The real server with the demo corpus, minus the article the news page carries, plus a copy
    of another story under a hostile title."""
    app = create_server_app(tmp_path_factory.mktemp("api") / "wiretrace.db")
    server = LiveServer(app)
    articles = [
        {key: row[key] for key in ("url", "text", "title", "outlet", "published_at")}
        for url, row in corpus.items()
        if url != PAGE_ARTICLE
    ]
    xss_source = corpus[stories[XSS_STORY]["copies"][0]]
    articles.append(
        {
            "url": "https://xss.example/news/copied",
            "outlet": "xss.example",
            "title": XSS_TITLE,
            "published_at": "2026-03-23T08:00:00Z",
            "text": xss_source["text"],
        }
    )
    status, body = post_json(server.url + "/api/v1/articles", {"articles": articles})
    assert status in (200, 201) and body["ok"], body
    yield server
    server.close()


# ---- Chromium -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium(built_extension, tmp_path_factory, playwright_driver):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed ({CHROMIUM}); run extension/install-test-deps.sh")
    extension_dir = built_extension / "chromium"
    args = [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # Lets the DevTools protocol click the toolbar button (Extensions.triggerAction).
        "--enable-unsafe-extension-debugging",
        # Playwright passes --disable-extensions; this overrides it for our extension only.
        f"--disable-extensions-except={extension_dir}",
        f"--load-extension={extension_dir}",
    ]
    playwright = playwright_driver
    context = None
    try:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=args,
            viewport={"width": 1100, "height": 800},
        )
        worker = (
            context.service_workers[0]
            if context.service_workers
            else context.wait_for_event("serviceworker", timeout=15_000)
        )
        yield ChromiumExtension(context, worker)
    finally:
        if context is not None:
            context.close()


@pytest.fixture(scope="session")
def news_pages(corpus, stories) -> dict[str, str]:
    """Path -> HTML of the news pages the tests open."""
    return demo_pages(corpus, stories)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
