"""Politeness and the crawl command: Retry-After, Crawl-delay, the user agent, durations and the CLI's output."""

from __future__ import annotations

import itertools
import json
import time

import pytest
from click.testing import CliRunner

from server.cli import main
from server.cli_crawl import parse_duration
from server.crawl import Fetcher, FetchFailed, FetchPolicy
from tests.crawl_site import FixtureSite, Route, demo_articles, news_page, rss

ARTICLES = demo_articles()


@pytest.fixture
def site(monkeypatch):
    monkeypatch.setenv("WIRETRACE_ALLOW_PRIVATE_URLS", "1")
    served = FixtureSite().start()
    yield served
    served.stop()


def fetcher(**policy) -> Fetcher:
    settings = {"user_agent": "wiretrace/test", "delay": 0.0, "timeout": 2.0, "retries": 2, "backoff": 0.05}
    return Fetcher(FetchPolicy(**{**settings, **policy}))


def test_retry_after_is_honoured_and_retries_stop(site):
    site.routes["/robots.txt"] = Route("", status=404)
    answers = itertools.chain(
        [Route("busy", status=429, headers={"Retry-After": "1"})], itertools.repeat(Route(news_page(ARTICLES[0])))
    )
    site.routes["/busy"] = lambda: next(answers)
    started = time.monotonic()
    with fetcher() as client:
        page = client.fetch(site.url("/busy"))
    assert page.status == 200
    times = [moment for path, moment in site.request_times if path == "/busy"]
    assert len(times) == 2 and times[1] - times[0] >= 0.95
    assert time.monotonic() - started < 5
    site.routes["/down"] = Route("down", status=503)
    with fetcher(retries=2) as client, pytest.raises(FetchFailed) as caught:
        client.fetch(site.url("/down"))
    assert caught.value.retryable and caught.value.reason == "HTTP 503"
    assert site.paths_requested().count("/down") == 3


def test_crawl_delay_spaces_requests_to_one_host(site):
    site.routes["/robots.txt"] = Route(
        "User-agent: wiretrace\nCrawl-delay: 1\nDisallow: /admin\n", content_type="text/plain"
    )
    for number in range(3):
        site.routes[f"/p{number}"] = Route(news_page(ARTICLES[number]))
    with fetcher(delay=0.0) as client:
        for number in range(3):
            client.fetch(site.url(f"/p{number}"))
        with pytest.raises(FetchFailed) as caught:
            client.fetch(site.url("/admin"))
    assert caught.value.kind == "robots"
    times = [moment for path, moment in site.request_times if path.startswith("/p")]
    assert all(later - earlier >= 0.95 for earlier, later in itertools.pairwise(times))


