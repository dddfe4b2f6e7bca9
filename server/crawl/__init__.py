"""Building a corpus: ``wiretrace crawl`` reads feeds and sitemaps, fetches pages politely and stores articles.

One module per concept: :mod:`.sources` (the sources file), :mod:`.discovery`
(feeds and sitemaps), :mod:`.fetch` (politeness, retries, limits),
:mod:`.extract` (the article out of a page), :mod:`.canonical` (which URL an
article lives at) and :mod:`.crawler` (the pass and its state in the
database). The address guard is :mod:`server.netguard`.
"""

from .canonical import page_canonical, same_site, strip_amp
from .crawler import CrawlCounts, Crawler, CrawlOptions, user_agent
from .discovery import Discovered, Discovery, DiscoveryError, discover
from .extract import Extracted, decode_html, extract_article
from .fetch import Fetcher, FetchFailed, FetchPolicy, Page
from .sources import Source, SourcesError, parse_sources, read_sources

__all__ = [
    "page_canonical",
    "same_site",
    "strip_amp",
    "CrawlCounts",
    "Crawler",
    "CrawlOptions",
    "user_agent",
    "Discovered",
    "Discovery",
    "DiscoveryError",
    "discover",
    "Extracted",
    "decode_html",
    "extract_article",
    "Fetcher",
    "FetchFailed",
    "FetchPolicy",
    "Page",
    "Source",
    "SourcesError",
    "parse_sources",
    "read_sources",
]
