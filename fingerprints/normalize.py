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

__all__ = [
    "Normalized",
    "decode_entities",
    "normalize",
    "normalize_char",
    "fold_homoglyphs",
    "HOMOGLYPHS",
    "INVISIBLE_CHARS",
]

# Characters that render as nothing; also the classic way to make two equal
# strings compare different: zero-width spaces and joiners, soft hyphen, BOM,
# invisible operators, bidirectional marks and controls, variation selectors,
# Hangul fillers, and control characters that are not whitespace (NUL, ...).
INVISIBLE_CHARS = frozenset(
    "\u00ad\u180e\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff"
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
    "\u115f\u1160\u3164\uffa0"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(chr(c) for c in [*range(0x00, 0x20), *range(0x7F, 0xA0)] if not chr(c).isspace())
)

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


# Cyrillic and Greek letters that look like Latin ones, as normalize_char
# spells them (case-folded), and the Latin letter each passes for. Greek is
# read by its capitals (the usual substitutes: Η for H, Ν for N, Υ for Y), so
# a lower-case ν or υ standing in for v or u is not caught.
HOMOGLYPHS = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ѕ": "s", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "һ": "h", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l",
    "ү": "y", "ѵ": "v", "ѡ": "w",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "ζ": "z", "η": "h", "ι": "i", "κ": "k", "μ": "m", "ν": "n",
    "ο": "o", "ρ": "p", "τ": "t", "υ": "y", "χ": "x", "ω": "w", "ϲ": "c", "ϳ": "j",
}  # fmt: skip
_HOMOGLYPH_TABLE = str.maketrans(HOMOGLYPHS)
_CYRILLIC_OR_GREEK = re.compile("[\u0370-\u03ff\u1f00-\u1fff\u0400-\u052f\u1c80-\u1c8f\u2de0-\u2dff\ua640-\ua69f]")
_HAS_HOMOGLYPH = re.compile(f"[{''.join(HOMOGLYPHS)}]")

# What a token says about the script of the words around it.
_LATIN, _LOOKALIKE, _OTHER_SCRIPT, _NEUTRAL = "latin", "lookalike", "other", "neutral"


@lru_cache(maxsize=65536)
def _token_class(word: str) -> str:
    """``latin`` (possibly with look-alikes), ``lookalike`` (only look-alike letters), ``other`` or ``neutral``."""
    if word.isascii():
        return _NEUTRAL if word.replace("_", "").isdigit() or word == "_" * len(word) else _LATIN
    latin = lookalike = foreign = False
    for char in word:
        if char in HOMOGLYPHS:
            lookalike = True
        elif _CYRILLIC_OR_GREEK.match(char):
            if char.isalpha():
                foreign = True
        elif char.isalpha() and ("a" <= char <= "z" or unicodedata.name(char, "").startswith("LATIN")):
            latin = True
    if foreign:
        # A letter that passes for no Latin one: a genuine Cyrillic or Greek word.
        return _OTHER_SCRIPT if not latin else _NEUTRAL
    if latin:
        return _LATIN
    return _LOOKALIKE if lookalike else _NEUTRAL


def fold_homoglyphs(words: list[str], positions: list[int] | None = None) -> list[str]:
    """Spell Cyrillic and Greek look-alikes hidden in Latin-script text as the Latin letters they imitate.

    Folding is decided per token, never per character, so that Russian and
    Greek text keeps its own letters:

    - a token that mixes Latin letters with look-alikes (``gоvernment`` with a
      Cyrillic ``о``) is folded;
    - a token made only of look-alikes (``сору``, ``а``) is folded when the
      nearest telling words around it are Latin and neither is Cyrillic or
      Greek: an English word spelled entirely in look-alikes, among English
      words. Look-alike-only words at the edge of a Russian quotation in an
      English text (``Москва``, all look-alikes, next to ``и``) stay;
    - a token with any Cyrillic or Greek letter that passes for no Latin one
      (``Αθήνα``, ``и``) is never folded.

    ``words`` are normalised tokens; ``positions``, when given, are the only
    indices that may hold non-ASCII words. The list is changed in place and
    returned. Folding maps one character to one, so token spans do not move.
    """
    if positions is None:
        positions = range(len(words))
    suspects = [i for i in positions if not words[i].isascii() and _HAS_HOMOGLYPH.search(words[i])]
    if not suspects:
        return words
    classes: list[str] | None = None
    for index in suspects:
        kind = _token_class(words[index])
        if kind == _LATIN:
            words[index] = words[index].translate(_HOMOGLYPH_TABLE)
        elif kind == _LOOKALIKE:
            if classes is None:
                classes = _among_latin_words(words)
            if classes[index]:
                words[index] = words[index].translate(_HOMOGLYPH_TABLE)
    return words


def _among_latin_words(words: list[str]) -> list[bool]:
    """For each token: are the nearest telling tokens around it Latin, with no Cyrillic or Greek word on either side?

    Look-alike-only and neutral tokens (numbers, other scripts) tell nothing
    and are skipped over.
    """
    kinds = [_token_class(word) for word in words]
    before: list[str | None] = [None] * len(words)
    after: list[str | None] = [None] * len(words)
    latest = None
    for index, kind in enumerate(kinds):
        before[index] = latest
        if kind in (_LATIN, _OTHER_SCRIPT):
            latest = kind
    latest = None
    for index in range(len(words) - 1, -1, -1):
        after[index] = latest
        if kinds[index] in (_LATIN, _OTHER_SCRIPT):
            latest = kinds[index]
    return [
        _OTHER_SCRIPT not in (left, right) and _LATIN in (left, right)
        for left, right in zip(before, after, strict=True)
    ]


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
