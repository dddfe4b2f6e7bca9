"""End to end: `wiretrace serve --demo` as a new user starts it, queried over loopback HTTP.

The demo corpus comes with its ground truth (server/demo/expected.json): every
copy must find its origin and sibling copies, embedded passages must be found,
and independent reports and shared quotations must not match.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPECTED = json.loads((ROOT / "server" / "demo" / "expected.json").read_text(encoding="utf-8"))
CORPUS = {
    record["url"]: record
    for record in map(json.loads, (ROOT / "server" / "demo" / "corpus.jsonl").read_text(encoding="utf-8").splitlines())
}


DEMO_DB: dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(base, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    DEMO_DB["path"] = str(db)
    port = free_port()
    log = (db.parent / "server.log").open("wb")
    wiretrace = Path(sys.executable).with_name("wiretrace")
    process = subprocess.Popen(
        [str(wiretrace), "serve", "--demo", "--db", str(db), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "WIRETRACE_API_KEY": ""},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if call(base, "/api/v1/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        log.close()
        pytest.fail("the server did not start: " + (db.parent / "server.log").read_text(errors="replace"))
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


def matched_urls(base, url):
    status, body = call(base, "/api/v1/match", {"text": CORPUS[url]["text"], "url": url, "limit": 50})
    assert status == 200, body
    return {match["article"]["url"]: match for match in body["matches"]}


def test_the_demo_corpus_is_loaded(demo_server):
    status, body = call(demo_server, "/api/v1/stats")
    assert status == 200 and body["articles"] == len(CORPUS)


@pytest.mark.parametrize("story", EXPECTED["stories"], ids=[story["name"] for story in EXPECTED["stories"]])
def test_every_copy_finds_its_origin_and_siblings_with_passages(demo_server, story):
    family = {story["origin"], *story["copies"]}
    for url in family:
        matches = matched_urls(demo_server, url)
        assert set(matches) >= family - {url}, url
        assert url not in matches
        for match in matches.values():
            assert match["passages"], match
            for passage in match["passages"]:
                assert passage["query_end"] > passage["query_start"]


def test_embedded_passages_are_found_as_partial_reuse(demo_server):
    for pair in EXPECTED["embedded"]:
        matches = matched_urls(demo_server, pair["url"])
        assert pair["source"] in matches
        assert matches[pair["source"]]["relation"] == "partial"


def test_independent_reports_and_shared_quotations_do_not_match(demo_server):
    pairs = [*EXPECTED["independent"], EXPECTED["shared_quotation"]]
    for first, second in pairs:
        assert second not in matched_urls(demo_server, first), (first, second)
        assert first not in matched_urls(demo_server, second), (second, first)


def test_demo_pages_are_served(demo_server):
    with urllib.request.urlopen(demo_server + "/demo/", timeout=10) as response:
        index = response.read().decode()
    assert response.status == 200 and "/demo/1" in index
    with urllib.request.urlopen(demo_server + "/demo/1", timeout=10) as response:
        page = response.read().decode()
    first = next(iter(CORPUS.values()))
    assert first["text"].split("\n\n")[0][:40].replace("&", "&amp;").replace('"', "&#34;")[:20] in page
    status, body = call(demo_server, "/demo/999")
    assert status == 404


def test_another_process_sees_an_article_as_soon_as_its_ingest_returns(demo_server, tmp_path):
    story = CORPUS[EXPECTED["stories"][0]["origin"]]["text"]
    reprint = "A reprint with a short new introduction of our own.\n\n" + story
    status, body = call(demo_server, "/api/v1/articles", {"url": "https://reprints.example/1", "text": reprint})
    assert status == 201 and body["articles"][0]["status"] == "created"
    query = tmp_path / "query.txt"
    query.write_text(story, encoding="utf-8")
    wiretrace = Path(sys.executable).with_name("wiretrace")
    result = subprocess.run(
        [str(wiretrace), "match", str(query), "--db", DEMO_DB["path"], "--json", "--limit", "50"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    urls = {match["article"]["url"] for match in json.loads(result.stdout)["matches"]}
    assert "https://reprints.example/1" in urls
