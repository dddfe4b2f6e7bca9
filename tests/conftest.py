"""Shared fixtures: a real SQLite file per test, the app, and a contract helper."""

from __future__ import annotations

import pytest

from server import create_app


@pytest.fixture
def db_path(tmp_path):
    return str(tmp_path / "wiretrace.db")


@pytest.fixture
def app(db_path):
    return create_app({"DATABASE": db_path})


@pytest.fixture
def client(app):
    return app.test_client()


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
