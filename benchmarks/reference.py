"""The brute-force exact reference: how many words of running text two texts really share.

Obviously correct rather than fast: every 5-word shingle of every background
article goes into one in-memory inverted index, and a query is compared with
*every* article that shares any shingle with it. It shares nothing with
wiretrace but the idea of a 5-word shingle: its own tokeniser
(:func:`corpus.words`), shingles identified by a 64-bit hash of their exact
words (a collision among a few million shingles has odds around one in a
million), no winnowing, no MinHash, no verification thresholds.

"Shared words" between a query and an article is the smaller of the number
of query words and the number of article words covered by shingles the two
have in common: a word counts when it stands inside a 5-word run that also
occurs in the other text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xxhash
from corpus import words

__all__ = ["ExactReference", "Overlap", "shingle_hashes", "SIZE", "shares_enough"]

SIZE = 5


def shingle_hashes(text: str) -> tuple[np.ndarray, int]:
    """64-bit hashes of the text's 5-word shingles, in order, and its word count."""
    tokens = words(text)
    count = len(tokens)
    if count == 0:
        return np.zeros(0, dtype=np.uint64), 0
    width = min(SIZE, count)
    values = [
        xxhash.xxh3_64_intdigest(" ".join(tokens[i : i + width]).encode("utf-8")) for i in range(count - width + 1)
    ]
    return np.asarray(values, dtype=np.uint64), count


def shares_enough(shared: int, first_words: int, second_words: int, bar: int = 100) -> bool:
    """The benchmark's definition of real reuse: ``bar`` (100) words, or half of the shorter text."""
    return shared >= bar or (shared > 0 and shared >= 0.5 * min(first_words, second_words))


@dataclass(frozen=True)
class Overlap:
    shared: int  # min(query words covered, article words covered)
    query_covered: int
    match_covered: int
    match_words: int


def _covered(groups: np.ndarray, starts: np.ndarray, widths: np.ndarray, count: int) -> np.ndarray:
    """Per group, the number of positions covered by intervals [start, start + width).

    ``groups``/``starts`` must be sorted by (group, start) and distinct.
    """
    if len(groups) == 0:
        return np.zeros(count, dtype=np.int64)
    gaps = np.empty(len(starts), dtype=np.int64)
    gaps[:-1] = starts[1:] - starts[:-1]
    same = np.zeros(len(starts), dtype=bool)
    same[:-1] = groups[1:] == groups[:-1]
    contribution = np.where(same, np.minimum(gaps, widths), widths)
    return np.bincount(groups, weights=contribution, minlength=count).astype(np.int64)


class ExactReference:
    def __init__(self, texts: list[str]):
        hashes, owners, positions = [], [], []
        self.lengths = np.zeros(len(texts), dtype=np.int64)
        for index, text in enumerate(texts):
            values, count = shingle_hashes(text)
            self.lengths[index] = count
            hashes.append(values)
            owners.append(np.full(len(values), index, dtype=np.int64))
            positions.append(np.arange(len(values), dtype=np.int64))
        every = np.concatenate(hashes) if hashes else np.zeros(0, dtype=np.uint64)
        order = np.argsort(every, kind="stable")
        self.hashes = every[order]
        self.owners = np.concatenate(owners)[order] if owners else np.zeros(0, dtype=np.int64)
        self.positions = np.concatenate(positions)[order] if positions else np.zeros(0, dtype=np.int64)
        self.count = len(texts)

    @property
    def shingle_count(self) -> int:
        return len(self.hashes)

    def overlaps(self, text: str, ignore: frozenset[int] | set[int] = frozenset()) -> dict[int, Overlap]:
        """Every article sharing at least one shingle with ``text`` (shingles in ``ignore`` set aside)."""
        query, query_words = shingle_hashes(text)
        if query_words == 0:
            return {}
        query_positions = np.arange(len(query), dtype=np.int64)
        if ignore:
            keep = ~np.isin(query, np.fromiter(ignore, dtype=np.uint64, count=len(ignore)))
            query, query_positions = query[keep], query_positions[keep]
        low = np.searchsorted(self.hashes, query, side="left")
        high = np.searchsorted(self.hashes, query, side="right")
        counts = high - low
        hit = np.nonzero(counts)[0]
        if len(hit) == 0:
            return {}
        counts = counts[hit]
        pair_query = np.repeat(query_positions[hit], counts)
        block_start = np.repeat(np.cumsum(counts) - counts, counts)
        pair_rows = np.repeat(low[hit], counts) + (np.arange(len(pair_query)) - block_start)
        pair_owner = self.owners[pair_rows]
        pair_match = self.positions[pair_rows]

        query_width = min(SIZE, query_words)
        keyed = np.unique(pair_owner * (1 << 32) + pair_query)
        owners_q, starts_q = keyed >> 32, keyed & 0xFFFFFFFF
        covered_q = _covered(owners_q, starts_q, np.full(len(keyed), query_width), self.count)
        keyed = np.unique(pair_owner * (1 << 32) + pair_match)
        owners_m, starts_m = keyed >> 32, keyed & 0xFFFFFFFF
        covered_m = _covered(owners_m, starts_m, np.minimum(SIZE, self.lengths[owners_m]), self.count)

        result = {}
        for owner in np.unique(pair_owner):
            owner = int(owner)
            q, m = int(covered_q[owner]), int(covered_m[owner])
            result[owner] = Overlap(min(q, m), q, m, int(self.lengths[owner]))
        return result

    def query_words(self, text: str) -> int:
        return len(words(text))
