"""What a copy changed: a structured diff of a copy against its origin.

Input is the two texts, their titles, and the shared passages (half-open
character offsets into both, as verification finds them). Output says, for
a reader and for analysis:

* ``headline``: rewritten or not, with the titles' similarity (RapidFuzz's
  token-sort ratio, 0-1; rewritten below :data:`HEADLINE_KEPT`);
* ``lede``: rewritten when the copy's first paragraph carries less than half
  of itself from the origin's first paragraph (shared passages or edited
  sentences);
* ``paragraphs``: the origin's paragraphs the copy cut and the copy's
  paragraphs the origin lacks (less than :data:`PARAGRAPH_KEPT` of their
  text shared and none of their sentences an edit of the other's);
* ``sentences_edited``: copy sentences not carried word for word (some letter
  or digit outside the shared passages) but close to an origin sentence
  (RapidFuzz ratio of at least :data:`SENTENCE_EDITED`, below 100), with both
  spans.

Paragraphs are blocks separated by line breaks; sentences end with ., !, ?,
an ellipsis or a CJK full stop followed by a space or the end of the block.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process, utils

__all__ = ["Span", "Shared", "describe_changes", "paragraphs", "sentences", "HEADLINE_KEPT"]

HEADLINE_KEPT = 0.9
PARAGRAPH_KEPT = 0.2
# A sentence is carried unchanged only when every letter and digit of it lies in a shared passage.
SENTENCE_KEPT = 1.0
SENTENCE_EDITED = 0.6
# Sentence pairing is quadratic; beyond this many sentences a side, only the first are paired.
_MAX_SENTENCES = 400

Span = tuple[int, int]


@dataclass(frozen=True)
class Shared:
    """A shared passage: offsets into the copy and into the origin (half-open)."""

    copy_start: int
    copy_end: int
    origin_start: int
    origin_end: int


_BLOCK = re.compile(r"[^\n]+")
_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”’)\]]*(?:\s+|$)")


def paragraphs(text: str) -> list[Span]:
    """Spans of the non-blank lines (a paragraph per line; blank lines are separators too)."""
    spans = []
    for block in _BLOCK.finditer(text):
        start, end = block.span()
        stripped = block.group()
        if not stripped.strip():
            continue
        start += len(stripped) - len(stripped.lstrip())
        end -= len(stripped) - len(stripped.rstrip())
        spans.append((start, end))
    return spans


def sentences(text: str, within: Span) -> list[Span]:
    start, end = within
    spans = []
    cursor = start
    for stop in _SENTENCE_END.finditer(text, start, end):
        if stop.start() > cursor:
            spans.append((cursor, stop.start()))
        cursor = stop.end()
    if cursor < end and text[cursor:end].strip():
        spans.append((cursor, end))
    return spans


def _covered(text: str, spans: Sequence[Span]) -> tuple[np.ndarray, np.ndarray]:
    covered = np.zeros(len(text) + 1, dtype=np.int32)
    for start, end in spans:
        covered[start] += 1
        covered[end] -= 1
    mask = np.cumsum(covered)[: len(text)] > 0
    # Letters and digits only: passages end at token edges, so punctuation between them is never shared.
    visible = np.fromiter((ch.isalnum() for ch in text), dtype=bool, count=len(text))
    return mask, visible


def _share(mask: np.ndarray, visible: np.ndarray, span: Span) -> float:
    start, end = span
    total = int(visible[start:end].sum())
    return float((mask[start:end] & visible[start:end]).sum()) / total if total else 1.0


def _edited_pairs(
    copy_text: str,
    origin_text: str,
    copy_sentences: list[Span],
    origin_sentences: list[Span],
    copy_share: list[float],
) -> list[dict]:
    choices = [utils.default_process(origin_text[s:e]) for s, e in origin_sentences[:_MAX_SENTENCES]]
    pairs = []
    for span, share in zip(copy_sentences[:_MAX_SENTENCES], copy_share, strict=False):
        if share >= SENTENCE_KEPT:
            continue
        wanted = utils.default_process(copy_text[span[0] : span[1]])
        if not wanted:
            continue
        best = process.extractOne(wanted, choices, scorer=fuzz.ratio, score_cutoff=SENTENCE_EDITED * 100)
        if best is None or best[1] >= 100:
            continue  # no counterpart, or the same sentence (too short to be a passage)
        origin_span = origin_sentences[best[2]]
        pairs.append(
            {
                "copy_start": span[0],
                "copy_end": span[1],
                "origin_start": origin_span[0],
                "origin_end": origin_span[1],
                "similarity": round(best[1] / 100, 3),
            }
        )
    return pairs


def _inside(span: Span, outer: Span) -> bool:
    return outer[0] <= span[0] and span[1] <= outer[1]


def _lede_carried(
    shared: Sequence[Shared], edited: list[dict], copy_lede: Span, origin_lede: Span, copy_chars: int
) -> bool:
    carried = 0
    for passage in shared:
        start, end = max(passage.copy_start, copy_lede[0]), min(passage.copy_end, copy_lede[1])
        if end <= start:
            continue
        # Passages are runs of identical tokens: their offsets map one to one.
        origin_start = passage.origin_start + (start - passage.copy_start)
        origin_end = origin_start + (end - start)
        overlap = min(origin_end, origin_lede[1]) - max(origin_start, origin_lede[0])
        carried += max(0, overlap)
    for pair in edited:
        if _inside((pair["copy_start"], pair["copy_end"]), copy_lede) and _inside(
            (pair["origin_start"], pair["origin_end"]), origin_lede
        ):
            carried += pair["copy_end"] - pair["copy_start"]
    return carried * 2 >= copy_chars


def describe_changes(
    origin_text: str,
    copy_text: str,
    shared: Sequence[Shared],
    *,
    origin_title: str | None = None,
    copy_title: str | None = None,
) -> dict:
    """The changes from ``origin_text`` to ``copy_text`` (see the module's docstring)."""
    copy_mask, copy_visible = _covered(copy_text, [(p.copy_start, p.copy_end) for p in shared])
    origin_mask, origin_visible = _covered(origin_text, [(p.origin_start, p.origin_end) for p in shared])
    copy_paragraphs, origin_paragraphs = paragraphs(copy_text), paragraphs(origin_text)
    copy_sentences = [s for p in copy_paragraphs for s in sentences(copy_text, p)]
    origin_sentences = [s for p in origin_paragraphs for s in sentences(origin_text, p)]
    copy_share = [_share(copy_mask, copy_visible, s) for s in copy_sentences]
    edited = _edited_pairs(copy_text, origin_text, copy_sentences, origin_sentences, copy_share)

    def _kept(mask, visible, paragraph: Span, side: str) -> bool:
        if _share(mask, visible, paragraph) >= PARAGRAPH_KEPT:
            return True
        return any(_inside((pair[f"{side}_start"], pair[f"{side}_end"]), paragraph) for pair in edited)

    cut = [p for p in origin_paragraphs if not _kept(origin_mask, origin_visible, p, "origin")]
    added = [p for p in copy_paragraphs if not _kept(copy_mask, copy_visible, p, "copy")]

    headline_similarity = None
    headline_rewritten = None
    if origin_title and copy_title:
        headline_similarity = round(
            fuzz.token_sort_ratio(origin_title, copy_title, processor=utils.default_process) / 100, 3
        )
        headline_rewritten = headline_similarity < HEADLINE_KEPT
    lede_rewritten = None
    if copy_paragraphs and origin_paragraphs:
        lede = copy_paragraphs[0]
        lede_rewritten = not _lede_carried(
            shared, edited, lede, origin_paragraphs[0], int(copy_visible[lede[0] : lede[1]].sum())
        )
    return {
        "summary": {
            "headline_rewritten": headline_rewritten,
            "lede_rewritten": lede_rewritten,
            "paragraphs_cut": len(cut),
            "paragraphs_added": len(added),
            "sentences_edited": len(edited),
        },
        "headline": {"rewritten": headline_rewritten, "similarity": headline_similarity},
        "lede": {"rewritten": lede_rewritten},
        "paragraphs": {
            "origin": len(origin_paragraphs),
            "copy": len(copy_paragraphs),
            "cut": [{"origin_start": s, "origin_end": e} for s, e in cut],
            "added": [{"copy_start": s, "copy_end": e} for s, e in added],
        },
        "sentences_edited": edited,
    }