def test_durations():
    assert [parse_duration(text) for text in ("30s", "15m", "1h", "1d", "2.5", " 10M ")] == [
        30,
        900,
        3600,
        86400,
        2.5,
        600,
    ]
    for bad in ("", "soon", "5 weeks", "-1m"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_the_crawl_command(site, tmp_path, monkeypatch):
    site.routes["/robots.txt"] = Route("", status=404)
    site.routes["/a"] = Route(news_page(ARTICLES[0]))
    site.routes["/b"] = Route("oops", status=500)
    site.routes["/feed.xml"] = Route(rss([(site.url("/a"), "A"), (site.url("/b"), "B")]))
    sources = tmp_path / "sources.txt"
    sources.write_text(f"{site.url('/feed.xml')} ledger\n")
    db_path = str(tmp_path / "c.db")
    monkeypatch.setenv("WIRETRACE_CRAWL_CONTACT", "mailto:desk@ledger.example")
    runner = CliRunner()
    result = runner.invoke(main, ["crawl", str(sources), "--db", db_path, "--once", "--delay", "0", "--retries", "0"])
    assert result.exit_code == 1, result.output  # a page failed
    assert "as 'wiretrace/0.1.0 (+mailto:desk@ledger.example)'" in result.output
    assert f"WARNING page {site.url('/b')} failed: HTTP 500 (attempt 1 of 5" in result.output
    assert "pass done: 1 sources read (0 failed), 2 new URLs, 1 pages fetched: 1 new, 0 updated" in result.output
    assert all(headers["User-Agent"] == "wiretrace/0.1.0 (+mailto:desk@ledger.example)" for _, headers in site.requests)
    bad = tmp_path / "bad.txt"
    bad.write_text("not a url\n")
    result = runner.invoke(main, ["crawl", str(bad), "--db", db_path, "--once"])
    assert result.exit_code != 0 and "bad.txt:1:" in result.output
    result = runner.invoke(main, ["crawl", str(sources), "--db", db_path, "--every", "soon"])
    assert result.exit_code == 2 and "'soon' is not a duration" in result.output


def test_hosts_are_taken_in_turn(site, tmp_path):
    other = FixtureSite().start()
    try:
        for served in (site, other):
            served.routes["/robots.txt"] = Route("", status=404)
            for number in range(3):
                served.routes[f"/s{number}"] = Route(news_page(ARTICLES[number + (0 if served is site else 3)]))
        site.routes["/feed.xml"] = Route(rss([(site.url(f"/s{n}"), "") for n in range(3)]))
        other.routes["/feed.xml"] = Route(rss([(other.url(f"/s{n}"), "") for n in range(3)]))
        sources = tmp_path / "sources.txt"
        sources.write_text(f"{site.url('/feed.xml')}\n{other.url('/feed.xml')}\n")
        result = CliRunner().invoke(
            main, ["crawl", str(sources), "--db", str(tmp_path / "t.db"), "--once", "--delay", "0.2", "--quiet"]
        )
        assert result.exit_code == 0, result.output
        order = sorted(
            [(moment, "site") for path, moment in site.request_times if path.startswith("/s")]
            + [(moment, "other") for path, moment in other.request_times if path.startswith("/s")]
        )
        assert [name for _, name in order] == ["site", "other"] * 3
    finally:
        other.stop()


def test_every_keeps_polling_until_interrupted(site, tmp_path):
    import os
    import signal
    import subprocess

    from tests.synthetic import WIRETRACE

    site.routes["/robots.txt"] = Route("", status=404)
    site.routes["/a"] = Route(news_page(ARTICLES[0]), etag='"a1"')
    site.routes["/feed.xml"] = Route(rss([(site.url("/a"), "A")]))
    sources = tmp_path / "sources.txt"
    sources.write_text(site.url("/feed.xml") + "\n")
    command = [WIRETRACE, "crawl", str(sources), "--db", str(tmp_path / "p.db"), "--every", "0.5s", "--revisit", "0s"]
    env = {**os.environ, "WIRETRACE_ALLOW_PRIVATE_URLS": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Each pass prints its summary, then what it linked into stories.
        lines = [process.stdout.readline() for _ in range(6)]
        passes = [line for line in lines if line.startswith("pass done")]
        assert [line.split(":")[0] for line in lines[1::2]] == ["linked 1 articles"] + ["linked 0 articles"] * 2
    finally:
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=30)
    assert passes[0].startswith("pass done: 1 sources read (0 failed), 1 new URLs, 1 pages fetched: 1 new")
    # Later passes read the feed again and ask for the page conditionally: it answers 304.
    assert all(
        "0 new URLs, 1 pages fetched: 0 new, 0 updated, 0 unchanged, 1 not modified" in line for line in passes[1:]
    )
    assert [headers.get("If-None-Match") for path, headers in site.requests if path == "/a"][:3] == [
        None,
        '"a1"',
        '"a1"',
    ]
    assert process.returncode == 130 and "stopped; run the same command again to resume" in errors


def test_a_crawl_links_what_it_stores_into_stories(site, tmp_path, monkeypatch):
    """A crawled copy joins its origin's story in the same run, as an API ingest's would."""
    origin = ARTICLES[0]
    copy = dict(
        origin,
        title="Our own headline over their story",
        published_at="2026-03-09T18:00:00Z",
        text="A short lede written by the copying outlet itself.\n\n" + origin["text"],
    )
    site.routes["/robots.txt"] = Route("", status=404)
    site.routes["/origin"] = Route(news_page(origin))
    site.routes["/copy"] = Route(news_page(copy))
    site.routes["/ledger.xml"] = Route(rss([(site.url("/origin"), "Origin")]))
    site.routes["/courier.xml"] = Route(rss([(site.url("/copy"), "Copy")]))
    sources = tmp_path / "sources.txt"
    sources.write_text(f"{site.url('/ledger.xml')} ledger.example\n{site.url('/courier.xml')} courier.example\n")
    db_path = str(tmp_path / "c.db")
    monkeypatch.setenv("WIRETRACE_CRAWL_CONTACT", "mailto:desk@ledger.example")
    result = CliRunner().invoke(main, ["crawl", str(sources), "--db", db_path, "--once", "--delay", "0"])
    assert result.exit_code == 0, result.output
    assert "linked 2 articles" in result.output
    listed = CliRunner().invoke(main, ["export", "stories", "--db", db_path, "--format", "ndjson"])
    assert listed.exit_code == 0, listed.output
    [story] = [json.loads(line) for line in listed.output.splitlines() if line.startswith("{")]
    assert story["size"] == 2 and story["origin"]["outlet"] == "ledger.example"
