"""Crash consistency: SIGKILL a bulk ingest and a writing server at random moments, then look at what is left.

After every kill: SQLite's integrity check passes; nothing acknowledged is
lost and nothing is stored twice; every article has the text of a version
that was sent (the last acknowledged one, or one whose request was in flight
at the kill); ``check`` finds the index in exact agreement with the
fingerprints; and stored articles find themselves through ``/api/v1/match``.
The kill moments come from a seeded generator, so a failure can be replayed.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import sqlite3
import subprocess
import threading
import time

from server import create_app
from server.db import database
from server.maintenance import check
from tests.synthetic import WIRETRACE, Server, article, call, write_jsonl

SEED = 6
KILLS = 20


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def stored_rows(db_path) -> list[tuple[int, str, str, str]]:
    # On a busy machine a kill can land before the first run has even created the database or
    # committed its schema (created in one transaction): then nothing is stored, and that is sound.
    if not os.path.exists(db_path):
        return []
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # A kill during start-up (imports take over a second on a busy machine), before the schema
        # exists, leaves an empty file: nothing was stored.
        if connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'article'").fetchone() is None:
            return []
        return connection.execute("SELECT id, url, content_hash, text FROM article ORDER BY id").fetchall()


def assert_index_sound(db_path, rows, rng: random.Random) -> None:
    """``check`` is clean, and a sample of articles (the newest among them) finds itself by its text."""
    app = create_app({"DATABASE": str(db_path)})
    with app.app_context(), database.connection_context():
        report = check(database.connection(), app.config["FINGERPRINT_PARAMS"])
    assert report.ok, report.lines()
    client = app.test_client()
    for article_id, _, _, text in rows[-2:] + rng.sample(rows, min(3, len(rows))):
        response = client.post("/api/v1/match", json={"text": text, "limit": 3})
        assert article_id in [match["article"]["id"] for match in response.get_json()["matches"]]


def wait_for_a_commit(db_path, stored_before: int, process, timeout: float = 30) -> None:
    """Until the database holds more than ``stored_before`` articles (or the process ended)."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        try:
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=0.1) as connection:
                (highest,) = connection.execute("SELECT COALESCE(MAX(id), 0) FROM article").fetchone()
        except sqlite3.Error:  # no file or no schema yet
            highest = 0
        if highest > stored_before:
            return
        time.sleep(0.02)


