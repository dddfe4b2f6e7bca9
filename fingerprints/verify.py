"""Verification: what two texts really share, measured exactly.

The candidate index only proposes. Here two fingerprints are aligned by exact
run extension: every shingle the texts share is a point on a diagonal
(query position, match position), and consecutive points on one diagonal form
a run of identical tokens. The longest runs that do not overlap become
passages, with character offsets into both original texts. Scores are exact
counts over those passages, never estimates.

Two kinds of shared text are not evidence of copying and are set aside:
passages that lie inside quotation marks in either text (reporters quoting
the same statement), and passages the caller marks as boilerplate (text an
outlet repeats under every article).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .fingerprint import Fingerprint

__all__ = [
    "Passage",
    "Comparison",
    "VerifyOptions",
    "align",
    "align_if_verifiable",
    "score",
    "compare",
    "could_verify",
    "required_evidence",
    "weigh_evidence",
    "set_aside_boilerplate",
    "covered_tokens",
]

# A shingle that recurs more often than this inside one text (a refrain, a
# repeated table row) would make the alignment quadratic; its extra
# occurrences add nothing.
_MAX_OCCURRENCES = 8


@dataclass(frozen=True)
class VerifyOptions:
    # Shared runs shorter than this many tokens are chance phrases
    # ("the prime minister said on"), not reuse.
    min_passage_tokens: int = 8
    # A match needs this much shared text that is neither quotation nor
    # boilerplate, or half of the shorter text when that is less: a hundred
    # words is the "substantial part" below which shared phrases are more
    # often coincidence, a common source or a stock paragraph than reuse.
    min_evidence_tokens: int = 100
    # Share of a passage's tokens inside one quotation (in either text) above
    # which it counts as a quotation: quoting a statement, even one another
    # text carries unquoted (a press release, a transcript), is attribution,
    # not copying.
    quotation_share: float = 0.8
    # Shared narration (outside quotations) from which shared quotations
    # count as evidence too.
    min_unquoted_tokens: int = 30
    # Containment from which a text counts as (nearly) all of the other.
    whole_text_containment: float = 0.8


DEFAULT_OPTIONS = VerifyOptions()


@dataclass(frozen=True)
class Passage:
    """A maximal run of identical tokens; character offsets are half-open."""

    query_start: int
    query_end: int
    match_start: int
    match_end: int
    query_first_token: int
    match_first_token: int
    tokens: int
    quoted: bool = False
    boilerplate: bool = False

    def query_shingles(self, shingle_width: int) -> slice:
        """The query's shingles inside this passage, for shingles of ``shingle_width`` tokens."""
        return slice(self.query_first_token, self.query_first_token + self.tokens - shingle_width + 1)

    def match_shingles(self, shingle_width: int) -> slice:
        return slice(self.match_first_token, self.match_first_token + self.tokens - shingle_width + 1)

    def to_json(self) -> dict[str, int]:
        return {
            "query_start": self.query_start,
            "query_end": self.query_end,
            "match_start": self.match_start,
            "match_end": self.match_end,
        }


@dataclass(frozen=True)
class Comparison:
    similarity: float
    containment_query: float
    containment_match: float
    relation: str
    passages: list[Passage]
    evidence_tokens: int
    verified: bool


def _lookup(query: Fingerprint, match: Fingerprint) -> tuple[np.ndarray, np.ndarray]:
    """Where each query shingle's hash begins and ends among the match's sorted shingles (query's sorted order).

    Looking the query's shingles up in their own sorted order walks the
    match's sorted shingles once, instead of jumping about them: this is the
    costliest step of aligning two long texts, and :func:`could_verify`
    needs the same lookup.
    """
    if query.params != match.params:
        raise ValueError("fingerprints made with different parameters cannot be compared")
    _, sorted_match = match.shingle_order
    _, sorted_query = query.shingle_order
    return (
        np.searchsorted(sorted_match, sorted_query, side="left"),
        np.searchsorted(sorted_match, sorted_query, side="right"),
    )


