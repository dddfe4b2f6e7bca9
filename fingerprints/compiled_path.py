"""When and how a text takes the compiled path (``ascii_kernel``), and loading it.

The kernel takes texts without HTML entities that are all ASCII once
``tokens._to_ascii_punctuation`` has spelled their punctuation in ASCII: the
same test that sends a text down the tokeniser's ASCII path. Anything else
takes the numpy path, which gives the same fingerprint for the texts both take.

Loading the kernel imports numba and its cached machine code, about 0.6 s.
A library caller pays it at its first fingerprint. A server pays none of it
before its first answer: :func:`warm_in_background` loads it in a thread,
and until it is ready fingerprints take the numpy path (the same values, a
little slower), so a restarted worker answers as soon as it is up.

numba and LLVM add about 120 MiB of RSS to each process that loads the kernel.
``WIRETRACE_COMPILED_FINGERPRINTS=off`` keeps it unloaded, and every text
on the numpy path: for many small server workers, or a platform where
numba does not run.
"""

from __future__ import annotations

import os
import threading
import warnings
from functools import lru_cache

import numpy as np

from .normalize import decode_entities
from .params import FingerprintParams
from .signature import _permutation_columns
from .tokens import _ASCII_WORD_BYTES, _to_ascii_punctuation, ascii_path_bytes

__all__ = ["SHAPE_BYTES", "compiled_arrays", "load", "warm_in_background"]

# What the kernel's quotation rules see of the non-ASCII punctuation an
# all-ASCII text may hold (``tokens._ASCII_PUNCTUATION``): one byte each, so
# that an opening curly quote stays apart from a closing one, and a dash or
# a no-break space from a letter. ``ascii_kernel`` tests for these bytes.
SHAPE_BYTES = {
    "\u2018": 0x80,
    "\u2019": 0x81,
    "\u201c": 0x82,  # opening
    "\u201d": 0x83,  # closing
    "\u2013": 0x84,
    "\u2014": 0x85,
    "\u2026": 0x86,
    "\u2022": 0x87,
    # These four are Latin-1 characters already, and keep their own byte.
    "\u00a0": 0xA0,
    "\u00b7": 0xB7,
    "\u00ab": 0xAB,  # opening
    "\u00bb": 0xBB,  # closing
}
_SHAPES_ABOVE_LATIN1 = {character: chr(code) for character, code in SHAPE_BYTES.items() if ord(character) > 0xFF}
_WORD_TABLE = np.frombuffer(_ASCII_WORD_BYTES, dtype=np.uint8)


class _Kernel:
    """The loaded kernel, or who is loading it."""

    def __init__(self) -> None:
        self.function = None
        self.loading_in: int | None = None  # the process whose thread loads it
        self.unavailable = False  # loading it failed: numpy for good
        self.lock = threading.Lock()


_kernel = _Kernel()
_DISABLED = os.environ.get("WIRETRACE_COMPILED_FINGERPRINTS", "on").strip().lower() in {"off", "0", "false", "no"}


def load():
    """Load the kernel now (or wait for the thread loading it) and return it; None when it cannot be loaded.

    The kernel only makes fingerprints faster, so it must never be why one
    fails: when numba is missing, does not run here, or finds nowhere to
    cache its code (a read-only install and home directory), this warns
    once and every text takes the numpy path.
    """
    with _kernel.lock:
        if _kernel.function is None and not _kernel.unavailable:
            try:
                from .ascii_kernel import ascii_fingerprint

                # The first call loads the cached machine code: pay it here,
                # not in the middle of a request.
                _call(ascii_fingerprint, b"warm up", b"warm up", FingerprintParams())
            except Exception as error:  # noqa: BLE001 - any failure means the numpy path
                _kernel.unavailable = True
                warnings.warn(
                    f"wiretrace: the compiled fingerprint path is unavailable, fingerprinting with numpy ({error!r})",
                    RuntimeWarning,
                    stacklevel=2,
                )
                return None
            _kernel.function = ascii_fingerprint
    return _kernel.function


def warm_in_background() -> None:
    """Start loading the kernel in a thread, unless it is loaded or loading in this process (or turned off)."""
    if _DISABLED or _kernel.unavailable or _kernel.function is not None or _kernel.loading_in == os.getpid():
        return
    _kernel.loading_in = os.getpid()
    threading.Thread(target=load, name="wiretrace-kernel", daemon=True).start()


def _ready_kernel():
    if _kernel.function is not None:
        return _kernel.function
    if _DISABLED or _kernel.unavailable or _kernel.loading_in == os.getpid():
        return None  # a thread is loading it: the numpy path meanwhile
    return load()


def compiled_arrays(text: str, params: FingerprintParams) -> tuple | None:
    """The kernel's arrays for ``text`` (see ``ascii_kernel.ascii_fingerprint``), or None when it does not take it."""
    if decode_entities(text)[1] is not None:
        return None  # decoded entities move offsets: the numpy path maps them back
    data = ascii_path_bytes(_to_ascii_punctuation(text))
    if data is None:
        return None
    kernel = _ready_kernel()
    if kernel is None:
        return None
    return _call(kernel, data, data if text.isascii() else _shapes(text), params)


def _call(kernel, data: bytes, shapes: bytes, params: FingerprintParams) -> tuple:
    multipliers, offsets = _kernel_permutations(params.num_perm, params.seed)
    return kernel(
        np.frombuffer(data, dtype=np.uint8),
        np.frombuffer(shapes, dtype=np.uint8),
        _WORD_TABLE,
        params.seed,
        params.shingle_size,
        multipliers,
        offsets,
        params.lsh_bands,
        params.lsh_rows,
        params.winnow_window,
    )


def _shapes(text: str) -> bytes:
    """``text`` as one byte per character for the kernel's quotation rules (:data:`SHAPE_BYTES`)."""
    for character, replacement in _SHAPES_ABOVE_LATIN1.items():
        if character in text:
            text = text.replace(character, replacement)
    return text.encode("latin-1")


@lru_cache(maxsize=16)
def _kernel_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    multipliers, offsets = _permutation_columns(num_perm, seed)
    return multipliers.ravel().astype(np.uint64), offsets.ravel().astype(np.uint64)
