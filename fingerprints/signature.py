"""MinHash signatures (datasketch) and their LSH band keys.

The signature is datasketch's ``MinHash`` in its ``affine32`` scheme, fed the
shingle hashes we already computed through ``update_batch``: the hash function
is the identity, so datasketch spends no time re-hashing bytes. Signatures
made with different parameters are never compared (``FingerprintParams.key``).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import xxhash
from datasketch import MinHash

from .params import FingerprintParams
from .shingles import fmix32

__all__ = ["minhash", "minhash_values", "minhash_batch", "minhash_reference", "band_keys", "estimated_jaccard"]


_BLOCK = 4096


@lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    # datasketch draws the permutations from ``seed``; draw them once per
    # parameter set rather than once per document.
    return MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations


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


def minhash(shingles: np.ndarray, params: FingerprintParams) -> MinHash:
    """The same values as a datasketch ``MinHash`` object.

    Fingerprinting keeps only the values (:func:`minhash_values`): making
    the object costs about a third as much again as computing them.
    """
    return MinHash(
        num_perm=params.num_perm,
        seed=params.seed,
        scheme="affine32",
        hashvalues=minhash_values(shingles, params),
        permutations=_permutations(params.num_perm, params.seed),
    )


def minhash_batch(shingles: np.ndarray, params: FingerprintParams) -> MinHash:
    """datasketch's own ``update_batch`` with an identity hash function (the speed benchmark's middle way)."""
    signature = MinHash(
        num_perm=params.num_perm,
        seed=params.seed,
        scheme="affine32",
        hashfunc=int,
        permutations=_permutations(params.num_perm, params.seed),
    )
    signature.update_batch(shingles.tolist())
    return signature


def minhash_reference(shingles: np.ndarray, params: FingerprintParams) -> MinHash:
    """One ``update`` per shingle: the slow path the batch path must agree with."""
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
