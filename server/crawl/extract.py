"""An article out of a news page: its text, title, author, date, and the URL it calls its own.

Text, title and author come from trafilatura, which drops navigation,
related links, comments and cookie banners; the date from the page's
metadata (trafilatura) or, failing that, htmldate. The bytes are decoded
by what they are rather than what the server says: a byte-order mark,
valid UTF-8, the page's own ``<meta charset>``, then the header, then
detection; servers that label UTF-8 pages ISO-8859-1 are common.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer
import trafilatura
from htmldate import find_date
from lxml import html as lxml_html

from .canonical import page_canonical

__all__ = ["Extracted", "decode_html", "extract_article", "MIN_ARTICLE_WORDS"]

# Fewer words than this is a section front, a login wall or an error page, not an article.
MIN_ARTICLE_WORDS = 25

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


@dataclass(frozen=True)
class Extracted:
    text: str
    title: str | None
    author: str | None
    published_at: str | None
    canonical_url: str | None  # the page's own idea of its URL (rel=canonical, og:url, AMP patterns)
    is_amp: bool


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.decode("ascii", "ignore") if isinstance(name, bytes) else name).name
    except LookupError:
        return None


def decode_html(body: bytes, declared: str | None = None) -> str:
    """The page's text, decoded by the evidence in the bytes before the server's header."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, "replace")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return text
    candidates = []
    if match := _META_CHARSET.search(body[:4096]):
        candidates.append(_codec(match.group(1)))
    candidates.append(_codec(declared))
    for encoding in candidates:
        # A page that says UTF-8 but is not valid UTF-8 was ruled out above.
        if encoding and encoding != "utf-8":
            try:
                return body.decode(encoding)
            except UnicodeDecodeError:
                continue
    best = charset_normalizer.from_bytes(body).best()
    if best is not None:
        return str(best)
    return body.decode("cp1252", "replace")


def _tree(html: str):
    try:
        return lxml_html.document_fromstring(html)
    except (ValueError, lxml_html.etree.ParserError):
        return None


def extract_article(html: str, url: str) -> Extracted | None:
    """The article on the page at ``url``, or None when the page holds no article text."""
    tree = _tree(html)
    if tree is None:
        return None
    canonical, is_amp = page_canonical(tree, url)
    document = trafilatura.bare_extraction(
        html,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        include_images=False,
        favor_precision=True,
        deduplicate=False,
    )
    if document is None or len((document.text or "").split()) < MIN_ARTICLE_WORDS:
        return None
    published = document.date
    if not published:
        published = find_date(tree, url=url, extensive_search=False, outputformat="%Y-%m-%d")
    return Extracted(
        text=document.text.strip(),
        title=(document.title or "").strip() or None,
        author=(document.author or "").strip() or None,
        published_at=published or None,
        canonical_url=canonical,
        is_amp=is_amp,
    )
