"""wiretrace's fingerprint library: numpy and numba, no web framework or database.

text -> normalise -> tokens -> shingles -> MinHash and winnowing -> (an index
proposes candidates) -> verification decides, with passages.
"""

from .fingerprint import Fingerprint, FingerprintRecord, TextTooShort, fingerprint
from .normalize import Normalized, normalize
from .params import DEFAULT_PARAMS, NORMALISER_VERSION, FingerprintParams
from .tokens import Tokens, canonical, tokenize, tokenize_reference
from .verify import Comparison, Passage, VerifyOptions, align, compare, covered_tokens, score, set_aside_boilerplate

__all__ = [
    "DEFAULT_PARAMS",
    "NORMALISER_VERSION",
    "Comparison",
    "Fingerprint",
    "FingerprintRecord",
    "FingerprintParams",
    "Normalized",
    "Passage",
    "TextTooShort",
    "Tokens",
    "VerifyOptions",
    "align",
    "canonical",
    "compare",
    "covered_tokens",
    "fingerprint",
    "normalize",
    "score",
    "set_aside_boilerplate",
    "tokenize",
    "tokenize_reference",
]
