"""Finding article URLs in feeds and sitemaps.

A source document is told apart by what it is, not by its name: XML whose
root is ``urlset`` is a sitemap (news sitemaps are sitemaps with a
``news:news`` element per URL, which gives a title and a publication date),
``sitemapindex`` lists more sitemaps, anything else is handed to feedparser
(RSS 0.9x to 2.0, RSS 1.0, Atom, and their broken variants). Sitemaps are
parsed with defusedxml: a sitemap is untrusted input, and entity expansion or
external entities must not reach the parser. Gzipped sitemaps are unpacked,
with a cap on the unpacked size.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass, field

import feedparser
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

__all__ = ["Discovered", "Discovery", "DiscoveryError", "discover", "MAX_UNPACKED_BYTES"]

# A sitemap holds at most 50,000 URLs and 50 MB unpacked (sitemaps.org).
MAX_UNPACKED_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Discovered:
    url: str
    title: str | None = None
    published_at: str | None = None  # as the source wrote it; checked when stored
    lastmod: str | None = None


@dataclass
class Discovery:
    kind: str  # "feed" | "sitemap" | "sitemapindex"
    articles: list[Discovered] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)


class DiscoveryError(ValueError):
    """A source document that is neither a feed nor a sitemap."""


def _gunzip(body: bytes) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as unpacked:
            data = unpacked.read(MAX_UNPACKED_BYTES + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise DiscoveryError(f"a broken gzip file: {error}") from None
    if len(data) > MAX_UNPACKED_BYTES:
        raise DiscoveryError(f"unpacks to more than {MAX_UNPACKED_BYTES} bytes")
    return data


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child_text(element, name: str) -> str | None:
    for child in element.iter():
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def _sitemap(root) -> Discovery:
    if _local(root.tag) == "sitemapindex":
        found = Discovery("sitemapindex")
        for entry in root:
            if _local(entry.tag) == "sitemap" and (location := _child_text(entry, "loc")):
                found.sitemaps.append(location)
        return found
    found = Discovery("sitemap")
    for entry in root:
        if _local(entry.tag) != "url" or not (location := _child_text(entry, "loc")):
            continue
        found.articles.append(
            Discovered(
                location,
                title=_child_text(entry, "title"),  # news:title
                published_at=_child_text(entry, "publication_date"),  # news:publication_date
                lastmod=_child_text(entry, "lastmod"),
            )
        )
    return found


def _feed(body: bytes) -> Discovery:
    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise DiscoveryError(f"neither a sitemap nor a feed ({parsed.get('bozo_exception', 'unreadable')})")
    found = Discovery("feed")
    for entry in parsed.entries:
        link = entry.get("link")
        if not link:
            continue
        # dict.get: feedparser's own get() maps a missing "updated" to "published" with a deprecation warning.
        published = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
        found.articles.append(
            Discovered(
                link,
                title=entry.get("title") or None,
                published_at=(
                    "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*published[:6]) if published else None
                ),
                lastmod=dict.get(entry, "updated"),
            )
        )
    return found


def discover(body: bytes) -> Discovery:
    """The article URLs (and further sitemaps) a feed or sitemap lists."""
    body = _gunzip(body)
    head = body[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<urlset" in head or b"<sitemapindex" in head:
        try:
            root = ElementTree.fromstring(body)
        except (ElementTree.ParseError, DefusedXmlException) as error:
            raise DiscoveryError(f"a sitemap that is not well-formed XML: {error}") from None
        if _local(root.tag) in ("urlset", "sitemapindex"):
            return _sitemap(root)
    return _feed(body)
