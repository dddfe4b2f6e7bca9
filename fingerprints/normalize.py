"""Text normalisation with a map back to the original characters.

Scraped news text reaches us with curly or straight quotes, several dash and
space characters, HTML entities the scraper left behind, ligatures,
full-width letters, zero-width characters and decomposed accents. None of that
should decide whether two texts match, but the passages we report must point
at the text exactly as it was sent. So every normalised character remembers
the span of the original text it came from.

Normalisation is defined character by character (after entity decoding), which
is what lets the fast tokeniser in :mod:`fingerprints.tokens` normalise only
the characters that need it and still agree exactly with :func:`normalize`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Normalized", "decode_entities", "normalize", "normalize_char", "INVISIBLE_CHARS"]

# Characters that render as nothing; also the classic way to make two equal
# strings compare different.
INVISIBLE_CHARS = frozenset("\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff")

_QUOTES_AND_DASHES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\ufe58": "-",
    }
)

# Named entities need a terminating ";" here: "&amp" glued to a word is more
# often a URL query string than an entity.
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)")


def _is_combining_diacritic(char: str) -> bool:
    # Only the generic Latin/Greek/Cyrillic diacritics are folded away; marks
    # that carry meaning in other scripts (Thai vowels, Devanagari matras)
    # stay.
    return "\u0300" <= char <= "\u036f"


@lru_cache(maxsize=65536)
def normalize_char(char: str) -> str:
    """The normalised form of one character: possibly empty, possibly several characters.

    NFKD, then drop generic diacritics and invisible characters, then NFKC,
    case folding, and one spelling for quotes and dashes. Any whitespace
    becomes a plain space.
    """
    if char in INVISIBLE_CHARS or _is_combining_diacritic(char):
        return ""
    if char.isspace():
        return " "
    decomposed = unicodedata.normalize("NFKD", char)
    kept = "".join(c for c in decomposed if not _is_combining_diacritic(c) and c not in INVISIBLE_CHARS)
    folded = unicodedata.normalize("NFKC", kept).casefold().translate(_QUOTES_AND_DASHES)
    return "".join(" " if c.isspace() else c for c in folded)


def decode_entities(text: str) -> tuple[str, list[tuple[int, int]] | None]:
    """Decode HTML entities a scraper left in ``text``.

    Returns the decoded text and, when anything was decoded, the original
    ``(start, end)`` span of every decoded character; ``None`` means the text
    had no entities and positions are unchanged.
    """
    if "&" not in text:
        return text, None
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    position = 0
    for found in _ENTITY_RE.finditer(text):
        start, end = found.span()
        decoded = html.unescape(found.group())
        if decoded == found.group():
            continue
        pieces.append(text[position:start])
        spans.extend((i, i + 1) for i in range(position, start))
        pieces.append(decoded)
        spans.extend((start, end) for _ in decoded)
        position = end
    if not pieces:
        return text, None
    pieces.append(text[position:])
    spans.extend((i, i + 1) for i in range(position, len(text)))
    return "".join(pieces), spans


@dataclass(frozen=True)
class Normalized:
    """Normalised text; ``starts[i]:ends[i]`` is the original span of character ``i``."""

    text: str
    starts: list[int]
    ends: list[int]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span covered by normalised characters ``start:end`` (end exclusive, non-empty)."""
        return self.starts[start], self.ends[end - 1]


def normalize(text: str) -> Normalized:
    """Normalise ``text`` one character at a time, keeping the offset map.

    This is the reference definition; runs of whitespace collapse to one space
    and leading/trailing whitespace is dropped.
    """
    decoded, entity_spans = decode_entities(text)
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(decoded):
        start, end = entity_spans[index] if entity_spans is not None else (index, index + 1)
        for piece in normalize_char(char):
            if piece == " " and (not out or out[-1] == " "):
                continue
            out.append(piece)
            starts.append(start)
            ends.append(end)
    if out and out[-1] == " ":
        out.pop()
        starts.pop()
        ends.pop()
    return Normalized("".join(out), starts, ends)
