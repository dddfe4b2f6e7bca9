"""What the extension's end-to-end tests share: paths, in-process servers, and the CDP helpers that
click the toolbar button and read the real popup in Chromium. The fixtures are in conftest.py."""

from __future__ import annotations

import base64
import contextlib
import json
import math
import re
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


RELATION_LABELS = {
    "duplicate": "duplicate",
    "contains": "contains",
    "contained_in": "contained in",
    "partial": "partial",
}


def percent(share: float) -> str:
    """A share as the popup shows it (JavaScript's Math.round, not Python's banker's rounding)."""
    if 0 < share < 0.005:
        return "<1%"
    return f"{math.floor(share * 100 + 0.5)}%"


def squash(text: str) -> str:
    """Whitespace-insensitive form: marks cover collapsed whitespace runs, the sent text has one space."""
    return re.sub(r"\s+", " ", text).strip()


def expected_rows(answer: dict) -> list[dict]:
    """What the popup must show for a /api/v1/match answer, in order."""
    return [
        {
            "outlet": m["article"]["outlet"],
            "relation": RELATION_LABELS[m["relation"]],
            "title": m["article"]["title"],
            "href": m["article"]["url"],
            "ofPage": percent(m["containment_query"]),
            "ofTheirs": percent(m["containment_match"]),
        }
        for m in answer["matches"]
    ]


def passage_union(matches: list[dict]) -> list[tuple[int, int]]:
    """The union of all matches' passages as sorted, disjoint [start, end) spans of the sent text."""
    spans = sorted((p["query_start"], p["query_end"]) for m in matches for p in m["passages"])
    union: list[list[int]] = []
    for start, end in spans:
        if union and start <= union[-1][1]:
            union[-1][1] = max(union[-1][1], end)
        else:
            union.append([start, end])
    return [(start, end) for start, end in union]


# ---- building ---------------------------------------------------------------------------------------


def run(command: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


# ---- servers ----------------------------------------------------------------------------------------


class LiveServer:
    """A WSGI app served in a thread; records the requests it receives as (method, path)."""

    def __init__(self, app, host: str = "127.0.0.1") -> None:
        self.app = app
        self.requests: list[tuple[str, str]] = []
        self.authorizations: list[str | None] = []

        def recording(environ, start_response):
            self.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
            self.authorizations.append(environ.get("HTTP_AUTHORIZATION"))
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


def create_server_app(database: Path, **config):
    """The real server's app on ``database``.

    Only one per test process: server.db binds its models through a module-level DatabaseProxy, so
    a second create_app() would silently point the first app at the second app's database.
    """
    try:
        from server import create_app
    except ImportError as error:  # the server is another developer's work in the same tree
        pytest.fail(f"the wiretrace server (server/) can't be imported: {error}")
    return create_app({"DATABASE": str(database), **config})


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
            {
                "sessionId": self.session_id,
                "message": json.dumps({"id": call_id, "method": method, "params": params or {}}),
            },
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
        with contextlib.suppress(Exception):  # already closed with its window
            self._cdp.send("Target.closeTarget", {"targetId": self.target_id})


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
        defaults = {"serverUrl": "http://127.0.0.1:5000", "apiKey": "", "autoCheck": False, "contribute": False}
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
        # triggerAction wants the *tab* target (the page target's parent), listed only on request.
        tabs = self.cdp.send("Target.getTargets", {"filter": [{"type": "tab"}]})["targetInfos"]
        [tab] = [info for info in tabs if info["url"] == page.url]
        self.cdp.send("Extensions.triggerAction", {"id": self.id, "targetId": tab["targetId"]})
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
