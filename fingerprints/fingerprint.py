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

from .compiled_path import compiled_arrays
from .params import DEFAULT_PARAMS, FingerprintParams
from .shingles import shingle_hashes, token_hashes, winnow
from .signature import band_keys, minhash_values
from .tokens import tokenize

__all__ = ["Fingerprint", "FingerprintRecord", "fingerprint", "TextTooShort", "encode_spans", "decode_spans"]


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
    def shingle_order(self) -> tuple[np.ndarray, np.ndarray]:
        """(stable argsort of the shingles, the shingles in that order).

        Aligning sorts each text once: a query is aligned with dozens of
        texts, and each of them is aligned and scored with the query.
        """
        # One sort of (hash, position) pairs packed in 64 bits: the same order
        # as a stable argsort, at two thirds of its cost.
        positions = np.arange(len(self.shingles), dtype=np.uint64)
        keys = np.sort((self.shingles.astype(np.uint64) << np.uint64(32)) | positions)
        return (keys & np.uint64(0xFFFFFFFF)).astype(np.int64), (keys >> np.uint64(32)).astype(np.uint32)

    @cached_property
    def _distinct_starts(self) -> np.ndarray:
        """Where each distinct value begins in the sorted shingles."""
        ordered = self.shingle_order[1]
        if not len(ordered):
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))

    @cached_property
    def distinct_shingles(self) -> np.ndarray:
        """Sorted distinct shingle hashes: the set the scores are over (a query's is scored against many texts)."""
        return self.shingle_order[1][self._distinct_starts]

    @cached_property
    def shingle_ids(self) -> np.ndarray:
        """For each shingle, the index of its value in :attr:`distinct_shingles`.

        Counting the distinct values among some shingles is then a pass over
        a table, not a sort.
        """
        order, ordered = self.shingle_order
        new_value = np.zeros(len(ordered), dtype=np.int64)
        new_value[self._distinct_starts[1:]] = 1
        ids = np.empty(len(ordered), dtype=np.int64)
        ids[order] = np.cumsum(new_value)
        return ids

    @cached_property
    def occurrence_rank(self) -> np.ndarray:
        """For each shingle, how many earlier shingles of this text have the same hash."""
        order, ordered = self.shingle_order
        starts = self._distinct_starts
        # Position in the sorted order minus where the value's run begins.
        run_starts = np.repeat(starts, np.diff(np.append(starts, len(ordered))))
        rank = np.empty(len(ordered), dtype=np.int64)
        rank[order] = np.arange(len(ordered)) - run_starts
        return rank

    @cached_property
    def quotation_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """Running counts of quoted tokens and of quotation openings, from token 0.

        Whether a passage is one quotation is asked of every passage of
        every pair; with these it is two subtractions.
        """
        quoted = self.quoted.astype(np.int64)
        openings = np.zeros(len(quoted), dtype=np.int64)
        openings[1:] = quoted[1:] & (1 - quoted[:-1])
        zero = np.zeros(1, dtype=np.int64)
        return np.concatenate((zero, np.cumsum(quoted))), np.concatenate((zero, np.cumsum(openings)))

    def count_distinct(self, spans: list[slice]) -> int:
        """How many distinct shingle values lie in ``spans`` (slices of the shingles)."""
        if not spans:
            return 0
        seen = np.zeros(len(self._distinct_starts), dtype=bool)
        for span in spans:
            seen[self.shingle_ids[span]] = True
        return int(np.count_nonzero(seen))

    @property
    def shingle_width(self) -> int:
        """Tokens per shingle: the parameter, or all the tokens of a shorter text."""
        return min(self.params.shingle_size, self.token_count)

    @cached_property
    def band_keys(self) -> list[int]:
        return band_keys(self.signature, self.params)

    @cached_property
    def _spans_blob(self) -> bytes:
        return encode_spans(self.token_starts, self.token_ends)

    @cached_property
    def _blobs(self) -> dict[str, bytes]:
        return {
            "shingles": self.shingles.astype("<u4").tobytes(),
            "spans": self._spans_blob,
            "quoted": np.packbits(self.quoted).tobytes(),
            "signature": self.signature.astype("<u4").tobytes(),
        }

    def to_blobs(self) -> dict[str, bytes]:
        """Compact little-endian arrays for storage; ``from_blobs`` reverses it."""
        return dict(self._blobs)

    def storage_record(self) -> FingerprintRecord:
        """What storing this fingerprint needs, and nothing to decode: what a parallel ingest's workers send."""
        return FingerprintRecord(
            params=self.params,
            blobs=self._blobs,
            winnowed_bytes=self.winnowed.astype("<u4").tobytes(),
            band_keys=self.band_keys,
            token_count=self.token_count,
        )

    def __reduce__(self):
        # Pickled as its storage record, and decoded whole when unpickled:
        # about half the bytes of every array pickled. (A parallel ingest
        # sends the record itself, which the writer need not decode.)
        return (FingerprintRecord.fingerprint, (self.storage_record(),))

    @classmethod
    def from_blobs(cls, params: FingerprintParams, blobs: dict[str, bytes]) -> Fingerprint:
        shingles = np.frombuffer(blobs["shingles"], dtype="<u4").astype(np.uint32)
        starts, ends = decode_spans(blobs["spans"])
        quoted = np.unpackbits(np.frombuffer(blobs["quoted"], dtype=np.uint8))[: len(starts)].astype(bool)
        return cls(
            params=params,
            shingles=shingles,
            token_starts=starts,
            token_ends=ends,
            quoted=quoted,
            signature=np.frombuffer(blobs["signature"], dtype="<u4").astype(np.uint32),
        )


