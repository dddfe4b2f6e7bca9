"""Which URL an article lives at: copies of one article on one site are one article.

A news article reaches a crawler under many URLs: the page itself, its AMP
copy (``/amp/``, ``?amp=1``, ``outputType=amp``, an ``amp.`` host), the feed's
link with tracking parameters, a mobile host. They are one article, and
storing them apart would make an outlet's AMP copy look like a syndicated
copy of its own story. The page says which URL is its own
(``<link rel="canonical">``, else ``og:url``); AMP pages without one are
mapped back by the usual URL patterns. A canonical URL on another site is
not the same article (a syndicated copy that credits its source): the page
keeps its own URL.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from ..errors import ApiError
from ..validation import canonical_url

__all__ = ["page_canonical", "declared_url", "strip_amp", "same_site", "site_of"]

_AMP_QUERY = {"amp", "outputtype", "amp_js_v", "usqp"}
_SITE_PREFIXES = ("www.", "amp.", "m.", "mobile.")


def site_of(url: str) -> str:
    """The host of ``url`` without the prefixes one site uses for its copies (www., amp., m., mobile.)."""
    host = (urlsplit(url).hostname or "").lower()
    changed = True
    while changed:
        changed = False
        for prefix in _SITE_PREFIXES:
            if host.startswith(prefix) and host.count(".") > 1:
                host = host[len(prefix) :]
                changed = True
    return host


def same_site(first: str, second: str) -> bool:
    return site_of(first) == site_of(second)


def strip_amp(url: str) -> str:
    """``url`` with AMP markers removed: ``/amp`` path segments, ``?amp``, ``outputType=amp``, an ``amp.`` host."""
    parts = urlsplit(url)
    host = parts.netloc
    if host.lower().startswith("amp.") and host.count(".") > 1:
        host = host[4:]
    segments = parts.path.split("/")
    path = "/".join(segment for segment in segments if segment.lower() not in ("amp", "amp.html")) or "/"
    if parts.path.lower().endswith(".amp.html"):
        path = path[: -len(".amp.html")] + ".html"
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if name.lower() not in _AMP_QUERY
    ]
    return urlunsplit((parts.scheme, host, path, urlencode(query, doseq=True), ""))


def declared_url(tree, base: str) -> str | None:
    """The URL the page declares as its own (rel=canonical, else og:url), resolved against ``base``."""
    links = '//link[@href][contains(concat(" ", normalize-space(@rel), " "), " canonical ")]/@href'
    for href in tree.xpath(links):
        if href.strip():
            return urljoin(base, href.strip())
    for content in tree.xpath('//meta[@property="og:url" and @content]/@content'):
        if content.strip():
            return urljoin(base, content.strip())
    return None


def page_canonical(tree, url: str) -> tuple[str | None, bool]:
    """(the page's canonical URL, whether the page is AMP); the URL is None when it is the page's own.

    The URL may be on another site: callers decide (see :func:`same_site`).
    """
    root = tree.getroottree().getroot()
    is_amp = any(name in root.attrib for name in ("amp", "\u26a1"))
    declared = declared_url(tree, url)
    if declared is None and is_amp:
        declared = strip_amp(url)
    if declared is None:
        return None, is_amp
    try:
        declared = canonical_url(declared)
        own = canonical_url(url)
    except ApiError:
        return None, is_amp
    if declared == own:
        return None, is_amp
    return declared, is_amp
