"""The crawler against a fixture news site on loopback: every case real sites produce ends in the right state.

The site (tests/crawl_site.py) is a real HTTP server on 127.0.0.1; the
address guard lets the crawler reach it because the tests set
WIRETRACE_ALLOW_PRIVATE_URLS=1, as an operator would for an intranet.
"""

from __future__ import annotations

import logging
import sqlite3

import pytest

from server import create_app
from server.crawl import Crawler, CrawlOptions, FetchPolicy, Source, SourcesError, parse_sources
from tests.crawl_site import FixtureSite, Route, demo_articles, news_page, rss, sitemap, sitemap_index

ARTICLES = demo_articles()


@pytest.fixture
def site():
    served = FixtureSite().start()
    yield served
    served.stop()


@pytest.fixture(autouse=True)
def allow_loopback(monkeypatch):
    monkeypatch.setenv("WIRETRACE_ALLOW_PRIVATE_URLS", "1")


def crawl_options(**overrides) -> CrawlOptions:
    policy = FetchPolicy(
        user_agent="wiretrace/test (+mailto:crawl-test@wiretrace.invalid)",
        delay=0.0,
        timeout=1.0,
        retries=1,
        backoff=0.05,
        max_bytes=200_000,
    )
    return CrawlOptions(policy=policy, revisit=overrides.pop("revisit", 3600.0), **overrides)


def run_crawl(db_path: str, sources: list[Source], **overrides):
    app = create_app({"DATABASE": db_path})
    with app.app_context():
        return Crawler(app, crawl_options(**overrides)).run_pass(sources)


def rows(db_path: str, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db_path) as connection:
        return connection.execute(sql, args).fetchall()


def url_state(db_path: str, url: str) -> tuple:
    found = rows(db_path, "SELECT status, last_error, article_id, alias_of FROM crawl_url WHERE url = ?", url)
    assert found, f"{url} was never recorded"
    return found[0]


def article_at(db_path: str, url: str):
    found = rows(db_path, "SELECT id, outlet_id, title, text, published_at FROM article WHERE url = ?", url)
    return found[0] if found else None


def messages(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records if record.name == "wiretrace.crawl")