def _diagonal_runs(query: Fingerprint, match: Fingerprint, lookup: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Runs of consecutive shared shingles as rows (query_start, match_start, length)."""
    order, _ = match.shingle_order
    query_order, _ = query.shingle_order
    low = np.empty(len(query_order), dtype=np.int64)
    high = np.empty(len(query_order), dtype=np.int64)
    low[query_order], high[query_order] = lookup
    counts = np.minimum(high - low, _MAX_OCCURRENCES)
    rank = query.occurrence_rank
    shared = np.nonzero(counts)[0]
    if len(shared) == 0:
        return np.zeros((0, 3), dtype=np.int64)
    counts = counts[shared]
    # When a shingle recurs more often than that, the k-th occurrence in the
    # query is paired with the occurrences around the k-th in the match, so
    # that a repeated refrain still aligns along its own diagonal.
    first = np.clip(low[shared] + rank[shared] - _MAX_OCCURRENCES // 2, low[shared], high[shared] - counts)
    query_positions = np.repeat(shared, counts)
    # Offsets 0..count-1 within each shingle's window of equal match values.
    block_starts = np.repeat(np.cumsum(counts) - counts, counts)
    within = np.arange(len(query_positions)) - block_starts
    match_positions = order[np.repeat(first, counts) + within]
    diagonal = match_positions - query_positions
    # The query positions are ascending already: a stable sort by diagonal
    # orders the pairs by (diagonal, query position).
    by_diagonal = np.argsort(diagonal, kind="stable")
    query_positions = query_positions[by_diagonal]
    diagonal = diagonal[by_diagonal]
    breaks = np.ones(len(query_positions), dtype=bool)
    breaks[1:] = (diagonal[1:] != diagonal[:-1]) | (query_positions[1:] != query_positions[:-1] + 1)
    run_starts = np.nonzero(breaks)[0]
    lengths = np.diff(np.append(run_starts, len(query_positions)))
    starts = query_positions[run_starts]
    return np.stack([starts, starts + diagonal[run_starts], lengths], axis=1)


def _passage(
    query: Fingerprint, match: Fingerprint, query_at: int, match_at: int, tokens: int, **flags: bool
) -> Passage:
    """The passage of ``tokens`` tokens from token ``query_at`` of the query and ``match_at`` of the match."""
    return Passage(
        query_start=int(query.token_starts[query_at]),
        query_end=int(query.token_ends[query_at + tokens - 1]),
        match_start=int(match.token_starts[match_at]),
        match_end=int(match.token_ends[match_at + tokens - 1]),
        query_first_token=query_at,
        match_first_token=match_at,
        tokens=tokens,
        **flags,
    )


def _within_one_quotation(text: Fingerprint, first_token: int, tokens: int, options: VerifyOptions) -> bool:
    """Whether ``tokens`` tokens of ``text`` from ``first_token`` are (nearly) all one quotation.

    Two reporters quoting one statement share a run that lies inside a single
    quotation. A copy of a quote-heavy story shares runs that cross from one
    quotation through the narration into the next: that is copying.
    """
    quoted_before, openings_before = text.quotation_counts
    end = first_token + tokens
    quoted_count = int(quoted_before[end] - quoted_before[first_token])
    if quoted_count < options.quotation_share * tokens:
        return False
    # Openings after the passage's first token, plus the first token itself
    # when it is quoted (a passage can begin inside a quotation).
    openings = int(openings_before[end] - openings_before[first_token + 1]) + bool(text.quoted[first_token])
    return openings == 1


def _stretches(mask: np.ndarray) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """(offset, length) of every maximal stretch of True in ``mask``, and of every stretch of False."""
    length = len(mask)
    if not length:
        return [], []
    padded = np.zeros(length + 2, dtype=np.int8)
    padded[1:-1] = mask
    # Where a stretch of True begins or ends, alternately.
    edges = np.flatnonzero(padded[1:] != padded[:-1]).tolist()
    true = [(start, end - start) for start, end in zip(edges[0::2], edges[1::2], strict=True)]
    bounds = [0, *edges, length]
    false = [(start, end - start) for start, end in zip(bounds[0::2], bounds[1::2], strict=True) if end > start]
    return true, false


def _true_stretches(mask: np.ndarray) -> list[tuple[int, int]]:
    """(offset, length) of every maximal stretch of True in ``mask``."""
    return _stretches(mask)[0]


def align(query: Fingerprint, match: Fingerprint, options: VerifyOptions = DEFAULT_OPTIONS) -> list[Passage]:
    """The longest non-overlapping runs of shared tokens, in query order."""
    return _align(query, match, _lookup(query, match), options)


def align_if_verifiable(
    query: Fingerprint, match: Fingerprint, options: VerifyOptions = DEFAULT_OPTIONS
) -> list[Passage] | None:
    """:func:`align`, or None when :func:`could_verify` turns the pair away; the lookup both need is made once."""
    lookup = _lookup(query, match)
    if not _enough_shared(query, match, lookup, options):
        return None
    return _align(query, match, lookup, options)


def _align(
    query: Fingerprint, match: Fingerprint, lookup: tuple[np.ndarray, np.ndarray], options: VerifyOptions
) -> list[Passage]:
    size = query.params.shingle_size
    runs = _diagonal_runs(query, match, lookup)
    if len(runs) == 0:
        return []
    query_tokens = query.token_count
    match_tokens = match.token_count
    # A run of n shingles covers n + size - 1 tokens (short texts have one
    # shingle covering all their tokens).
    width = min(size, query_tokens, match_tokens)
    lengths = runs[:, 2] + width - 1
    minimum = min(options.min_passage_tokens, query_tokens, match_tokens)
    candidates = np.nonzero(lengths >= minimum)[0]
    candidates = candidates[np.argsort(-lengths[candidates], kind="stable")]
    query_used = np.zeros(query_tokens, dtype=bool)
    match_used = np.zeros(match_tokens, dtype=bool)
    shortest = max(minimum, width)
    passages = []
    for index in candidates:
        query_first, match_first, _ = (int(v) for v in runs[index])
        length = int(lengths[index])
        # A run that overlaps one already taken (the word after a splice
        # often equals the word after the cut) keeps its free stretches.
        free = ~(query_used[query_first : query_first + length] | match_used[match_first : match_first + length])
        # Most runs of a repetitive text overlap what is already taken:
        # settle those without splitting them.
        free_count = int(np.count_nonzero(free))
        if free_count < shortest:
            continue
        stretches = [(0, length)] if free_count == length else _true_stretches(free)
        for offset, piece in stretches:
            if piece < shortest:
                continue
            query_at, match_at = query_first + offset, match_first + offset
            query_used[query_at : query_at + piece] = True
            match_used[match_at : match_at + piece] = True
            quoted = _within_one_quotation(query, query_at, piece, options) or _within_one_quotation(
                match, match_at, piece, options
            )
            passages.append(_passage(query, match, query_at, match_at, piece, quoted=quoted))
    passages.sort(key=lambda passage: passage.query_start)
    return passages


def _relation(containment_query: float, containment_match: float, whole: float) -> str:
    if containment_query >= whole and containment_match >= whole:
        return "duplicate"
    if containment_query >= whole:
        return "contained_in"
    if containment_match >= whole:
        return "contains"
    return "partial"


def score(
    query: Fingerprint, match: Fingerprint, passages: list[Passage], options: VerifyOptions = DEFAULT_OPTIONS
) -> Comparison:
    """Exact scores over the passages that are not boilerplate.

    Containment of the query is the share of the query's distinct shingles
    that fall in shared passages; similarity is the Jaccard index of the two
    shingle sets counting only shingles in shared passages as common, so that
    stray coincidental shingles never inflate a score.
    """
    kept = [passage for passage in passages if not passage.boilerplate]
    boilerplate = [passage for passage in passages if passage.boilerplate]

    query_width, match_width = query.shingle_width, match.shingle_width
    common = query.count_distinct([p.query_shingles(query_width) for p in kept])
    # Each text's boilerplate shingles are distinct values of its own
    # shingles, so taking them out of its set removes exactly that many:
    # only the sizes are needed, not the sets.
    query_boilerplate = query.count_distinct([p.query_shingles(query_width) for p in boilerplate])
    match_boilerplate = match.count_distinct([p.match_shingles(match_width) for p in boilerplate])
    query_size = len(query.distinct_shingles) - query_boilerplate
    match_size = len(match.distinct_shingles) - match_boilerplate
    containment_query = common / query_size if query_size else 0.0
    containment_match = common / match_size if match_size else 0.0
    union = query_size + match_size - common
    similarity = common / union if union else 0.0

    evidence, verified = weigh_evidence(kept, query.token_count, match.token_count, options)
    return Comparison(
        similarity=min(1.0, similarity),
        containment_query=min(1.0, containment_query),
        containment_match=min(1.0, containment_match),
        relation=_relation(containment_query, containment_match, options.whole_text_containment),
        passages=kept,
        evidence_tokens=evidence,
        verified=verified,
    )


def required_evidence(query_tokens: int, match_tokens: int, options: VerifyOptions = DEFAULT_OPTIONS) -> int:
    """Tokens of shared, unquoted, non-boilerplate text a pair needs to be reported."""
    shorter = min(query_tokens, match_tokens)
    return max(1, min(options.min_evidence_tokens, math.ceil(0.5 * shorter)))


def weigh_evidence(
    passages: list[Passage], query_tokens: int, match_tokens: int, options: VerifyOptions = DEFAULT_OPTIONS
) -> tuple[int, bool]:
    """(evidence tokens, enough?) for these passages (boilerplate already removed).

    Evidence is the shared text outside quotations. Shared quotations add to
    it only when the texts also share enough narration
    (``min_unquoted_tokens``): a copy of a quote-heavy story shares both,
    two reporters quoting one statement share only the quotation.
    """
    needed = required_evidence(query_tokens, match_tokens, options)
    unquoted = sum(passage.tokens for passage in passages if not passage.quoted)
    if unquoted >= needed:
        return unquoted, True
    if unquoted < min(options.min_unquoted_tokens, needed):
        return unquoted, False
    total = unquoted + sum(passage.tokens for passage in passages if passage.quoted)
    return total, total >= needed


def could_verify(query: Fingerprint, match: Fingerprint, options: VerifyOptions = DEFAULT_OPTIONS) -> bool:
    """False only when the pair cannot be verified, whatever aligning would find: at a fraction of its cost.

    Every passage of t tokens covers t - width + 1 query shingles whose hash
    the match has, passages do not overlap in the query, and none is shorter
    than ``shortest`` tokens, so t - width + 1 >= t * (shortest - width + 1)
    / shortest. A verified pair has passages of at least the required
    evidence in all, hence at least that share of it in shared shingle
    positions. A short query proposes a hundred candidates that share a
    stock phrase or two with it; this turns most of them away unaligned
    (:func:`align_if_verifiable`).
    """
    return _enough_shared(query, match, _lookup(query, match), options)


def _enough_shared(
    query: Fingerprint, match: Fingerprint, lookup: tuple[np.ndarray, np.ndarray], options: VerifyOptions
) -> bool:
    low, high = lookup
    shared_positions = int(np.count_nonzero(high > low))
    query_tokens, match_tokens = query.token_count, match.token_count
    width = min(query.params.shingle_size, query_tokens, match_tokens)
    shortest = max(min(options.min_passage_tokens, query_tokens, match_tokens), width)
    needed = required_evidence(query_tokens, match_tokens, options)
    return shared_positions * shortest >= needed * (shortest - width + 1)


def compare(query: Fingerprint, match: Fingerprint, options: VerifyOptions = DEFAULT_OPTIONS) -> Comparison:
    """Align and score two fingerprints, with no boilerplate knowledge."""
    return score(query, match, align(query, match, options), options)


def set_aside_boilerplate(
    query: Fingerprint,
    match: Fingerprint,
    passages: list[Passage],
    boilerplate_tokens: np.ndarray,
    options: VerifyOptions = DEFAULT_OPTIONS,
) -> list[Passage]:
    """Split passages at the query tokens known to be boilerplate (a bool mask over the query's tokens).

    The boilerplate parts stay in the list, flagged, so that scoring can take
    them out of both texts' shingle sets; the rest keep their evidence.
    """
    if not passages or not boilerplate_tokens.any():
        return passages
    size = query.shingle_width
    result: list[Passage] = []
    for passage in passages:
        boiler = boilerplate_tokens[passage.query_first_token : passage.query_first_token + passage.tokens]
        if not boiler.any():
            result.append(passage)
            continue
        for is_boilerplate, stretches in zip((True, False), _stretches(boiler), strict=True):
            for offset, length in stretches:
                if length < max(options.min_passage_tokens, size):
                    continue
                query_at = passage.query_first_token + offset
                match_at = passage.match_first_token + offset
                result.append(
                    _passage(
                        query, match, query_at, match_at, length, quoted=passage.quoted, boilerplate=is_boilerplate
                    )
                )
    result.sort(key=lambda passage: passage.query_start)
    return result


def covered_tokens(query: Fingerprint, passages: list[Passage]) -> np.ndarray:
    """A bool mask over the query's tokens: those inside ``passages``."""
    mask = np.zeros(query.token_count, dtype=bool)
    for passage in passages:
        mask[passage.query_first_token : passage.query_first_token + passage.tokens] = True
    return mask
