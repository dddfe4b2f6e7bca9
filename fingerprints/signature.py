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

__all__ = ["minhash", "minhash_reference", "band_keys", "estimated_jaccard"]


def _identity(value):
    return value


@lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int) -> np.ndarray:
    # datasketch draws the permutations from ``seed``; draw them once per
    # parameter set rather than once per document.
    return MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations


def minhash(shingles: np.ndarray, params: FingerprintParams) -> MinHash:
    """The MinHash of a text's shingle hashes, on datasketch's batch path."""
    signature = MinHash(
        num_perm=params.num_perm,
        seed=params.seed,
        scheme="affine32",
        hashfunc=_identity,
        permutations=_permutations(params.num_perm, params.seed),
    )
    signature.update_batch(shingles)
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
