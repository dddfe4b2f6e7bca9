"""Writers and readers in several processes against ``wiretrace serve --workers 3``.

Writers post batches of new URLs, plus URLs every writer shares, with a new
text each time; readers fetch articles, match their texts and ask for their
matches. Afterwards: no request failed (a busy database waits, it never
answers 500 or "database is locked"), every acknowledged write is stored with
its last acknowledged text, every read saw an acknowledged version, and every
match refers to an article that exists.

``WIRETRACE_CONCURRENCY_SECONDS`` sets how long the load runs (default 60).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from tests.synthetic import Server, article, call

DURATION = float(os.environ.get("WIRETRACE_CONCURRENCY_SECONDS", "60"))
WRITERS = 3
READERS = 3
SHARED_URLS = 12


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def writer(number: int, base: str, deadline: float, out: str) -> None:
    rng = random.Random(number)
    writes, errors, counter = [], [], 0
    while time.monotonic() < deadline:
        batch = []
        for _ in range(rng.randint(3, 15)):
            batch.append(article(f"https://w{number}.example/{counter}", 0, words=rng.randint(60, 300)))
            counter += 1
        for _ in range(rng.randint(0, 3)):
            url = f"https://shared.example/{rng.randrange(SHARED_URLS)}"
            if all(item["url"] != url for item in batch):
                batch.append(article(url, number * 1_000_000 + counter))
                counter += 1
        rng.shuffle(batch)
        started = time.monotonic()
        try:
            status, body = call(base, "/api/v1/articles", {"articles": batch}, timeout=60)
        except OSError as error:
            errors.append(f"POST: {error!r}")
            continue
        finished = time.monotonic()
        if status not in (200, 201) or not body.get("ok"):
            errors.append(f"POST {status}: {body}")
            continue
        for item, result in zip(batch, body["articles"], strict=True):
            writes.append([item["url"], _sha(item["text"]), result["id"], started, finished])
    Path(out).write_text(json.dumps({"writes": writes, "errors": errors}))


def reader(number: int, base: str, deadline: float, out: str) -> None:
    rng = random.Random(1000 + number)
    seen, match_ids, errors, requests = [], set(), [], 0

    def get(path, body=None):
        nonlocal requests
        requests += 1
        try:
            return call(base, path, body, timeout=60)
        except OSError as error:
            errors.append(f"{path}: {error!r}")
            return None, None

    while time.monotonic() < deadline:
        status, body = get("/api/v1/stats")
        if status != 200:
            errors.append(f"stats {status}: {body}") if status else None
            continue
        if body["articles"] == 0:
            time.sleep(0.05)
            continue
        article_id = rng.randint(1, body["articles"])
        status, body = get(f"/api/v1/articles/{article_id}")
        if status != 200:
            # Ids are dense and nothing is deleted: every id up to the count exists.
            errors.append(f"get {article_id} {status}: {body}") if status else None
            continue
        stored = body["article"]
        seen.append([stored["url"], _sha(stored["text"]), stored["content_hash"]])
        status, body = get("/api/v1/match", {"text": stored["text"], "limit": 5})
        if status != 200:
            errors.append(f"match {status}: {body}") if status else None
            continue
        ids = [match["article"]["id"] for match in body["matches"]]
        match_ids.update(ids)
        # A URL no other request changes must find itself; a shared one may have moved on.
        if "shared.example" not in stored["url"] and article_id not in ids:
            errors.append(f"article {article_id} did not find itself: {ids}")
        status, body = get(f"/api/v1/articles/{article_id}/matches?limit=5")
        if status != 200:
            errors.append(f"matches {article_id} {status}: {body}") if status else None
            continue
        match_ids.update(match["article"]["id"] for match in body["matches"])
    Path(out).write_text(
        json.dumps({"seen": seen, "match_ids": sorted(match_ids), "errors": errors, "requests": requests})
    )


def allowed_final_texts(versions: list[tuple[str, float, float]]) -> set[str]:
    """Acknowledged versions that may be the last one committed.

    A version V cannot be last when another acknowledged version W was sent
    only after V's acknowledgement arrived: W then committed after V.
    """
    return {digest for digest, _, finished in versions if not any(started > finished for _, started, _ in versions)}


@pytest.mark.skipif(DURATION <= 0, reason="WIRETRACE_CONCURRENCY_SECONDS is 0")
def test_writers_and_readers_against_three_workers(tmp_path):
    server = Server(tmp_path / "wiretrace.db", tmp_path / "server.log", workers=3)
    base = server.start()
    context = multiprocessing.get_context("spawn")
    deadline = time.monotonic() + DURATION
    processes = []
    try:
        for number in range(WRITERS):
            out = tmp_path / f"writer-{number}.json"
            processes.append((out, context.Process(target=writer, args=(number, base, deadline, str(out)))))
        for number in range(READERS):
            out = tmp_path / f"reader-{number}.json"
            processes.append((out, context.Process(target=reader, args=(number, base, deadline, str(out)))))
        for _, process in processes:
            process.start()
        for _, process in processes:
            process.join(timeout=DURATION + 120)
            assert process.exitcode == 0
    finally:
        for _, process in processes:
            if process.is_alive():
                process.kill()
        server.stop()
    results = [json.loads(out.read_text()) for out, _ in processes]
    errors = [error for result in results for error in result["errors"]]
    assert not errors, errors[:10]
    log = server.log()
    assert "Traceback" not in log and "database is locked" not in log, log[-3000:]

    writes = [write for result in results[:WRITERS] for write in result["writes"]]
    versions: dict[str, list] = defaultdict(list)
    ids: dict[str, set[int]] = defaultdict(set)
    for url, digest, article_id, started, finished in writes:
        versions[url].append((digest, started, finished))
        ids[url].add(article_id)
    assert all(len(found) == 1 for found in ids.values()), "a URL was given two ids"

    with sqlite3.connect(tmp_path / "wiretrace.db") as connection:
        stored = {
            url: (article_id, digest)
            for article_id, url, digest in connection.execute("SELECT id, url, content_hash FROM article")
        }
    # Nothing lost, nothing extra, each with its last acknowledged text.
    assert set(stored) == set(versions)
    for url, (article_id, digest) in stored.items():
        assert {article_id} == ids[url]
        assert digest in allowed_final_texts(versions[url]), url
    # Reads saw acknowledged versions only; matches name existing articles.
    acknowledged = {url: {digest for digest, _, _ in found} for url, found in versions.items()}
    reads = [read for result in results[WRITERS:] for read in result["seen"]]
    for url, text_digest, content_hash in reads:
        assert text_digest == content_hash and text_digest in acknowledged[url], url
    existing = {article_id for article_id, _ in stored.values()}
    for result in results[WRITERS:]:
        assert set(result["match_ids"]) <= existing

    from server import create_app
    from server.db import database
    from server.maintenance import check

    app = create_app({"DATABASE": str(tmp_path / "wiretrace.db")})
    with app.app_context(), database.connection_context():
        report = check(database.connection(), app.config["FINGERPRINT_PARAMS"])
    assert report.ok, report.lines()
    shared = sum(1 for url in versions if "shared.example" in url)
    requests = sum(result["requests"] for result in results[WRITERS:])
    print(
        f"{len(writes)} acknowledged writes ({len(stored)} articles, {shared} shared URLs), {len(reads)} reads, "
        f"{requests} read requests in {DURATION:.0f} s"
    )


def test_the_load_benchmark_runs_clean(tmp_path):
    """``benchmarks/load.py --quick``: the demo corpus under 4 clients against two workers, no errors."""
    out = tmp_path / "load.json"
    script = Path(__file__).resolve().parents[1] / "benchmarks" / "load.py"
    completed = subprocess.run(
        [sys.executable, str(script), "--quick", "--out", str(out)], capture_output=True, text=True, timeout=180
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (run,) = json.loads(out.read_text())["runs"]
    assert run["workers"] == 2 and run["requests"] > 0 and run["errors"] == 0
