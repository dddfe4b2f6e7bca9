"""Tokens for any script, each with its span in the original text.

A token is a maximal run of word characters of the normalised text, except in
scripts written without spaces between words (Chinese, Japanese kana, Thai,
Lao, Khmer, Myanmar), where every character is a token of its own and the
shingles built over them become character n-grams. Cyrillic and Greek
look-alikes hidden in Latin-script words are then spelled as the Latin
letters they imitate (:func:`fingerprints.normalize.fold_homoglyphs`), a
decision made per token from the token and its neighbours, identically on
both paths.

:func:`tokenize` is the fast path used everywhere; :func:`tokenize_reference`
is the obviously-correct definition it is tested against (it normalises the
whole text first, then splits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .normalize import decode_entities, fold_homoglyphs, normalize, normalize_char

__all__ = ["Tokens", "tokenize", "tokenize_reference", "canonical"]

_NO_SPACE_SCRIPTS = (
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\U00020000-\U0002ffff"
)
_TOKEN_RE = re.compile(f"[{_NO_SPACE_SCRIPTS}]|[^\\W{_NO_SPACE_SCRIPTS}]+")
# Common non-ASCII punctuation whose normal form holds no word character:
# spelled in ASCII before scanning so that a text whose only non-ASCII
# characters are curly quotes and dashes takes the all-ASCII path. Each maps
# to one character, so offsets do not move.
_ASCII_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": ".",
        "\u00a0": " ",
        "\u2022": "*",
        "\u00b7": "*",
        "\u00ab": '"',
        "\u00bb": '"',
    }
)
# What the all-ASCII path tokenises by itself: printable ASCII, and tab,
# newlines and the other whitespace controls (word separators either way).
# Anything else, non-ASCII characters and the ASCII control characters that
# normalisation drops (NUL, ...), is a region to normalise character by
# character.
_ASCII_PATH_CHARACTERS = bytes([9, 10, 11, 12, 13, *range(0x1C, 0x7F)])
_NON_ASCII_RE = re.compile(f"[^{re.escape(_ASCII_PATH_CHARACTERS.decode('ascii'))}]+")
_QUOTE_OR_NEWLINE_RE = re.compile('["\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\n]')
_OPENING_MARKS = "\u201c\u201e\u201f\u00ab"
_CLOSING_MARKS = "\u201d\u00bb\u2033"
_LONGEST_UNCLOSED = 600


@dataclass(frozen=True)
class Tokens:
    """The tokens of a text: normalised ``words`` and their original spans.

    ``quoted[i]`` is true when token ``i`` stands inside double quotation
    marks: shared quotations are evidence of quoting the same source, not of
    copying each other.
    """

    words: list[str]
    starts: np.ndarray
    ends: np.ndarray
    quoted: np.ndarray

    def __len__(self) -> int:
        return len(self.words)


def canonical(text: str) -> str:
    """The token sequence of ``text`` joined by spaces: what matching compares."""
    return " ".join(tokenize(text).words)


def _tokens_by_character(decoded: str, start: int, end: int, out_words, out_starts, out_ends) -> None:
    """Reference tokenisation of ``decoded[start:end]``, one character at a time."""
    pieces: list[str] = []
    sources: list[int] = []
    for index in range(start, end):
        normalised = normalize_char(decoded[index])
        pieces.append(normalised)
        sources.extend([index] * len(normalised))
    joined = "".join(pieces)
    for found in _TOKEN_RE.finditer(joined):
        out_words.append(found.group())
        out_starts.append(sources[found.start()])
        out_ends.append(sources[found.end() - 1] + 1)


def _complex_regions(decoded: str) -> list[tuple[int, int]]:
    """Whitespace-delimited runs that hold a non-ASCII character.

    Only these need character-by-character normalisation; whitespace never
    normalises to a word character, so a token cannot cross a region's edge.
    """
    regions: list[tuple[int, int]] = []
    length = len(decoded)
    for found in _NON_ASCII_RE.finditer(decoded):
        start, end = found.span()
        if regions and start <= regions[-1][1]:
            start = regions.pop()[0]
        else:
            while start > 0 and not decoded[start - 1].isspace():
                start -= 1
                if regions and start <= regions[-1][1]:
                    start = regions.pop()[0]
                    break
        while end < length and not decoded[end].isspace():
            end += 1
        regions.append((start, end))
    return regions


def _mark_kind(text: str, position: int, mark: str) -> str:
    """Whether a quotation mark opens or closes, from its shape or its neighbours."""
    if mark in _OPENING_MARKS:
        return "open"
    if mark in _CLOSING_MARKS:
        return "close"
    before = text[position - 1] if position > 0 else " "
    after = text[position + 1] if position + 1 < len(text) else " "
    if before.isspace() or before in "([{-\u2013\u2014/":
        return "open"
    if after.isspace() or not after.isalnum():
        return "close"
    return "either"


def _quoted_ranges(decoded: str) -> list[tuple[int, int]]:
    """Character ranges between double quotation marks.

    Marks are told apart as opening or closing by their shape (curly quotes)
    or their neighbours (straight quotes), so one stray mark cannot flip the
    rest of a text into a quotation. News style leaves a quotation that runs
    on into the next paragraph unclosed; an unclosed quotation ends with its
    paragraph, and after ``_LONGEST_UNCLOSED`` characters at most, because
    scraped text often comes as one long paragraph. A closing mark with no
    opening one (a text that starts mid-quotation) is ignored.
    """
    ranges: list[tuple[int, int]] = []
    opening = None

    def close_unclosed(at: int) -> None:
        ranges.append((opening, min(at, opening + _LONGEST_UNCLOSED)))

    for found in _QUOTE_OR_NEWLINE_RE.finditer(decoded):
        position = found.start()
        mark = found.group()
        if mark == "\n":
            if opening is not None:
                close_unclosed(position)
                opening = None
            continue
        kind = _mark_kind(decoded, position, mark)
        if opening is None:
            if kind != "close":
                opening = position
        elif kind == "open":
            close_unclosed(position)
            opening = position
        else:
            ranges.append((opening, position))
            opening = None
    if opening is not None:
        close_unclosed(len(decoded))
    return ranges


def _quoted_mask(starts, ranges: list[tuple[int, int]]) -> np.ndarray:
    count = len(starts)
    if not ranges or not count:
        return np.zeros(count, dtype=bool)
    token_starts = np.asarray(starts, dtype=np.int64)
    openings, closings = np.asarray(ranges, dtype=np.int64).T
    first = np.searchsorted(token_starts, openings, side="right")
    end = np.searchsorted(token_starts, closings, side="left")
    kept = first < end
    # +1 where each range begins, -1 after it ends: a token is quoted when
    # the running sum is positive.
    changes = np.bincount(first[kept], minlength=count + 1) - np.bincount(end[kept], minlength=count + 1)
    return np.cumsum(changes[:count]) > 0


def _finish(decoded, entity_spans, words, starts: np.ndarray, ends: np.ndarray) -> Tokens:
    quoted = _quoted_mask(starts, _quoted_ranges(decoded))
    if entity_spans is not None:
        starts = np.asarray([entity_spans[i][0] for i in starts.tolist()], dtype=np.int64)
        ends = np.asarray([entity_spans[i - 1][1] for i in ends.tolist()], dtype=np.int64)
    return Tokens(words=words, starts=starts, ends=ends, quoted=quoted)


# For ASCII stretches tokens are found with numpy and bytes.split() rather
# than one regex match object per word: this loop is the hottest in ingest.
_ASCII_WORD_TABLE = np.zeros(256, dtype=np.int8)
_ASCII_WORD_BYTES = bytearray(b" " * 256)  # a word byte in lower case, anything else a space
for _code in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_":
    _ASCII_WORD_TABLE[_code] = 1
    _ASCII_WORD_BYTES[_code] = ord(chr(_code).lower())
_ASCII_WORD_BYTES = bytes(_ASCII_WORD_BYTES)


def _ascii_tokens(encoded: bytes, offset: int):
    """Tokens of an ASCII stretch: (words, starts, ends), the spans moved by ``offset``."""
    if not encoded:
        return [], np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    is_word = np.zeros(len(encoded) + 2, dtype=np.int8)
    is_word[1:-1] = _ASCII_WORD_TABLE[np.frombuffer(encoded, dtype=np.uint8)]
    # Where a word begins or ends, alternately.
    edges = np.flatnonzero(is_word[1:] != is_word[:-1]) + offset
    words = encoded.translate(_ASCII_WORD_BYTES).decode("ascii").split()
    return words, edges[0::2], edges[1::2]


def _to_ascii_punctuation(text: str) -> str:
    """``text`` with the punctuation of ``_ASCII_PUNCTUATION`` spelled in ASCII.

    str.translate looks every character up in the table; most texts hold
    few or none of these, and a search for each is far quicker.
    """
    if text.isascii():
        return text
    for code, replacement in _ASCII_PUNCTUATION.items():
        character = chr(code)
        if character in text:
            text = text.replace(character, replacement)
    return text


def ascii_path_bytes(scanned: str) -> bytes | None:
    """The bytes of ``scanned`` (punctuation already spelled in ASCII) when the all-ASCII path takes it, else None.

    Shared by the tokeniser's ASCII path and the compiled kernel's, which
    must take exactly the same texts.
    """
    if not scanned.isascii():
        return None
    encoded = scanned.encode("ascii")
    return None if encoded.translate(None, _ASCII_PATH_CHARACTERS) else encoded


def tokenize(text: str) -> Tokens:
    """Tokenise ``text``; spans are offsets into ``text`` as given."""
    decoded, entity_spans = decode_entities(text)
    scanned = _to_ascii_punctuation(decoded)
    encoded = ascii_path_bytes(scanned)
    if encoded is not None:
        # Most texts are all ASCII once their punctuation is: no region
        # needs normalising one character at a time.
        words, starts, ends = _ascii_tokens(encoded, 0)
        return _finish(decoded, entity_spans, words, starts, ends)
    words: list[str] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []

    def add_ascii(start: int, end: int) -> None:
        found_words, found_starts, found_ends = _ascii_tokens(scanned[start:end].encode("ascii"), start)
        words.extend(found_words)
        starts.append(found_starts)
        ends.append(found_ends)

    position = 0
    non_ascii: list[int] = []  # indices of the words that may hold look-alike letters
    for region_start, region_end in _complex_regions(scanned):
        add_ascii(position, region_start)
        region_starts: list[int] = []
        region_ends: list[int] = []
        first = len(words)
        _tokens_by_character(scanned, region_start, region_end, words, region_starts, region_ends)
        non_ascii.extend(range(first, len(words)))
        starts.append(np.asarray(region_starts, dtype=np.int64))
        ends.append(np.asarray(region_ends, dtype=np.int64))
        position = region_end
    add_ascii(position, len(decoded))
    if non_ascii:
        fold_homoglyphs(words, non_ascii)
    return _finish(decoded, entity_spans, words, np.concatenate(starts), np.concatenate(ends))


def tokenize_reference(text: str) -> Tokens:
    """Slow reference: normalise the whole text, then split it into tokens."""
    normalized = normalize(text)
    words: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for found in _TOKEN_RE.finditer(normalized.text):
        start, end = normalized.original_span(found.start(), found.end())
        words.append(found.group())
        starts.append(start)
        ends.append(end)
    return Tokens(
        fold_homoglyphs(words),
        np.asarray(starts, dtype=np.int64),
        np.asarray(ends, dtype=np.int64),
        _quoted_mask(np.asarray(starts, dtype=np.int64), _quoted_ranges(decode_entities(text)[0])),
    )
