"""News pages for the extension's end-to-end tests, and a small HTTP server that serves them.

Each page wraps an article in the furniture a real news site has around it (navigation, a cookie
banner, related links, a newsletter box, a footer), so the tests show that the extension sends the
article and not the furniture. Article paragraphs are written with inline links and emphasis and
with source line breaks, so that their text is spread over several text nodes, as it is in the wild.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["NewsSite", "article_page", "demo_pages", "FURNITURE_PHRASES", "ASTRAL_PARAGRAPH"]

# Phrases that only occur in the furniture: none of them may reach the server.
FURNITURE_PHRASES = [
    "We use cookies",
    "Subscribe to the morning briefing",
    "Most read",
    "The Loopback Ledger",
    "Advertisement",
]


# A paragraph with astral characters (two UTF-16 units each in JavaScript, one code point in
# Python), put before the copied passages: the highlight is exact only if offsets are converted.
ASTRAL_PARAGRAPH = "\U0001f6a2 Live coverage \U0001d54f continues below \U0001f4f0."


def _paragraph(text: str, index: int) -> str:
    """One paragraph as HTML, split over a few elements and source lines like real markup."""
    words = html.escape(text).split(" ")
    if len(words) > 12 and index % 2 == 0:
        # A link over words 3..5 and emphasis over 8..9, plus a source line break.
        words[3] = f'<a href="/topics/{index}">{words[3]}'
        words[5] = f"{words[5]}</a>"
        words[8] = f"<em>{words[8]}"
        words[9] = f"{words[9]}</em>\n       "
    return "      <p>" + " ".join(words) + "</p>"


def article_page(
    *,
    title: str,
    paragraphs: list[str],
    published_at: str | None = None,
    outlet: str = "The Loopback Ledger",
    related: list[str] = (),
) -> str:
    related_items = "\n".join(
        f'        <li><a href="/related/{i}">{html.escape(t)}</a></li>' for i, t in enumerate(related)
    )
    time_html = (
        f'<time datetime="{html.escape(published_at)}">{html.escape(published_at[:10])}</time>' if published_at else ""
    )
    meta = f'  <meta property="article:published_time" content="{html.escape(published_at)}">\n' if published_at else ""
    body = "\n".join(_paragraph(p, i) for i, p in enumerate(paragraphs))
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{html.escape(title)} | {html.escape(outlet)}</title>
{meta}  <style>
    body {{ font: 17px/1.5 Georgia, serif; margin: 0; color: #222; }}
    header.site {{ background: #202a44; color: #fff; padding: 10px 24px; }}
    header.site a {{ color: #fff; margin-right: 14px; }}
    .layout {{ display: flex; gap: 32px; padding: 16px 24px; }}
    article {{ flex: 3; max-width: 680px; }}
    aside {{ flex: 1; font-size: 14px; }}
    .cookie {{ position: fixed; bottom: 0; left: 0; right: 0; background: #333; color: #eee; padding: 8px 24px; }}
    footer {{ padding: 16px 24px; color: #666; font-size: 13px; }}
  </style>
</head>
<body>
  <header class="site">
    <nav class="menu"><a href="/">Home</a><a href="/news">News</a><a href="/business">Business</a>
      <a href="/sport">Sport</a><a href="/weather">Weather</a></nav>
  </header>
  <div class="cookie" id="cookie-banner">We use cookies to improve your experience. <button>Accept all</button></div>
  <div class="layout">
    <article>
      <h1>{html.escape(title)}</h1>
      <p class="byline">By Staff Reporter {time_html}</p>
{body}
    </article>
    <aside class="sidebar">
      <div class="newsletter">Subscribe to the morning briefing: the day's news in your inbox.</div>
      <div class="ad">Advertisement</div>
      <h2>Most read</h2>
      <ul>
{related_items}
      </ul>
    </aside>
  </div>
  <footer>&copy; 2026 {html.escape(outlet)}. All rights reserved.</footer>
</body>
</html>
"""


def demo_pages(corpus: dict[str, dict], stories: dict[str, dict]) -> dict[str, str]:
    """The test pages, path -> HTML, from the demo corpus (url -> record) and its stories.

    - /port-strike.html: the copy of the port strike story the tests leave out of the database;
    - /short.html: a news page whose article has too few words to check;
    - /unrelated.html: an article no outlet in the corpus carries;
    - /football.html: a copy of the story that a hostile-titled article also copies;
    - /hostile-page.html: the same copy on a page whose own title is markup;
    - /no-article.html: that copy in a block Readability ignores (aria-hidden), so the extension falls back to
      the page's main text.
    """
    from e2e_support import PAGE_ARTICLE, XSS_STORY, XSS_TITLE

    related = [record["title"] for record in list(corpus.values())[6:10]]
    page = corpus[PAGE_ARTICLE]
    paragraphs = page["text"].split("\n\n")
    football = corpus[stories[XSS_STORY]["copies"][0]]
    return {
        "/port-strike.html": article_page(
            title=page["title"],
            paragraphs=paragraphs[:1] + [ASTRAL_PARAGRAPH] + paragraphs[1:],
            published_at=page["published_at"],
            related=related,
        ),
        "/short.html": article_page(
            title="Gull Island ferry delayed",
            paragraphs=["The early ferry to Gull Island left forty minutes late on Friday after a minor fault."],
            related=related,
        ),
        "/unrelated.html": article_page(
            title="Allotment society elects new chair",
            paragraphs=[
                "Members of the Westbrook Allotment Society met in the village hall on Thursday evening to choose a "
                "new chair after eleven years under the same leadership. Rosalind Pike, who has kept bees on plot "
                "fourteen since 2009, won the vote by a clear margin and promised to restore the communal compost "
                "bays and to open a waiting list for the six plots left vacant after last summer's drought."
            ],
            related=related,
        ),
        "/football.html": article_page(
            title=football["title"],
            paragraphs=football["text"].split("\n\n"),
            published_at=football["published_at"],
            related=related,
        ),
        "/no-article.html": _hidden_from_readability_page(football["text"]),
        "/hostile-page.html": article_page(
            title=XSS_TITLE,
            paragraphs=football["text"].split("\n\n"),
            published_at=football["published_at"],
            related=related,
        ),
    }


def _hidden_from_readability_page(text: str) -> str:
    """A page whose story sits in an aria-hidden block: on screen, but Readability treats it as invisible.

    Readability is left with a one-line introduction, too little to send, so the extension falls
    back to the page's main text.
    """
    paragraphs = "\n".join(f"      <p>{html.escape(paragraph)}</p>" for paragraph in text.split("\n\n")[:4])
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Match report</title></head>
<body>
  <nav><a href="/">Home</a> <a href="/sport">Sport</a></nav>
  <main>
    <p>Our match report from Saturday afternoon, as filed by the wire service.</p>
    <div aria-hidden="true">
{paragraphs}
    </div>
  </main>
</body>
</html>
"""


class _Handler(BaseHTTPRequestHandler):
    pages: dict[str, str] = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        page = self.pages.get(self.path)
        body = (page if page is not None else "<!doctype html><title>Not found</title>not found").encode()
        self.send_response(200 if page is not None else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 (signature fixed by http.server)
        pass


class NewsSite:
    """Serves ``pages`` (path -> HTML) on ``host`` at a free port, in a thread."""

    def __init__(self, pages: dict[str, str], host: str = "127.0.0.1") -> None:
        handler = type("Handler", (_Handler,), {"pages": dict(pages)})
        self._server = ThreadingHTTPServer((host, 0), handler)
        self._server.daemon_threads = True
        self.base = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
