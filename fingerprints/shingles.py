"""Shingles (runs of consecutive tokens) hashed to 32-bit integers, and winnowing.

Each token is hashed once with xxHash (cached: news vocabulary repeats), and a
shingle's hash is a polynomial over its tokens' hashes computed for the whole
text at once with numpy, followed by an avalanche step. This is the "fast
hash" of the pipeline: ``benchmarks/speed.py`` compares it with datasketch's
default (SHA-1 of each shingle's bytes).
"""

from __future__ import annotations

from itertools import repeat

import numpy as np
import xxhash

__all__ = ["fmix32", "token_hashes", "shingle_hashes", "shingle_hashes_reference", "winnow", "window_minima"]

# One cache per seed: news vocabulary repeats, so most tokens are hashed once.
_TOKEN_HASH_CACHES: dict[int, dict[str, int]] = {}
_TOKEN_HASH_CACHE_LIMIT = 2_000_000
_MULTIPLIER = np.uint32(0x01000193)  # FNV prime: odd, so the polynomial mixes every token


def token_hashes(words: list[str], seed: int) -> np.ndarray:
    """32-bit hashes of ``words`` (xxh32 of the UTF-8 bytes, with ``seed``)."""
    cache = _TOKEN_HASH_CACHES.setdefault(seed, {})
    if len(cache) > _TOKEN_HASH_CACHE_LIMIT:
        cache.clear()
    # map() over the dict's own lookup runs in C: this is the per-token
    # cost. Words not seen before come back as -1 and are hashed after.
    hashes = np.fromiter(map(cache.get, words, repeat(-1)), dtype=np.int64, count=len(words))
    for position in np.flatnonzero(hashes < 0).tolist():
        word = words[position]
        value = cache.get(word)
        if value is None:
            value = cache[word] = xxhash.xxh32_intdigest(word.encode("utf-8"), seed)
        hashes[position] = value
    return hashes.astype(np.uint32)


def fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, a bijection that avalanches every bit.

    Here it spreads the shingle polynomial's low-entropy bits so that
    winnowing's "minimum" is a fair sample; datasketch applies the same
    pre-mix before its affine32 permutations.
    """
    values = values ^ (values >> np.uint32(16))
    values = values * np.uint32(0x85EBCA6B)
    values = values ^ (values >> np.uint32(13))
    values = values * np.uint32(0xC2B2AE35)
    return values ^ (values >> np.uint32(16))


def shingle_hashes(hashes: np.ndarray, size: int) -> np.ndarray:
    """Hash of every run of ``size`` consecutive tokens; one shingle for shorter texts."""
    count = len(hashes)
    if count == 0:
        return np.zeros(0, dtype=np.uint32)
    width = min(size, count)
    windows = count - width + 1
    with np.errstate(over="ignore"):
        accumulated = hashes[0:windows].copy()
        for offset in range(1, width):
            accumulated = accumulated * _MULTIPLIER + hashes[offset : offset + windows]
        return fmix32(accumulated)


def shingle_hashes_reference(hashes: np.ndarray, size: int) -> np.ndarray:
    """One shingle at a time with Python integers; what :func:`shingle_hashes` must equal."""
    count = len(hashes)
    width = min(size, count)
    mask = 0xFFFFFFFF
    result = []
    for start in range(count - width + 1 if count else 0):
        value = 0
        for offset in range(width):
            value = (value * 0x01000193 + int(hashes[start + offset])) & mask
        value ^= value >> 16
        value = (value * 0x85EBCA6B) & mask
        value ^= value >> 13
        value = (value * 0xC2B2AE35) & mask
        value ^= value >> 16
        result.append(value)
    return np.asarray(result, dtype=np.uint32)


def winnow(shingles: np.ndarray, window: int) -> np.ndarray:
    """The distinct minima of every ``window`` consecutive shingle hashes (sorted).

    Two texts that share a run of ``window`` shingles share that run's
    minimum, so the winnowed set finds partial reuse that a whole-document
    MinHash misses.
    """
    if len(shingles) == 0:
        return np.zeros(0, dtype=np.uint32)
    if len(shingles) <= window:
        return np.asarray([shingles.min()], dtype=np.uint32)
    return np.unique(window_minima(shingles, window))


def window_minima(values: np.ndarray, window: int) -> np.ndarray:
    """The minimum of every run of ``window`` consecutive values (``window`` <= len(values)).

    By doubling: after each step ``minima[i]`` is the minimum of a run twice
    as long, and a last step with overlapping runs reaches ``window``. That
    is a handful of whole-array operations instead of one strided minimum
    per window, about three times faster for the winnowing window.
    """
    minima, span = values, 1
    while span * 2 <= window:
        minima = np.minimum(minima[:-span], minima[span:])
        span *= 2
    rest = window - span  # 0 <= rest < span: the two runs overlap or meet
    if rest:
        minima = np.minimum(minima[:-rest], minima[rest:])
    return minima
