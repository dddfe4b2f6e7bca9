"""The parameters that define a fingerprint.

Two fingerprints can only be compared when they were made with the same
parameters: a different shingle size, seed or normaliser produces different
hash values for the same text. Every stored fingerprint therefore records the
parameters that made it (see ``FingerprintParams.key``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

# Bump when tokenisation or normalisation changes the tokens a text yields.
# 2: Cyrillic and Greek look-alikes in Latin-script words are folded.
NORMALISER_VERSION = 2


@dataclass(frozen=True)
class FingerprintParams:
    """Everything that changes the hash values computed for a text."""

    normaliser_version: int = NORMALISER_VERSION
    # Tokens per shingle. Five words is long enough that independent reports
    # rarely share a shingle by chance, short enough that a one-word edit
    # breaks only five shingles.
    shingle_size: int = 5
    # MinHash permutations (datasketch scheme "affine32") and their seed.
    num_perm: int = 128
    seed: int = 1
    # LSH banding of the MinHash signature: bands * rows == num_perm. 16 x 8
    # proposes pairs above a Jaccard similarity of about 0.7; partial reuse is
    # the winnowing index's job, not the LSH's.
    lsh_bands: int = 16
    lsh_rows: int = 8
    # Winnowing window (in shingles): any shared run of at least
    # winnow_window + shingle_size - 1 tokens is guaranteed to share one
    # selected hash.
    winnow_window: int = 12

    def __post_init__(self) -> None:
        if self.lsh_bands * self.lsh_rows != self.num_perm:
            raise ValueError("lsh_bands * lsh_rows must equal num_perm")
        if self.shingle_size < 1 or self.winnow_window < 1:
            raise ValueError("shingle_size and winnow_window must be positive")

    @property
    def key(self) -> str:
        """A short stable string naming these parameters, stored with every fingerprint."""
        return (
            f"n{self.normaliser_version}-k{self.shingle_size}-p{self.num_perm}"
            f"-s{self.seed}-b{self.lsh_bands}x{self.lsh_rows}-w{self.winnow_window}"
        )

    @property
    def guaranteed_run(self) -> int:
        """Shared runs of at least this many tokens always reach the winnowing index."""
        return self.winnow_window + self.shingle_size - 1

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> FingerprintParams:
        return cls(**json.loads(text))


DEFAULT_PARAMS = FingerprintParams()
