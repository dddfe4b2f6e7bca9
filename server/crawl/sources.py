"""The sources file: which feeds and sitemaps to crawl, and whose they are.

One source a line: a URL (an RSS or Atom feed, a news sitemap, a sitemap or
a sitemap index; which one is told from the document itself), then
optionally the outlet its articles belong to. Blank lines and lines starting
with ``#`` are ignored::

    # feeds
    https://www.harbourtimes.example/rss.xml        harbourtimes
    https://www.harbourtimes.example/sitemap_news.xml
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import ApiError
from ..validation import canonical_url

__all__ = ["Source", "SourcesError", "parse_sources", "read_sources"]


@dataclass(frozen=True)
class Source:
    url: str
    outlet: str | None = None


class SourcesError(ValueError):
    """A sources file with a line that is not a source; the message names the line."""


def parse_sources(text: str, name: str = "sources") -> list[Source]:
    sources: dict[str, Source] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) > 2:
            raise SourcesError(f"{name}:{number}: expected 'URL [OUTLET]', got {len(fields)} fields")
        try:
            url = canonical_url(fields[0])
        except ApiError as error:
            raise SourcesError(f"{name}:{number}: {error.message}") from None
        outlet = fields[1].lower() if len(fields) == 2 else None
        sources.setdefault(url, Source(url, outlet))
    if not sources:
        raise SourcesError(f"{name}: no sources (one feed or sitemap URL a line, optionally followed by an outlet)")
    return list(sources.values())


def read_sources(path: str) -> list[Source]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise SourcesError(f"cannot read sources file {path}: {error}") from None
    return parse_sources(text, path)
