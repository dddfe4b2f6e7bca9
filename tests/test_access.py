"""Access: API keys with scopes, rate limits, CORS; and privacy of queries and logs."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from server import create_app
from server.cli import main
from tests.conftest import assert_error
from tests.texts import UNRELATED_STORY, WIRE_STORY

OTHER = {"REMOTE_ADDR": "203.0.113.5"}  # a documentation address: not loopback, so limits apply


def make_key(db_path, name, *scopes):
    arguments = ["keys", "create", name, "--db", db_path]
    for scope in scopes:
        arguments += ["--scope", scope]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()[0]


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def article_body(url="https://a.example/1", text=WIRE_STORY):
    return {"articles": [{"url": url, "text": text}]}


def test_without_keys_a_fresh_install_is_open(client):
    assert client.post("/api/v1/articles", json=article_body()).status_code == 201
    assert client.post("/api/v1/match", json={"text": WIRE_STORY}).status_code == 200


def test_scopes_decide_what_a_key_may_do(db_path):
    reader = make_key(db_path, "reader", "read")
    writer = make_key(db_path, "writer", "write")
    admin = make_key(db_path, "admin", "admin")
    client = create_app({"DATABASE": db_path}).test_client()
    # A key exists, so writes are closed to anonymous callers.
    assert_error(client.post("/api/v1/articles", json=article_body()), 401, "Bearer")
    assert_error(client.post("/api/v1/articles", json=article_body(), headers=bearer(reader)), 403, "'write' scope")
    assert client.post("/api/v1/articles", json=article_body(), headers=bearer(writer)).status_code == 201
    # Reads stay public, and a write key reads too.
    assert client.post("/api/v1/match", json={"text": WIRE_STORY}).status_code == 200
    assert client.post("/api/v1/match", json={"text": WIRE_STORY}, headers=bearer(writer)).status_code == 200
    # Only admin keys list keys, and the listing never shows a key or its hash.
    assert_error(client.get("/api/v1/keys", headers=bearer(writer)), 403, "'admin' scope")
    listing = client.get("/api/v1/keys", headers=bearer(admin)).get_json()["keys"]
    assert [key["name"] for key in listing] == ["reader", "writer", "admin"]
    assert writer not in json.dumps(listing)
    assert all(set(key) == {"name", "prefix", "scopes", "created_at", "revoked_at"} for key in listing)
    # A wrong or malformed key is refused even where no key is needed.
    assert_error(client.post("/api/v1/match", json={"text": "x y"}, headers=bearer("wt_not-a-key")), 401, "not valid")
    assert_error(client.get("/api/v1/stats", headers={"Authorization": "Basic abc"}), 401, "Bearer")


def test_revoked_keys_stop_working(db_path):
    writer = make_key(db_path, "writer", "write")
    client = create_app({"DATABASE": db_path}).test_client()
    assert client.post("/api/v1/articles", json=article_body(), headers=bearer(writer)).status_code == 201
    result = CliRunner().invoke(main, ["keys", "revoke", "writer", "--db", db_path])
    assert result.exit_code == 0 and "revoked" in result.output
    assert_error(client.post("/api/v1/articles", json=article_body(), headers=bearer(writer)), 401, "revoked")
    again = CliRunner().invoke(main, ["keys", "revoke", "writer", "--db", db_path])
    assert again.exit_code != 0 and "no live key" in again.output


def test_keys_are_stored_hashed(db_path):
    key = make_key(db_path, "writer", "write")
    stored = b"".join(path.read_bytes() for path in Path(db_path).parent.glob("wiretrace.db*"))
    assert key.encode() not in stored
    assert key.startswith("wt_") and len(key) > 40


def test_bad_key_requests_from_the_cli(db_path):
    make_key(db_path, "dup", "read")
    duplicate = CliRunner().invoke(main, ["keys", "create", "dup", "--db", db_path])
    assert duplicate.exit_code != 0 and "exists already" in duplicate.output
    bad_name = CliRunner().invoke(main, ["keys", "create", "no spaces", "--db", db_path])
    assert bad_name.exit_code != 0 and "key name" in bad_name.output
    listing = json.loads(CliRunner().invoke(main, ["keys", "list", "--db", db_path, "--json"]).output)
    assert [key["name"] for key in listing] == ["dup"]


def test_reads_can_require_a_key(db_path):
    reader = make_key(db_path, "reader", "read")
    client = create_app({"DATABASE": db_path, "READ_ACCESS": "key"}).test_client()
    assert_error(client.post("/api/v1/match", json={"text": WIRE_STORY}), 401, "'read' scope")
    assert_error(client.get("/api/v1/stats"), 401)
    assert client.get("/api/v1/stats", headers=bearer(reader)).status_code == 200
    assert client.get("/api/v1/health").status_code == 200


def test_writes_can_require_a_key_before_any_exists(db_path):
    client = create_app({"DATABASE": db_path, "WRITE_ACCESS": "key"}).test_client()
    assert_error(client.post("/api/v1/articles", json=article_body()), 401)


def test_rate_limits_per_address_and_per_key(db_path):
    key = make_key(db_path, "busy", "read")
    app = create_app({"DATABASE": db_path, "RATE_LIMIT": "3 per minute", "RATE_LIMIT_KEYED": "5 per minute"})
    client = app.test_client()
    for _ in range(3):
        assert client.get("/api/v1/stats", environ_base=OTHER).status_code == 200
    limited = client.get("/api/v1/stats", environ_base=OTHER)
    body = assert_error(limited, 429, "rate limit exceeded")
    assert "3 per 1 minute" in body["error"]
    assert int(limited.headers["Retry-After"]) > 0
    # Another address has its own allowance; so has a key, whatever its address.
    assert client.get("/api/v1/stats", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200
    keyed = [client.get("/api/v1/stats", environ_base=OTHER, headers=bearer(key)).status_code for _ in range(6)]
    assert keyed == [200] * 5 + [429]
    # This machine is not limited.
    assert {client.get("/api/v1/stats").status_code for _ in range(10)} == {200}


def test_the_client_address_comes_from_the_proxy_only_when_configured(db_path):
    forwarded = {"X-Forwarded-For": "198.51.100.9"}
    direct = create_app({"DATABASE": db_path, "RATE_LIMIT": "1 per minute"}).test_client()
    # Without PROXY_COUNT the header is ignored: this loopback request is not limited.
    assert {direct.get("/api/v1/stats", headers=forwarded).status_code for _ in range(3)} == {200}
    proxied = create_app({"DATABASE": db_path, "RATE_LIMIT": "1 per minute", "PROXY_COUNT": 1}).test_client()
    assert proxied.get("/api/v1/stats", headers=forwarded).status_code == 200
    assert_error(proxied.get("/api/v1/stats", headers=forwarded), 429)


def test_cors_only_for_configured_origins_and_extensions(db_path):
    client = create_app({"DATABASE": db_path, "CORS_ORIGINS": "https://newsroom.example"}).test_client()

    def allowed(origin):
        response = client.get("/api/v1/health", headers={"Origin": origin})
        return response.headers.get("Access-Control-Allow-Origin")

    assert allowed("https://newsroom.example") == "https://newsroom.example"
    assert (
        allowed("chrome-extension://abcdefghijklmnopabcdefghijklmnop")
        == "chrome-extension://abcdefghijklmnopabcdefghijklmnop"
    )
    assert allowed("moz-extension://0f5e3c1a-2b4d-4c6e-8f00-123456789abc") is not None
    assert allowed("https://evil.example") is None
    assert allowed("https://newsroom.example.evil.example") is None
    preflight = client.options(
        "/api/v1/match",
        headers={
            "Origin": "https://newsroom.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.headers.get("Access-Control-Allow-Origin") == "https://newsroom.example"
    assert "authorization" in preflight.headers.get("Access-Control-Allow-Headers", "").lower()


SENTINEL = "Quillwort marmalade zephyr obligato"


def test_a_match_query_leaves_no_trace_in_the_database(client, db_path):
    client.post("/api/v1/articles", json=article_body(text=UNRELATED_STORY))
    query = f"{SENTINEL} " + WIRE_STORY
    assert client.post("/api/v1/match", json={"text": query, "url": "https://private.example/draft"}).status_code == 200
    assert client.get("/api/v1/stats").get_json()["articles"] == 1
    stored = b"".join(path.read_bytes() for path in Path(db_path).parent.glob("wiretrace.db*"))
    assert SENTINEL.encode() not in stored
    assert b"private.example" not in stored


def test_logs_never_contain_text(client, caplog):
    caplog.set_level(logging.DEBUG)
    client.post("/api/v1/articles", json=article_body(text=f"{SENTINEL} {WIRE_STORY}"))
    client.post("/api/v1/match", json={"text": f"{SENTINEL} {WIRE_STORY}"})
    client.post("/api/v1/match", json={"text": SENTINEL, "limit": "bad"})
    client.post("/api/v1/articles", data=f'{{"articles": [{{"text": "{SENTINEL}"', content_type="application/json")
    assert SENTINEL not in caplog.text


def test_the_servers_own_log_never_contains_text(tmp_path):
    from tests.test_end_to_end import call, free_port

    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("wiretrace")),
                "serve",
                "--db",
                str(tmp_path / "s.db"),
                "--port",
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/api/v1/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.1)
            call(base, "/api/v1/articles", article_body(text=f"{SENTINEL} {WIRE_STORY}"))
            call(base, "/api/v1/match", {"text": f"{SENTINEL} {WIRE_STORY}"})
            call(base, "/api/v1/match", {"text": SENTINEL, "limit": -1})
        finally:
            process.terminate()
            process.wait(timeout=10)
    logged = log_path.read_text(errors="replace")
    assert "POST /api/v1/match" in logged
    assert SENTINEL not in logged


@pytest.mark.parametrize("path", ["/api/v1/health", "/demo/"])
def test_public_pages_stay_public_when_reads_need_keys(db_path, path):
    make_key(db_path, "someone", "read")
    client = create_app({"DATABASE": db_path, "READ_ACCESS": "key"}).test_client()
    assert client.get(path).status_code == 200


def test_an_invalid_key_does_not_close_the_public_health_check(db_path):
    client = create_app({"DATABASE": db_path, "RATE_LIMIT": "2 per minute"}).test_client()
    for _ in range(2):
        assert client.get("/api/v1/health", headers=bearer("stale"), environ_base=OTHER).status_code == 200
    assert_error(client.get("/api/v1/health", headers=bearer("stale"), environ_base=OTHER), 429)
