"""A crawl killed with SIGKILL and started again finishes with every article exactly once.

The crawler records each page's state in the transaction that stores its
article, so a kill at any moment leaves nothing half done: the rerun fetches
what was not recorded as done, and storing is idempotent by URL.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time

import pytest

from tests.crawl_site import FixtureSite, Route, demo_articles, news_page, rss, sitemap
from tests.synthetic import WIRETRACE

ARTICLE_COUNT = 18


@pytest.fixture
def slow_site():
    site = FixtureSite().start()
    articles = demo_articles()[:ARTICLE_COUNT]
    site.routes["/robots.txt"] = Route("User-agent: *\nAllow: /\n", content_type="text/plain")
    for number, article in enumerate(articles):
        # Slow pages keep the crawl mid-way for long enough to kill it there.
        site.routes[f"/story/{number}"] = Route(
            news_page(article, style="divs" if number % 2 else "semantic"), delay=0.15
        )
    half = ARTICLE_COUNT // 2
    site.routes["/feed.xml"] = Route(rss([(site.url(f"/story/{n}"), f"Story {n}") for n in range(half)]))
    site.routes["/sitemap.xml"] = Route(sitemap([site.url(f"/story/{n}") for n in range(half - 2, ARTICLE_COUNT)]))
    yield site
    site.stop()


def article_urls(db_path) -> list[str]:
    if not os.path.exists(db_path):
        return []
    try:
        with sqlite3.connect(db_path, timeout=30) as connection:
            return [url for (url,) in connection.execute("SELECT url FROM article ORDER BY id")]
    except sqlite3.OperationalError:  # the tables do not exist yet
        return []


def test_a_killed_crawl_resumes_without_duplicates_or_losses(slow_site, tmp_path):
    sources = tmp_path / "sources.txt"
    sources.write_text(f"# the fixture site\n{slow_site.url('/feed.xml')} ledger\n{slow_site.url('/sitemap.xml')}\n")
    db_path = str(tmp_path / "crawl.db")
    env = {**os.environ, "WIRETRACE_ALLOW_PRIVATE_URLS": "1"}
    command = [WIRETRACE, "crawl", str(sources), "--db", db_path, "--once", "--delay", "0", "--quiet"]
    counts_at_kill = []
    for wanted in (3, 9):
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(article_urls(db_path)) < wanted and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
        assert process.poll() is None, "the crawl finished before it could be killed"
        process.kill()
        process.wait()
        counts_at_kill.append(len(article_urls(db_path)))
    assert counts_at_kill[0] >= 3 and counts_at_kill[1] >= 9 and counts_at_kill[1] < ARTICLE_COUNT
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    assert f": {ARTICLE_COUNT - counts_at_kill[1]} new, 0 updated" in finished.stdout

    urls = article_urls(db_path)
    assert sorted(urls) == sorted(slow_site.url(f"/story/{n}") for n in range(ARTICLE_COUNT))
    assert len(urls) == len(set(urls))
    with sqlite3.connect(db_path) as connection:
        states = connection.execute("SELECT status, COUNT(*) FROM crawl_url GROUP BY status").fetchall()
        assert states == [("done", ARTICLE_COUNT)]
        linked = connection.execute(
            "SELECT COUNT(*) FROM crawl_url c JOIN article a ON a.id = c.article_id AND a.url = c.url"
        ).fetchone()
        assert linked == (ARTICLE_COUNT,)
    check = subprocess.run([WIRETRACE, "check", "--db", db_path], capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
