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

import base64
import json
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parents[2]
EXTENSION_SOURCE = REPO / "extension"
DIST = REPO / "dist"
ARTIFACTS = REPO / "artifacts"
CORPUS = REPO / "server" / "demo" / "corpus.jsonl"
EXPECTED = REPO / "server" / "demo" / "expected.json"
CHROMIUM = "/usr/bin/chromium"
FIREFOX = "/usr/bin/firefox-esr"

# The demo story the news page carries, and a copy of it the database must not hold (the page is it).
PAGE_STORY = "port-strike"
PAGE_ARTICLE = "https://www.eastgatepost.example/news/2026/03/09/port-aldren-dockworkers-walk-out"
# A hostile title, ingested as a copy of another story.
XSS_TITLE = "<img src=x onerror=alert(1)>"
XSS_STORY = "brannock-manager"


# ---- building ---------------------------------------------------------------------------------------


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="session")
def built_extension() -> Path:
    """dist/ built from the current sources."""
    if not shutil.which("node") or not shutil.which("npm"):
        pytest.fail("node and npm are needed to build the extension: run extension/install-test-deps.sh")
    if not (EXTENSION_SOURCE / "node_modules").is_dir():
        done = _run(["npm", "ci", "--no-audit", "--no-fund"], EXTENSION_SOURCE)
        if done.returncode:
            pytest.fail(f"`npm ci` in extension/ failed:\n{done.stdout}\n{done.stderr}")
    hashed = _run(["node", "build.mjs", "--print-source-hash"], EXTENSION_SOURCE)
    if hashed.returncode:
        pytest.fail(f"can't hash the extension's sources:\n{hashed.stderr}")
    info_file = DIST / "extension-build.json"
    info = json.loads(info_file.read_text()) if info_file.exists() else {}
    complete = all((DIST / target / "manifest.json").exists() for target in ("chromium", "firefox"))
    if info.get("sourceHash") != hashed.stdout.strip() or not complete:
        done = _run(["npm", "run", "build"], EXTENSION_SOURCE)
        if done.returncode:
            pytest.fail(f"`npm run build` in extension/ failed:\n{done.stdout}\n{done.stderr}")
    return DIST


# ---- servers ----------------------------------------------------------------------------------------


