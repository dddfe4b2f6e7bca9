"""Extraction: the text taken from a news page is the article, all of it and nothing else.

The pages (tests/crawl_site.py) put the demo corpus's articles in the
furniture real news sites have: navigation, cookie banners, newsletter
boxes, related links, most-read lists, reader comments and footers.
"""

from __future__ import annotations

import pytest

from server.crawl import decode_html, extract_article, strip_amp
from tests.crawl_site import FURNITURE, demo_articles, news_page

ARTICLES = demo_articles()


@pytest.mark.parametrize("style", ["semantic", "divs", "amp"])
@pytest.mark.parametrize("number", [0, 7, 17, 32])
def test_the_extracted_text_is_the_article_and_nothing_else(style, number):
    article = ARTICLES[number]
    page = news_page(article, style=style, author="Priya Castellane")
    extracted = extract_article(page, f"https://www.ledger.example/news/{number}")
    assert extracted is not None
    lines = extracted.text.split("\n")
    if lines[0] == article["title"]:  # a headline inside the article element is part of the article
        lines = lines[1:]
    assert lines == article["text"].split("\n\n")
    for phrase in FURNITURE:
        assert phrase not in extracted.text
    assert extracted.title == article["title"]
    assert extracted.author == "Priya Castellane"
    assert extracted.published_at == article["published_at"][:10]
    assert extracted.is_amp == (style == "amp")


def test_canonical_urls_relative_og_and_amp_patterns():
    article = ARTICLES[0]
    url = "https://www.ledger.example/news/strike/amp"
    relative = extract_article(news_page(article, style="amp", canonical="/news/strike"), url)
    assert relative.canonical_url == "https://www.ledger.example/news/strike"
    # An AMP page that does not name its canonical page: the URL pattern does.
    bare = extract_article(news_page(article, style="amp"), url)
    assert bare.canonical_url == "https://www.ledger.example/news/strike"
    own = extract_article(
        news_page(article, canonical="https://www.ledger.example/news/strike"),
        "https://www.ledger.example/news/strike?utm_source=x",
    )
    assert own.canonical_url is None  # its own URL once tracking parameters are gone
    og = news_page(article).replace(
        "<title>", '<meta property="og:url" content="https://www.ledger.example/n/1"><title>'
    )
    assert extract_article(og, "https://m.ledger.example/n/1").canonical_url == "https://www.ledger.example/n/1"
    assert (
        strip_amp("https://amp.ledger.example/a/b.amp.html?outputType=amp&id=4")
        == "https://ledger.example/a/b.html?id=4"
    )


def test_a_page_with_no_article_gives_none():
    assert extract_article("<html><body><nav>Home</nav></body></html>", "https://a.example/") is None
    assert extract_article("", "https://a.example/") is None


@pytest.mark.parametrize(
    ("body", "declared"),
    [
        ("Zürich café – “quoted”".encode(), "iso-8859-1"),  # UTF-8 bytes, a wrong Latin-1 header
        (b"\xef\xbb\xbf" + "Zürich café – “quoted”".encode(), "iso-8859-1"),  # with a BOM
        ('<meta charset="windows-1252">Zürich café – “quoted”'.encode("cp1252"), "utf-8"),  # a wrong UTF-8 header
        ("Zürich café – “quoted”".encode("cp1252"), None),  # nothing declared at all
    ],
)
def test_the_bytes_win_over_a_wrong_charset_declaration(body, declared):
    assert decode_html(body, declared).endswith("Zürich café – “quoted”")
