"""The fingerprint of one text: everything matching needs, and nothing it does not.

A fingerprint holds the shingle hashes in text order (for verification and
alignment), the original character span of every token (for passages), which
tokens stand inside quotation marks, the winnowed hashes (for the partial-reuse
index), the MinHash signature and its LSH band keys (for the near-duplicate
index), and the parameters that made all of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .params import DEFAULT_PARAMS, FingerprintParams
from .shingles import shingle_hashes, token_hashes, winnow
from .signature import band_keys, minhash_values
from .tokens import tokenize

__all__ = ["Fingerprint", "fingerprint", "TextTooShort"]


class TextTooShort(ValueError):
    """The text has no words to fingerprint."""


@dataclass(frozen=True)
class Fingerprint:
    params: FingerprintParams
    shingles: np.ndarray  # uint32, one per shingle, in text order
    token_starts: np.ndarray  # int64 original offsets, one per token
    token_ends: np.ndarray
    quoted: np.ndarray  # bool, one per token
    signature: np.ndarray  # uint32 MinHash values

    @property
    def token_count(self) -> int:
        return len(self.token_starts)

    @cached_property
    def winnowed(self) -> np.ndarray:
        """Sorted distinct winnowed shingle hashes: what the partial-reuse index stores."""
        return winnow(self.shingles, self.params.winnow_window)

    @cached_property
    def distinct_shingles(self) -> np.ndarray:
        """Sorted distinct shingle hashes: the set the scores are over (a query's is scored against many texts)."""
        return np.unique(self.shingles)

    @cached_property
    def occurrence_rank(self) -> np.ndarray:
        """For each shingle, how many earlier shingles of this text have the same hash."""
        order = np.argsort(self.shingles, kind="stable")
        ordered = self.shingles[order]
        rank = np.empty(len(self.shingles), dtype=np.int64)
        rank[order] = np.arange(len(self.shingles)) - np.searchsorted(ordered, ordered, side="left")
        return rank

    @property
    def shingle_width(self) -> int:
        """Tokens per shingle: the parameter, or all the tokens of a shorter text."""
        return min(self.params.shingle_size, self.token_count)

    # Cached, like ``winnowed`` and the blobs: a parallel ingest computes them
    # in the worker that made the fingerprint, and they travel with it, so
    # the single writing process only writes.
    @cached_property
    def band_keys(self) -> list[int]:
        return band_keys(self.signature, self.params)

    @cached_property
    def _blobs(self) -> dict[str, bytes]:
        return {
            "shingles": self.shingles.astype("<u4").tobytes(),
            "spans": np.stack([self.token_starts, self.token_ends]).astype("<u4").tobytes(),
            "quoted": np.packbits(self.quoted).tobytes(),
            "signature": self.signature.astype("<u4").tobytes(),
        }

    def to_blobs(self) -> dict[str, bytes]:
        """Compact little-endian arrays for storage; ``from_blobs`` reverses it."""
        return dict(self._blobs)

    def prepare_for_storage(self) -> Fingerprint:
        """Compute now what storing needs (index hashes, band keys, blobs); returns ``self``."""
        _ = self.winnowed, self.band_keys, self._blobs
        return self

    def __reduce__(self):
        # A parallel ingest sends every fingerprint from a worker to the
        # writing process: the storage form and the index keys are all the
        # writer needs, and about half the bytes of every array pickled.
        return (_from_storage_form, (self.params, self._blobs, self.winnowed.astype("<u4").tobytes(), self.band_keys))

    @classmethod
    def from_blobs(cls, params: FingerprintParams, blobs: dict[str, bytes]) -> Fingerprint:
        shingles = np.frombuffer(blobs["shingles"], dtype="<u4").astype(np.uint32)
        spans = np.frombuffer(blobs["spans"], dtype="<u4").astype(np.int64).reshape(2, -1)
        quoted = np.unpackbits(np.frombuffer(blobs["quoted"], dtype=np.uint8))[: spans.shape[1]].astype(bool)
        return cls(
            params=params,
            shingles=shingles,
            token_starts=spans[0],
            token_ends=spans[1],
            quoted=quoted,
            signature=np.frombuffer(blobs["signature"], dtype="<u4").astype(np.uint32),
        )


def _from_storage_form(params: FingerprintParams, blobs: dict[str, bytes], winnowed: bytes, keys: list[int]):
    """Unpickling: the fingerprint from its blobs, with what storing needs already computed."""
    restored = Fingerprint.from_blobs(params, blobs)
    restored.__dict__.update(
        _blobs=blobs, winnowed=np.frombuffer(winnowed, dtype="<u4").astype(np.uint32), band_keys=keys
    )
    return restored


def fingerprint(text: str, params: FingerprintParams = DEFAULT_PARAMS) -> Fingerprint:
    """Fingerprint ``text``; raises :class:`TextTooShort` when it has no words."""
    tokens = tokenize(text)
    if len(tokens) == 0:
        raise TextTooShort("the text has no words")
    shingles = shingle_hashes(token_hashes(tokens.words, params.seed), params.shingle_size)
    return Fingerprint(
        params=params,
        shingles=shingles,
        token_starts=tokens.starts,
        token_ends=tokens.ends,
        quoted=tokens.quoted,
        signature=minhash_values(shingles, params),
    )
