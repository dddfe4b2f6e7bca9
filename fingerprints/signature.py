"""MinHash signatures (datasketch) and their LSH band keys.

The signature is datasketch's ``MinHash`` in its ``affine32`` scheme, fed the
shingle hashes we already computed through ``update_batch``: the hash function
is the identity, so datasketch spends no time re-hashing bytes. Signatures
made with different parameters are never compared (``FingerprintParams.key``).

datasketch itself is imported only where a ``MinHash`` object is made:
importing the package imports its LSH module and with it scipy, 0.7 s of
every server worker's start (the issue's restart budget is 2 s). The values
never need the object: the permutations are drawn here exactly as
datasketch draws them, which the tests check against datasketch itself.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import xxhash

from .params import FingerprintParams
from .shingles import fmix32

if TYPE_CHECKING:
    import datasketch

__all__ = ["minhash", "minhash_values", "minhash_batch", "minhash_reference", "band_keys", "estimated_jaccard"]


_BLOCK = 4096


@lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    """datasketch's ``affine32`` permutations for ``seed``: rows (a, b) of h -> a * h + b mod 2^32.

    The same draws as ``MinHash(num_perm, seed, scheme="affine32")`` makes,
    once per parameter set rather than once per document: odd multipliers
    (so each map is a bijection), then offsets.
    """
    generator = np.random.RandomState(seed)
    multipliers = generator.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    offsets = generator.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return np.array([multipliers, offsets])


def minhash_values(shingles: np.ndarray, params: FingerprintParams) -> np.ndarray:
    """The MinHash values of a text's shingle hashes: datasketch's ``affine32`` scheme, a whole text at once.

    datasketch's ``update_batch`` calls the hash function once per item in
    Python; our shingles are already 32-bit hashes, so the same permutations
    (datasketch's own, drawn from the seed) are applied to the whole array
    with numpy. tests/test_fingerprints_properties.py checks the result equals
    datasketch's ``update_batch`` and ``update`` bit for bit, and
    benchmarks/speed.py measures the difference.
    """
    multipliers, offsets = _permutation_columns(params.num_perm, params.seed)
    hashvalues = np.full(params.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
    mixed = fmix32(np.asarray(shingles, dtype=np.uint32))
    # One row per permutation, so that each minimum runs along contiguous
    # memory (about 40% faster than one column per permutation); blocks
    # bound the (permutations x shingles) matrix for very long texts.
    for start in range(0, len(mixed), _BLOCK):
        block = multipliers * mixed[None, start : start + _BLOCK]
        block += offsets
        np.minimum(hashvalues, block.min(axis=1), out=hashvalues)
    return hashvalues


@lru_cache(maxsize=16)
def _permutation_columns(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's permutation multipliers and offsets as (num_perm x 1) columns."""
    permutations = _permutations(num_perm, seed)
    return permutations[0].astype(np.uint32)[:, None], permutations[1].astype(np.uint32)[:, None]


def minhash(shingles: np.ndarray, params: FingerprintParams) -> datasketch.MinHash:
    """The same values as a datasketch ``MinHash`` object.

    Fingerprinting keeps only the values (:func:`minhash_values`): making
    the object costs about a third as much again as computing them.
    """
    from datasketch import MinHash

    return MinHash(
        num_perm=params.num_perm,
        seed=params.seed,
        scheme="affine32",
        hashvalues=minhash_values(shingles, params),
        permutations=_permutations(params.num_perm, params.seed),
    )


def minhash_batch(shingles: np.ndarray, params: FingerprintParams) -> datasketch.MinHash:
    """datasketch's own ``update_batch`` with an identity hash function (the speed benchmark's middle way)."""
    from datasketch import MinHash

    signature = MinHash(
        num_perm=params.num_perm,
        seed=params.seed,
        scheme="affine32",
        hashfunc=int,
        permutations=_permutations(params.num_perm, params.seed),
    )
    signature.update_batch(shingles.tolist())
    return signature


def minhash_reference(shingles: np.ndarray, params: FingerprintParams) -> datasketch.MinHash:
    """One ``update`` per shingle: the slow path the batch path must agree with."""
    from datasketch import MinHash

    signature = MinHash(num_perm=params.num_perm, seed=params.seed, scheme="affine32", hashfunc=int)
    for value in shingles:
        signature.update(int(value))
    return signature


def band_keys(hashvalues: np.ndarray, params: FingerprintParams) -> list[int]:
    """One signed 64-bit key per LSH band (SQLite integers are signed).

    Two texts share a key for band ``b`` exactly when their signatures agree
    on all of that band's rows; the band index seeds the hash so equal rows in
    different bands do not collide.
    """
    rows = params.lsh_rows
    values = np.ascontiguousarray(hashvalues, dtype=np.uint32)
    keys = []
    for band in range(params.lsh_bands):
        digest = xxhash.xxh64_intdigest(values[band * rows : (band + 1) * rows].tobytes(), band)
        keys.append(digest - (1 << 63))
    return keys


def estimated_jaccard(first: np.ndarray, second: np.ndarray) -> float:
    """MinHash estimate of Jaccard similarity: an estimate, never reported as a score."""
    return float(np.count_nonzero(first == second)) / len(first)