def test_bulk_ingest_killed_at_random_moments_keeps_every_committed_batch(tmp_path):
    rng = random.Random(SEED)
    batch = 40
    articles = [article(f"https://crash.example/{number}", words=100 + number % 150) for number in range(15000)]
    urls = [record["url"] for record in articles]
    db_path = tmp_path / "wiretrace.db"
    stored_before = 0
    landed = 0
    for kill in range(KILLS):
        # Resume where the committed batches end, as a loader that reads the count back would.
        remaining = tmp_path / "remaining.jsonl"
        write_jsonl(remaining, articles[stored_before:])
        process = subprocess.Popen(
            [WIRETRACE, "ingest", str(remaining), "--db", str(db_path), "--batch-size", str(batch), "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # A quarter of the kills land during start-up (imports, opening or
        # creating the database); the rest once this run has committed a
        # batch, at a random moment of the writing. Start-up takes half a
        # second to well over a second depending on the machine's load, so
        # waiting for the first commit keeps the test from depending on it.
        if rng.random() < 0.25:
            time.sleep(rng.uniform(0.05, 0.5))
        else:
            wait_for_a_commit(db_path, stored_before, process)
            time.sleep(rng.uniform(0.0, 0.5))
        if process.poll() is None:
            landed += 1
        process.kill()
        process.wait()
        rows = stored_rows(db_path)
        count = len(rows)
        # Everything up to the last committed batch, in file order, each once; nothing after it.
        assert count % batch == 0, f"kill {kill}: {count} articles is not a whole number of batches"
        assert count >= stored_before, f"kill {kill}: committed articles were lost"
        assert [url for _, url, _, _ in rows] == urls[:count]
        assert all(content_hash == _sha(text) for _, _, content_hash, text in rows)
        assert [text for *_, text in rows] == [record["text"] for record in articles[:count]]
        if rows:
            assert_index_sound(db_path, rows, rng)
        stored_before = count
    assert landed >= KILLS * 3 // 4, f"only {landed} kills landed while the ingest ran"
    assert 0 < stored_before < len(articles)
    remaining = tmp_path / "remaining.jsonl"
    write_jsonl(remaining, articles[stored_before:])
    finished = subprocess.run([WIRETRACE, "ingest", str(remaining), "--db", str(db_path), "--quiet"], check=True)
    assert finished.returncode == 0
    assert [url for _, url, _, _ in stored_rows(db_path)] == urls
    print(f"{landed} of {KILLS} kills landed mid-ingest; {stored_before} of {len(articles)} stored by then")


class Writer:
    """Posts batches of new and changed articles; remembers what the server acknowledged."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sent: dict[str, set[str]] = {}  # url -> every text digest ever sent
        self.acknowledged: dict[str, str] = {}  # url -> digest of the last acknowledged text
        self.in_flight: list[dict] = []  # the batch whose answer the kill cut off
        self.next_url = 0
        self.version = 0
        self.cut_off = 0  # requests the kill cut off after they reached the server

    def next_batch(self) -> list[dict]:
        if self.in_flight:
            return self.in_flight  # sent again after the restart: idempotent
        batch, urls = [], set()
        for _ in range(10):
            if self.acknowledged and self.rng.random() < 0.3:
                url = self.rng.choice(sorted(self.acknowledged))
            else:
                url = f"https://wire.example/{self.next_url}"
                self.next_url += 1
            if url in urls:
                continue
            urls.add(url)
            self.version += 1
            batch.append(article(url, self.version, words=self.rng.randint(80, 260)))
        return batch

    def run(self, base: str) -> int:
        """Post until the server dies; returns how many batches were acknowledged."""
        acknowledged = 0
        while True:
            batch = self.next_batch()
            for record in batch:
                self.sent.setdefault(record["url"], set()).add(_sha(record["text"]))
            self.in_flight = batch
            try:
                status, body = call(base, "/api/v1/articles", {"articles": batch}, timeout=30)
            except (OSError, http.client.HTTPException) as error:
                self.cut_off += not isinstance(getattr(error, "reason", error), ConnectionRefusedError)
                return acknowledged
            assert status in (200, 201), body
            for record, result in zip(batch, body["articles"], strict=True):
                assert result["url"] == record["url"]
                self.acknowledged[record["url"]] = _sha(record["text"])
            self.in_flight = []
            acknowledged += 1


def test_server_killed_at_random_moments_loses_no_acknowledged_write(tmp_path):
    rng = random.Random(SEED + 1)
    db_path = tmp_path / "wiretrace.db"
    server = Server(db_path, tmp_path / "server.log", workers=2)
    writer = Writer(random.Random(SEED + 2))
    try:
        for kill in range(KILLS):
            base = server.start()
            timer = threading.Timer(rng.uniform(0.2, 1.5), server.kill)
            timer.start()
            writer.run(base)
            timer.join()
            rows = stored_rows(db_path)
            in_flight = {record["url"]: _sha(record["text"]) for record in writer.in_flight}
            stored = {url: content_hash for _, url, content_hash, _ in rows}
            assert len(stored) == len(rows)
            assert all(content_hash == _sha(text) for _, _, content_hash, text in rows)
            assert set(stored) <= set(writer.sent), f"kill {kill}: an article nobody sent"
            for url, digest in writer.acknowledged.items():
                assert url in stored, f"kill {kill}: acknowledged {url} was lost"
                assert stored[url] in {digest, in_flight.get(url)}, f"kill {kill}: {url} has a stale text"
            for url in set(stored) - set(writer.acknowledged):
                assert stored[url] == in_flight[url]
            assert_index_sound(db_path, rows, rng)
    finally:
        server.kill()
    log = server.log()
    assert "Traceback" not in log, log[-3000:]
    # Most kills should cut a request off mid-flight, not find the writer between two.
    assert writer.cut_off >= KILLS // 2, writer.cut_off
    assert len(writer.acknowledged) > 100
    print(f"{writer.cut_off} of {KILLS} kills cut a request off; {len(writer.acknowledged)} URLs acknowledged")
