"""Synthetic articles and a real server for the reliability tests (crash, concurrency, maintenance).

The texts are random sequences drawn from a word list written for these
tests, deterministic from a key: no real article is copied, any two texts
share no run of words by chance, and every text finds itself through the
index. The same key always yields the same text, so a process that only
knows the key can tell which version of an article it is looking at.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

WORDS = """
harbour council ferry quay pump station winter budget levy tender survey engineer mayor district river
bridge tunnel railway depot freight signal market grain orchard vineyard harvest cooperative ledger audit
committee hearing ballot turnout candidate coalition minister deputy ministry treaty border customs tariff
convoy shipment warehouse foundry kiln furnace turbine dynamo reservoir sluice canal lock barge towpath
meadow hillside quarry granite timber sawmill carpenter mason apprentice guild charter archive museum
gallery library lecture seminar professor student campus laboratory sample microscope vaccine clinic
ward surgeon nurse ambulance patrol constable inspector warrant verdict appeal tribunal witness lantern
compass anchor rudder mast sail hull cargo manifest captain pilot lighthouse beacon storm gale drizzle
frost thaw flood drought rainfall forecast almanac census parish village hamlet township county province
announced approved rejected delayed postponed extended reopened inspected repaired expanded measured
counted reported confirmed denied questioned welcomed criticised funded replaced restored surveyed
quietly sharply slowly briefly formally jointly narrowly roughly nearly twice again later earlier
northern southern eastern western coastal upland rural municipal regional annual quarterly provisional
""".split()  # noqa: SIM905 (a word list reads best as text)


def article_text(key: str, words: int = 220) -> str:
    """A deterministic text of about ``words`` words for ``key``."""
    rng = random.Random(hashlib.sha256(key.encode()).digest())
    paragraphs, sentence, paragraph, count = [], [], [], 0
    while count < words:
        sentence.append(rng.choice(WORDS))
        count += 1
        if len(sentence) >= rng.randint(8, 16):
            paragraph.append(" ".join(sentence).capitalize() + ".")
            sentence = []
            if len(paragraph) >= 3:
                paragraphs.append(" ".join(paragraph))
                paragraph = []
    if sentence:
        paragraph.append(" ".join(sentence).capitalize() + ".")
    if paragraph:
        paragraphs.append(" ".join(paragraph))
    return "\n\n".join(paragraphs)


def article(url: str, version: int = 0, words: int = 220) -> dict:
    """The ARTICLE object for ``url`` at ``version``; another version has another text."""
    return {"url": url, "title": f"Report {version}", "text": article_text(f"{url}#{version}", words)}


def write_jsonl(path: Path, articles: list[dict]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in articles:
            handle.write(json.dumps(record) + "\n")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def call(base: str, path: str, body=None, timeout: float = 30) -> tuple[int, dict]:
    """One request; HTTP errors are returned, connection failures raise OSError."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        payload = error.read()
        try:
            return error.code, json.loads(payload)
        except ValueError:
            return error.code, {"ok": False, "error": payload.decode(errors="replace")}


WIRETRACE = str(Path(sys.executable).with_name("wiretrace"))


class Server:
    """``wiretrace serve`` in a process group of its own on a loopback port; ``kill()`` is SIGKILL to all of it."""

    def __init__(self, db: Path, log: Path, workers: int = 1) -> None:
        self.db, self.log_path, self.workers = db, log, workers
        self.process: subprocess.Popen | None = None
        self.base = ""

    def start(self, timeout: float = 30) -> str:
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [WIRETRACE, "serve", "--db", str(self.db), "--port", str(port), "--workers", str(self.workers)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "WIRETRACE_API_KEY": ""},
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if call(self.base, "/api/v1/health", timeout=2)[0] == 200:
                    return self.base
            except OSError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError("the server did not start:\n" + self.log())

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
