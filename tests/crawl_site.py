"""A fixture news site on loopback for the crawler's tests, and pages in the style of real news sites.

The pages are written for wiretrace: the article bodies are the demo corpus's
(written for the project), wrapped in the furniture news sites put around an
article: navigation, a cookie banner, a newsletter box, related links,
reader comments and a footer. Three page styles differ the way real sites
do (a semantic ``<article>``, a ``div`` soup, an AMP page).
"""

from __future__ import annotations

import gzip
import html
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from server.demo import DEMO_CORPUS

__all__ = ["FixtureSite", "Route", "demo_articles", "news_page", "FURNITURE", "rss", "sitemap", "sitemap_index"]

# Phrases that occur only in the furniture: none may reach the extracted text.
FURNITURE = [
    "We use cookies to improve your experience",
    "Accept all cookies",
    "Sign up for the Morning Tide newsletter",
    "Most read this week",
    "Related stories",
    "Reader comments",
    "This is an outrage, the council never listens",
    "Copyright Loopback Media Group",
    "Home Politics Business Sport Weather",
]


def demo_articles() -> list[dict]:
    with DEMO_CORPUS.open("rb") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _paragraphs(text: str) -> str:
    return "\n".join(f"<p>{html.escape(paragraph)}</p>" for paragraph in text.split("\n\n"))


_NAV = """<nav class="site-nav"><ul><li><a href="/">Home</a></li><li><a href="/politics">Politics</a></li>
<li><a href="/business">Business</a></li><li><a href="/sport">Sport</a></li><li><a href="/weather">Weather</a></li></ul></nav>"""
_COOKIES = """<div id="cookie-banner" class="cookie-consent"><p>We use cookies to improve your experience on our site and
to show you relevant advertising.</p><button>Accept all cookies</button><button>Manage preferences</button></div>"""
_NEWSLETTER = """<aside class="newsletter"><h3>Sign up for the Morning Tide newsletter</h3><p>Get the day's top stories in
your inbox every morning before seven.</p><form><input type="email"><button>Subscribe</button></form></aside>"""
_RELATED = """<aside class="related"><h3>Related stories</h3><ul>
<li><a href="/news/a">Harbour board approves new crane contract after long delay</a></li>
<li><a href="/news/b">Ferry operator cuts winter sailings to the outer islands</a></li>
<li><a href="/news/c">Most read this week: the ten busiest beaches of the summer</a></li></ul></aside>"""
_COMMENTS = """<section id="comments" class="comments"><h3>Reader comments</h3>
<div class="comment"><span class="comment-author">Ratepayer99</span><p>This is an outrage, the council never listens to
anybody who lives here and it will be the same again next year.</p></div>
<div class="comment"><span class="comment-author">Gull Island Dave</span><p>Spot on reporting as usual, thanks for keeping
us informed about all of this.</p></div></section>"""
_FOOTER = """<footer><p>Copyright Loopback Media Group. All rights reserved.</p><ul><li><a href="/about">About us</a></li>
<li><a href="/contact">Contact</a></li><li><a href="/privacy">Privacy policy</a></li></ul></footer>"""