class LiveServer:
    """A WSGI app served in a thread; records the requests it receives as (method, path)."""

    def __init__(self, app, host: str = "127.0.0.1") -> None:
        self.requests: list[tuple[str, str]] = []

        def recording(environ, start_response):
            self.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
            return app(environ, start_response)

        self._server = make_server(host, 0, recording, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def matched(self) -> int:
        return sum(1 for method, path in self.requests if (method, path) == ("POST", "/api/v1/match"))

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def post_json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


@pytest.fixture(scope="session")
def corpus() -> dict[str, dict]:
    if not CORPUS.exists():
        pytest.fail(f"the demo corpus {CORPUS} is missing")
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {row["url"]: row for row in rows}


@pytest.fixture(scope="session")
def stories() -> dict[str, dict]:
    return {story["name"]: story for story in json.loads(EXPECTED.read_text(encoding="utf-8"))["stories"]}


def create_server_app(database: Path, **config):
    try:
        from server import create_app
    except ImportError as error:  # the server is another developer's work in the same tree
        pytest.fail(f"the wiretrace server (server/) can't be imported: {error}")
    return create_app({"DATABASE": str(database), **config})


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


class RawCdpTarget:
    """A page target Playwright does not expose (the toolbar popup), driven over the browser's CDP
    session with Target.attachToTarget(flatten=False) and Target.sendMessageToTarget."""

    def __init__(self, browser_cdp, target_id: str, pump) -> None:
        self._cdp = browser_cdp
        self._pump = pump  # a Playwright call that lets the sync API dispatch events
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self.target_id = target_id
        browser_cdp.on("Target.receivedMessageFromTarget", self._on_message)
        self.session_id = browser_cdp.send("Target.attachToTarget", {"targetId": target_id, "flatten": False})[
            "sessionId"
        ]

    def _on_message(self, event: dict) -> None:
        if event.get("sessionId") != self.session_id:
            return
        message = json.loads(event["message"])
        if "id" in message:
            self._replies[message["id"]] = message

    def send(self, method: str, params: dict | None = None, timeout: float = 15) -> dict:
        self._next_id += 1
        call_id = self._next_id
        self._cdp.send(
            "Target.sendMessageToTarget",
            {"sessionId": self.session_id, "message": json.dumps({"id": call_id, "method": method, "params": params or {}})},
        )
        deadline = time.monotonic() + timeout
        while call_id not in self._replies:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no answer to {method} from the popup")
            self._pump()
        reply = self._replies.pop(call_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"popup script failed: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 15):
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"timed out waiting for {expression!r} in the popup")
            self._pump()

    def screenshot(self, path: Path) -> None:
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        try:
            self._cdp.send("Target.closeTarget", {"targetId": self.target_id})
        except Exception:  # already closed with its window
            pass


class ChromiumExtension:
    """The browser with the extension loaded, and what a test does with it."""

    def __init__(self, context, worker) -> None:
        self.context = context
        self.worker = worker
        self.id = worker.url.split("/")[2]
        self.cdp = context.browser.new_browser_cdp_session()

    def service_worker(self):
        """The extension's service worker (it may have been restarted since the last call)."""
        for worker in self.context.service_workers:
            if worker.url.startswith(f"chrome-extension://{self.id}/"):
                return worker
        return self.context.wait_for_event("serviceworker", timeout=10_000)

    def evaluate(self, script: str, arg=None):
        return self.service_worker().evaluate(script, arg)

    def use_settings(self, **settings) -> None:
        defaults = {"serverUrl": "http://127.0.0.1:5000", "apiKey": "", "autoCheck": False}
        self.evaluate("(s) => chrome.storage.local.set(s)", {**defaults, **settings})

    def open_page(self, url: str):
        page = self.context.new_page()
        page.goto(url)
        return page

    def tab_id(self, page) -> int:
        return self.evaluate("async (u) => (await chrome.tabs.query({})).find((t) => t.url === u).id", page.url)

    def click_action(self, page) -> RawCdpTarget:
        """Click the toolbar button for ``page``'s tab and return the popup that opens."""
        page.bring_to_front()
        session = self.context.new_cdp_session(page)
        target_id = session.send("Target.getTargetInfo")["targetInfo"]["targetId"]
        session.detach()
        self.cdp.send("Extensions.triggerAction", {"id": self.id, "targetId": target_id})
        popup_url = f"chrome-extension://{self.id}/popup.html"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for info in self.cdp.send("Target.getTargets")["targetInfos"]:
                if info["type"] == "page" and info["url"].startswith(popup_url):
                    return RawCdpTarget(self.cdp, info["targetId"], lambda: page.wait_for_timeout(15))
            page.wait_for_timeout(50)
        raise TimeoutError("the toolbar popup did not open")

    def badge(self, tab_id: int) -> str:
        return self.evaluate("(tabId) => chrome.action.getBadgeText({tabId})", tab_id)

    def stored_result(self, tab_id: int) -> dict:
        return self.evaluate("async (k) => (await chrome.storage.session.get(k))[k]", f"result:{tab_id}")


@pytest.fixture(scope="session")
def chromium(built_extension):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed ({CHROMIUM}); run extension/install-test-deps.sh")
    from playwright.sync_api import sync_playwright

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
    playwright = sync_playwright().start()
    context = None
    try:
        context = playwright.chromium.launch_persistent_context(
            str(REPO / ".pytest-tmp" / "chromium-profile") if False else _profile_dir(),
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
        playwright.stop()


_profiles: list[Path] = []


def _profile_dir() -> str:
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="wiretrace-chromium-"))
    _profiles.append(path)
    return str(path)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
