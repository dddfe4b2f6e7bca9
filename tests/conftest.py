"""Shared fixtures: a real SQLite file per test, the app, and a contract helper."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

from server import create_app

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "wiretrace.db")


@pytest.fixture
def app(db_path):
    return create_app({"DATABASE": db_path})


@pytest.fixture
def client(app):
    return app.test_client()


@contextmanager
def serving(app):
    """``app`` on a real loopback port, in a thread, for as long as the block runs; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole run.

    Playwright's sync API runs an event loop in this thread while it is
    started, so a second ``sync_playwright()`` would fail: the extension's
    browser and the pages' browser share this one.
    """
    from playwright.sync_api import sync_playwright

    driver = sync_playwright().start()
    yield driver
    driver.stop()


@pytest.fixture(scope="session")
def chromium_browser(playwright_driver):
    """Plain headless Chromium (no extension) for the server's HTML pages."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (make browsers)")
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, headless=True)
    yield browser
    browser.close()


def assert_error(response, status: int, contains: str | None = None) -> dict:
    """Every error has the one documented shape: {"ok": false, "error": str, "status": int}."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"ok", "error", "status"}
    assert body["ok"] is False
    assert body["status"] == status
    assert isinstance(body["error"], str) and body["error"]
    if contains is not None:
        assert contains in body["error"]
    return body