def news_page(
    article: dict,
    *,
    style: str = "semantic",
    canonical: str | None = None,
    author: str = "Morgan Ellery",
    charset_meta: str | None = "utf-8",
) -> str:
    """A whole news page around ``article`` (a demo corpus record) in one of three styles."""
    title = html.escape(article["title"])
    date = article["published_at"][:10]
    head = [f"<title>{title} | The Loopback Ledger</title>"]
    if charset_meta:
        head.insert(0, f'<meta charset="{charset_meta}">')
    if canonical:
        head.append(f'<link rel="canonical" href="{html.escape(canonical)}">')
    head.append(f'<meta name="author" content="{html.escape(author)}">')
    head.append(f'<meta property="article:published_time" content="{article["published_at"]}">')
    body = _paragraphs(article["text"])
    if style == "semantic":
        main = f"""<main><article><header><h1>{title}</h1><p class="byline">By <span class="author">{author}</span>
<time datetime="{date}">{date}</time></p></header><div class="article-body">{body}</div></article>{_RELATED}</main>"""
    elif style == "divs":
        main = f"""<div id="wrapper"><div class="col-left"><div class="headline"><h1>{title}</h1></div>
<div class="meta">{author} &middot; {date}</div><div class="story-body" itemprop="articleBody">{body}</div></div>
<div class="col-right"><div class="most-read"><h3>Most read this week</h3><ol><li><a href="/x">Bridge repairs to
start in the spring after years of talks</a></li><li><a href="/y">Record crowds at the harbour festival on
Saturday</a></li></ol></div>{_NEWSLETTER}</div></div>"""
    elif style == "amp":
        main = f"""<main><article><h1>{title}</h1><div class="amp-byline">{author}</div>{body}</article></main>"""
    else:
        raise ValueError(style)
    amp = " amp" if style == "amp" else ""
    return (
        f'<!DOCTYPE html>\n<html lang="en"{amp}><head>{"".join(head)}</head><body>{_COOKIES}{_NAV}{main}'
        f"{_NEWSLETTER if style == 'semantic' else ''}{_COMMENTS}{_FOOTER}</body></html>"
    )


def rss(items: list[tuple[str, str]]) -> bytes:
    """An RSS 2.0 feed of (url, title) items."""
    entries = "".join(
        f"<item><title>{html.escape(title)}</title><link>{html.escape(url)}</link>"
        f"<pubDate>Mon, 09 Mar 2026 08:00:00 GMT</pubDate></item>"
        for url, title in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>The Loopback Ledger</title>'
        f"<link>http://loopback.example/</link><description>News</description>{entries}</channel></rss>"
    ).encode()


def sitemap(urls: list[str], *, news: bool = False, compress: bool = False) -> bytes:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    entries = []
    for url in urls:
        extra = (
            "<news:news><news:publication><news:name>Ledger</news:name><news:language>en</news:language>"
            "</news:publication><news:publication_date>2026-03-10T09:00:00Z</news:publication_date>"
            "<news:title>From the news sitemap</news:title></news:news>"
            if news
            else "<lastmod>2026-03-10</lastmod>"
        )
        entries.append(f"<url><loc>{html.escape(url)}</loc>{extra}</url>")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
        f"{ns}>{''.join(entries)}</urlset>"
    ).encode()
    return gzip.compress(body) if compress else body


def sitemap_index(urls: list[str]) -> bytes:
    entries = "".join(f"<sitemap><loc>{html.escape(url)}</loc></sitemap>" for url in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{entries}</sitemapindex>"
    ).encode()


@dataclass
class Route:
    body: bytes | str = b""
    status: int = 200
    content_type: str = "text/html; charset=utf-8"
    headers: dict = field(default_factory=dict)
    delay: float = 0.0  # seconds before the answer starts
    etag: str | None = None  # answers 304 to a matching If-None-Match

    def payload(self) -> bytes:
        return self.body.encode() if isinstance(self.body, str) else self.body


class FixtureSite:
    """A threaded HTTP server on 127.0.0.1 at a free port serving ``routes``; it records every request."""

    def __init__(self) -> None:
        # A route may be a callable that returns the Route for each request (answers that change).
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, dict]] = []
        self.request_times: list[tuple[str, float]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (the http.server API)
                site.requests.append((self.path, dict(self.headers)))
                site.request_times.append((self.path, time.monotonic()))
                route = site.routes.get(self.path)
                if callable(route):
                    route = route()
                if route is None:
                    route = Route("<html><body><h1>Not found</h1></body></html>", status=404)
                if route.delay:
                    time.sleep(route.delay)
                if route.etag and self.headers.get("If-None-Match") == route.etag:
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                payload = route.payload()
                try:
                    self.send_response(route.status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    if route.etag:
                        self.send_header("ETag", route.etag)
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the crawler stopped reading (a page over its size limit)

            def log_message(self, *_args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> FixtureSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def paths_requested(self) -> list[str]:
        return [path for path, _ in self.requests]