@dataclass(frozen=True)
class FingerprintRecord:
    """A fingerprint in the form it is stored: blobs, index hashes, band keys and token count.

    The writing process of a parallel ingest only stores fingerprints, and
    decoding each one back into arrays cost it about 30 µs an article, a
    tenth of its work. It offers what the storing code reads of a
    :class:`Fingerprint` (``token_count``, ``winnowed``, ``band_keys``,
    ``to_blobs()``), and :meth:`fingerprint` gives the whole one back.
    """

    params: FingerprintParams
    blobs: dict[str, bytes]
    winnowed_bytes: bytes
    band_keys: list[int]
    token_count: int

    @property
    def winnowed(self) -> np.ndarray:
        return np.frombuffer(self.winnowed_bytes, dtype="<u4").astype(np.uint32)

    def to_blobs(self) -> dict[str, bytes]:
        return dict(self.blobs)

    def fingerprint(self) -> Fingerprint:
        return _from_storage_form(self.params, self.blobs, self.winnowed_bytes, self.band_keys)


def encode_spans(starts: np.ndarray, ends: np.ndarray) -> bytes:
    """Token spans for storage: a width byte, then each token's gap from the previous token and its length.

    Gaps and lengths are small, so they fit one byte each for nearly every
    text: about a quarter of the eight bytes a token took as two 32-bit
    offsets, which were half of a stored fingerprint. The encoded form has
    an odd length; the first form (starts, then ends, as 32-bit offsets)
    has a length divisible by 8, and is still read. A text whose tokens
    overlap in the original (two tokens from one HTML entity) keeps it.
    """
    starts = np.asarray(starts, dtype=np.int64)
    ends = np.asarray(ends, dtype=np.int64)
    lengths = ends - starts
    gaps = starts - np.concatenate([[0], ends[:-1]])
    if len(starts) == 0 or gaps.min() < 0 or lengths.min() < 0:
        return np.stack([starts, ends]).astype("<u4").tobytes()
    largest = max(int(gaps.max()), int(lengths.max()))
    width = 1 if largest < 1 << 8 else 2 if largest < 1 << 16 else 4
    return bytes([width]) + np.concatenate([gaps, lengths]).astype(f"<u{width}").tobytes()


def decode_spans(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) from either stored form; ValueError when ``blob`` is neither."""
    if len(blob) % 2 == 0:
        if len(blob) % 8:
            raise ValueError("token spans of a length no form has")
        spans = np.frombuffer(blob, dtype="<u4").astype(np.int64).reshape(2, -1)
        return spans[0], spans[1]
    width = blob[0]
    if width not in (1, 2, 4) or (len(blob) - 1) % (2 * width):
        raise ValueError("token spans of a width or length no form has")
    gaps, lengths = np.frombuffer(blob, dtype=f"<u{width}", offset=1).astype(np.int64).reshape(2, -1)
    ends = np.cumsum(gaps + lengths)
    return ends - lengths, ends


def _from_storage_form(params: FingerprintParams, blobs: dict[str, bytes], winnowed: bytes, keys: list[int]):
    """Unpickling: the fingerprint from its blobs, with what storing needs already computed."""
    restored = Fingerprint.from_blobs(params, blobs)
    restored.__dict__.update(
        _blobs=blobs, winnowed=np.frombuffer(winnowed, dtype="<u4").astype(np.uint32), band_keys=keys
    )
    return restored


def fingerprint(text: str, params: FingerprintParams = DEFAULT_PARAMS) -> Fingerprint:
    """Fingerprint ``text``; raises :class:`TextTooShort` when it has no words."""
    compiled = _compiled_fingerprint(text, params)
    if compiled is not None:
        return compiled
    return fingerprint_general(text, params)


def fingerprint_general(text: str, params: FingerprintParams = DEFAULT_PARAMS) -> Fingerprint:
    """Fingerprint any text with numpy: what the compiled path must equal on the texts it takes."""
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


def _compiled_fingerprint(text: str, params: FingerprintParams) -> Fingerprint | None:
    """The fingerprint from the compiled kernel, or None when ``text`` does not take that path (compiled_path)."""
    arrays = compiled_arrays(text, params)
    if arrays is None:
        return None
    starts, ends, quoted, shingles, signature, winnowed, keys, spans = arrays
    if len(starts) == 0:
        raise TextTooShort("the text has no words")
    made = Fingerprint(
        params=params, shingles=shingles, token_starts=starts, token_ends=ends, quoted=quoted, signature=signature
    )
    # Computed in the same pass; set as the cached properties would be.
    made.__dict__.update(winnowed=winnowed, band_keys=keys.view(np.int64).tolist(), _spans_blob=spans.tobytes())
    return made