@pytest.fixture
def news_site(site):
    """A feed and a sitemap index listing every case the crawler must handle."""
    a = ARTICLES
    site.routes["/robots.txt"] = Route("User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    site.routes["/news/plain"] = Route(news_page(a[0]), etag='"plain-1"')
    site.routes["/news/divs"] = Route(news_page(a[1], style="divs"))
    site.routes["/news/old-address"] = Route(status=301, headers={"Location": "/news/moved"})
    site.routes["/news/moved"] = Route(news_page(a[2]))
    site.routes["/news/missing"] = Route("<html><body>gone</body></html>", status=404)
    site.routes["/news/broken"] = Route("<html><body>oops</body></html>", status=500)
    site.routes["/news/slow"] = Route(news_page(a[3]), delay=2.5)
    site.routes["/news/huge"] = Route(news_page(a[4]).replace("</body>", "<p>filler</p>" * 60_000 + "</body>"))
    site.routes["/news/report.pdf"] = Route(b"%PDF-1.4 not a page", content_type="application/pdf")
    # UTF-8 bytes that the server says are Latin-1: the bytes are right, the header is wrong.
    site.routes["/news/charset"] = Route(
        news_page({**a[5], "text": a[5]["text"] + "\n\nThe café on Zürichstraße reopened, said Ms Åberg."}).encode(),
        content_type="text/html; charset=iso-8859-1",
    )
    site.routes["/private/members-only"] = Route(news_page(a[6]))
    site.routes["/news/relative-link"] = Route(news_page(a[10]))
    site.routes["/news/section-front"] = Route(
        "<html><body><nav>Home Politics Business</nav><h1>Business</h1></body></html>"
    )
    site.routes["/news/syndicated"] = Route(news_page(a[7], canonical="https://www.meridianpress.example/original"))
    site.routes["/news/story/amp"] = Route(news_page(a[8], style="amp", canonical="/news/story"))
    site.routes["/news/story"] = Route(news_page(a[8]))
    site.routes["/feed.xml"] = Route(
        rss(
            [
                (site.url("/news/plain?utm_source=rss&utm_medium=feed"), "Plain"),
                (site.url("/news/divs"), "Divs"),
                (site.url("/news/old-address"), "Moved"),
                (site.url("/news/missing"), "Missing"),
                (site.url("/news/broken"), "Broken"),
                (site.url("/news/slow"), "Slow"),
                (site.url("/news/huge"), "Huge"),
                (site.url("/news/report.pdf"), "PDF"),
                (site.url("/news/charset"), "Charset"),
                (site.url("/private/members-only"), "Private"),
                (site.url("/news/section-front"), "Not an article"),
                ("/news/relative-link", "A relative link"),
                (site.url("/news/syndicated"), "Syndicated"),
                (site.url("/news/story/amp"), "AMP"),
            ]
        ),
        content_type="application/rss+xml",
    )
    site.routes["/sitemap_index.xml"] = Route(
        sitemap_index([site.url("/sitemap-news.xml.gz")]), content_type="application/xml"
    )
    site.routes["/news/from-sitemap"] = Route(news_page(a[9]))
    site.routes["/sitemap-news.xml.gz"] = Route(
        sitemap([site.url("/news/from-sitemap"), site.url("/news/story")], news=True, compress=True),
        content_type="application/gzip",
    )
    return site


def test_every_case_ends_in_the_right_state_with_a_log_line(news_site, db_path, caplog):
    site = news_site
    caplog.set_level(logging.INFO, logger="wiretrace.crawl")
    sources = [Source(site.url("/feed.xml"), "ledger"), Source(site.url("/sitemap_index.xml"), "ledger")]
    counts = run_crawl(db_path, sources)
    log = messages(caplog)

    plain = article_at(db_path, site.url("/news/plain"))
    assert plain is not None and plain[3].split("\n") == ARTICLES[0]["text"].split("\n\n")
    assert url_state(db_path, site.url("/news/plain"))[0] == "done"
    assert rows(db_path, "SELECT name FROM outlet WHERE id = ?", plain[1]) == [("ledger",)]
    assert article_at(db_path, site.url("/news/divs")) is not None

    # A redirect: the article is stored under the address it moved to.
    assert article_at(db_path, site.url("/news/moved")) is not None
    assert article_at(db_path, site.url("/news/old-address")) is None
    assert f"redirected to {site.url('/news/moved')}" in log

    assert url_state(db_path, site.url("/news/missing"))[:2] == ("gone", "HTTP 404 (gone)")
    assert f"page {site.url('/news/missing')} gone: HTTP 404" in log
    state = url_state(db_path, site.url("/news/broken"))
    assert state[0] == "failed" and state[1] == "HTTP 500"
    assert f"page {site.url('/news/broken')} failed: HTTP 500 (attempt 1 of 5" in log
    # Retried within the pass (--retries 1): two requests, no more.
    assert site.paths_requested().count("/news/broken") == 2
    state = url_state(db_path, site.url("/news/slow"))
    assert state[0] == "failed" and state[1].startswith("timed out")
    assert f"page {site.url('/news/slow')} failed: timed out" in log
    state = url_state(db_path, site.url("/news/huge"))
    assert state[0] == "skipped" and "larger than the limit of 200000 bytes" in state[1]
    assert url_state(db_path, site.url("/news/report.pdf"))[:2] == (
        "skipped",
        "not an HTML page (Content-Type application/pdf)",
    )
    assert "report.pdf skipped: not an HTML page" in log
    assert "robots.txt disallows" in url_state(db_path, site.url("/private/members-only"))[1]
    assert "/private/members-only" not in site.paths_requested()
    assert f"page {site.url('/private/members-only')} skipped: robots.txt disallows" in log
    for failed in (
        "/news/missing",
        "/news/broken",
        "/news/slow",
        "/news/huge",
        "/news/report.pdf",
        "/private/members-only",
    ):
        assert article_at(db_path, site.url(failed)) is None, failed

    charset = article_at(db_path, site.url("/news/charset"))
    assert "The café on Zürichstraße reopened, said Ms Åberg." in charset[3]

    # A canonical URL on another site: a syndicated copy, kept under its own URL.
    assert article_at(db_path, site.url("/news/syndicated")) is not None
    assert article_at(db_path, "https://www.meridianpress.example/original") is None
    assert "names a canonical URL on another site (https://www.meridianpress.example/original)" in log

    # The AMP copy is recorded as an alias; the canonical page is the one article.
    assert url_state(db_path, site.url("/news/story/amp"))[0] == "alias"
    assert url_state(db_path, site.url("/news/story/amp"))[3] == site.url("/news/story")
    assert article_at(db_path, site.url("/news/story")) is not None
    assert article_at(db_path, site.url("/news/story/amp")) is None
    assert f"page {site.url('/news/story/amp')} is the AMP copy of {site.url('/news/story')}" in log

    # The news sitemap behind a sitemap index, gzipped.
    from_sitemap = article_at(db_path, site.url("/news/from-sitemap"))
    assert from_sitemap is not None and from_sitemap[4].startswith("2026-03")

    # Politeness: robots.txt once per host, a clear user agent on every request.
    assert site.paths_requested().count("/robots.txt") == 1
    assert all(headers["User-Agent"].startswith("wiretrace/") for _path, headers in site.requests)
    assert article_at(db_path, site.url("/news/relative-link")) is not None
    assert counts.created == 8 and counts.errors == 7
    stored = rows(db_path, "SELECT url FROM article")
    assert len(stored) == len(set(stored)) == 8


def test_a_second_pass_changes_nothing_and_asks_conditionally(news_site, db_path):
    site = news_site
    sources = [Source(site.url("/feed.xml"), "ledger")]
    run_crawl(db_path, sources)
    before = rows(db_path, "SELECT id, url, content_hash, updated_at FROM article ORDER BY id")
    site.requests.clear()
    counts = run_crawl(db_path, sources, revisit=0)
    assert rows(db_path, "SELECT id, url, content_hash, updated_at FROM article ORDER BY id") == before
    plain = [headers for path, headers in site.requests if path == "/news/plain"]
    assert plain and plain[0].get("If-None-Match") == '"plain-1"'
    assert counts.not_modified >= 1 and counts.created == 0 and counts.updated == 0
    # Pages that failed for good are not asked for again; the ones that may recover wait for their time.
    assert "/news/missing" not in site.paths_requested()
    assert "/news/broken" not in site.paths_requested()


def test_an_updated_article_keeps_its_history_and_failures_lose_nothing(news_site, db_path, caplog, app):
    site = news_site
    sources = [Source(site.url("/feed.xml"), "ledger")]
    run_crawl(db_path, sources)
    first = article_at(db_path, site.url("/news/divs"))
    plain = article_at(db_path, site.url("/news/plain"))
    corrected = {
        **ARTICLES[1],
        "text": ARTICLES[1]["text"] + "\n\nCorrection: an earlier version gave the wrong berth number.",
    }
    site.routes["/news/divs"] = Route(news_page(corrected, style="divs"))
    # Pages stored before now fail: what is stored must survive.
    site.routes["/news/plain"] = Route("<html><body>oops</body></html>", status=503)
    site.routes["/news/moved"] = Route("<html><body>gone</body></html>", status=404)
    caplog.set_level(logging.INFO, logger="wiretrace.crawl")
    counts = run_crawl(db_path, sources, revisit=0)
    assert counts.updated == 1
    now = article_at(db_path, site.url("/news/divs"))
    assert now[0] == first[0] and now[3].endswith("gave the wrong berth number.")
    assert article_at(db_path, site.url("/news/plain")) == plain
    assert article_at(db_path, site.url("/news/moved")) is not None
    assert f"page {site.url('/news/divs')}: updated article {first[0]}" in messages(caplog)

    client = app.test_client()
    body = client.get(f"/api/v1/articles/{first[0]}/versions").get_json()
    assert [version["text"] for version in body["versions"]] == [first[3]]
    assert client.get(f"/api/v1/articles/{first[0]}").get_json()["article"]["text"] == now[3]


def test_copies_of_one_article_never_match_each_other(site, db_path, app):
    story = ARTICLES[0]
    site.routes["/robots.txt"] = Route("", status=404)
    site.routes["/world/port-strike"] = Route(news_page(story))
    site.routes["/world/port-strike/amp"] = Route(news_page(story, style="amp", canonical="/world/port-strike"))
    site.routes["/world/port-strike.amp.html"] = Route(news_page(story, style="amp", canonical=None))
    site.routes["/feed.xml"] = Route(
        rss(
            [
                (site.url("/world/port-strike/amp"), "AMP"),
                (site.url("/world/port-strike?utm_source=rss&fbclid=x1"), "Feed copy"),
                (site.url("/world/port-strike.amp.html"), "AMP without a canonical link"),
            ]
        ),
        content_type="application/rss+xml",
    )
    sources = [Source(site.url("/feed.xml"), "ledger")]
    run_crawl(db_path, sources)
    articles = rows(db_path, "SELECT id, url FROM article")
    assert articles == [(articles[0][0], site.url("/world/port-strike"))]
    client = app.test_client()
    assert client.get(f"/api/v1/articles/{articles[0][0]}/matches").get_json()["matches"] == []


def test_the_sources_file_is_checked():
    assert parse_sources("# feeds\n\nhttps://a.example/rss.xml  Alpha\nhttps://b.example/sitemap.xml\n") == [
        Source("https://a.example/rss.xml", "alpha"),
        Source("https://b.example/sitemap.xml", None),
    ]
    for bad, message in (
        ("ftp://a.example/feed", "sources:1: 'url' must be an http or https URL"),
        ("https://a.example/feed one two", "sources:1: expected 'URL [OUTLET]', got 3 fields"),
        ("# nothing\n", "sources: no sources"),
    ):
        with pytest.raises(SourcesError) as caught:
            parse_sources(bad)
        assert str(caught.value).startswith(message)
