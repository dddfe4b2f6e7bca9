"""The fingerprint of an all-ASCII text in one compiled pass (numba).

Most news text is ASCII once its curly quotes and dashes are spelled in
ASCII (``tokens._to_ascii_punctuation``). For such a text the whole
fingerprint is a handful of loops over its bytes: find the words, hash each
one (xxh32 of its lower-case bytes), chain the hashes into shingles, take the
MinHash minima, winnow, hash the LSH bands (xxh64), and mark the tokens that
stand inside quotation marks. In numpy these were a dozen whole-array passes
and a Python loop per quotation mark, about 140 us an article; compiled they
are one pass of about 15 us.

The kernel computes exactly what the general path computes (``tokens``,
``shingles``, ``signature``): the same tokens, the same hash functions, the
same quotation rules. The tests hold the two paths equal on generated texts,
and they were equal on every eligible article of ``../shared/data``. Texts
that hold anything else (other non-ASCII characters, HTML entities) take the
general path.

Compiled functions are cached on disk beside this module (numba's
``cache=True``), so only the first process after an install compiles them.
Importing this module imports numba: ``compiled_path`` does it when the
kernel is first wanted.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["ascii_fingerprint"]

_MASK32 = np.uint64(0xFFFFFFFF)
# xxh32's primes.
_P32_1 = np.uint64(0x9E3779B1)
_P32_2 = np.uint64(0x85EBCA77)
_P32_3 = np.uint64(0xC2B2AE3D)
_P32_4 = np.uint64(0x27D4EB2F)
_P32_5 = np.uint64(0x165667B1)
# xxh64's primes.
_P64_1 = np.uint64(0x9E3779B185EBCA87)
_P64_2 = np.uint64(0xC2B2AE3D27D4EB4F)
_P64_3 = np.uint64(0x165667B19E3779F9)
_P64_4 = np.uint64(0x85EBCA77C2B2AE63)
_P64_5 = np.uint64(0x27D4EB2F165667C5)
_SIGN_BIT = np.uint64(1 << 63)
_SHINGLE_MULTIPLIER = np.uint64(0x01000193)  # shingles.shingle_hashes's polynomial
_NOT_A_WORD = 32  # the word table's value for a byte that is not part of a word

# The text's few non-ASCII punctuation characters arrive in ``shapes`` as
# the bytes of compiled_path.SHAPE_BYTES: 0x82 and 0xAB open a quotation,
# 0x83 and 0xBB close one, 0x84 and 0x85 are dashes, 0xA0 a no-break space.
_LONGEST_UNCLOSED = 600  # tokens._LONGEST_UNCLOSED


@njit(cache=True, inline="always")
def _rotl32(value, bits):
    return ((value << np.uint64(bits)) | (value >> np.uint64(32 - bits))) & _MASK32


@njit(cache=True, inline="always")
def _rotl64(value, bits):
    return (value << np.uint64(bits)) | (value >> np.uint64(64 - bits))


@njit(cache=True, inline="always")
def _word_bytes32(data, words, at):
    """Four bytes of a word, lower-cased, as a little-endian integer."""
    return (
        np.uint64(words[data[at]])
        | (np.uint64(words[data[at + 1]]) << np.uint64(8))
        | (np.uint64(words[data[at + 2]]) << np.uint64(16))
        | (np.uint64(words[data[at + 3]]) << np.uint64(24))
    )


@njit(cache=True, inline="always")
def _xxh32_round(accumulator, lane):
    accumulator = (accumulator + lane * _P32_2) & _MASK32
    return (_rotl32(accumulator, 13) * _P32_1) & _MASK32


@njit(cache=True)
def _xxh32_word(data, words, start, end, seed):
    """xxh32 of ``data[start:end]`` lower-cased: ``xxhash.xxh32_intdigest(word.encode(), seed)``."""
    length = end - start
    at = start
    if length >= 16:
        v1 = (seed + _P32_1 + _P32_2) & _MASK32
        v2 = (seed + _P32_2) & _MASK32
        v3 = seed
        v4 = (seed - _P32_1) & _MASK32
        while at <= end - 16:
            v1 = _xxh32_round(v1, _word_bytes32(data, words, at))
            v2 = _xxh32_round(v2, _word_bytes32(data, words, at + 4))
            v3 = _xxh32_round(v3, _word_bytes32(data, words, at + 8))
            v4 = _xxh32_round(v4, _word_bytes32(data, words, at + 12))
            at += 16
        digest = (_rotl32(v1, 1) + _rotl32(v2, 7) + _rotl32(v3, 12) + _rotl32(v4, 18)) & _MASK32
    else:
        digest = (seed + _P32_5) & _MASK32
    digest = (digest + np.uint64(length)) & _MASK32
    while at + 4 <= end:
        digest = (digest + _word_bytes32(data, words, at) * _P32_3) & _MASK32
        digest = (_rotl32(digest, 17) * _P32_4) & _MASK32
        at += 4
    while at < end:
        digest = (digest + np.uint64(words[data[at]]) * _P32_5) & _MASK32
        digest = (_rotl32(digest, 11) * _P32_1) & _MASK32
        at += 1
    digest ^= digest >> np.uint64(15)
    digest = (digest * _P32_2) & _MASK32
    digest ^= digest >> np.uint64(13)
    digest = (digest * _P32_3) & _MASK32
    return digest ^ (digest >> np.uint64(16))


@njit(cache=True, inline="always")
def _fmix32(value):
    """shingles.fmix32 for one value."""
    value ^= value >> np.uint64(16)
    value = (value * np.uint64(0x85EBCA6B)) & _MASK32
    value ^= value >> np.uint64(13)
    value = (value * np.uint64(0xC2B2AE35)) & _MASK32
    return value ^ (value >> np.uint64(16))


@njit(cache=True, inline="always")
def _xxh64_round(accumulator, lane):
    accumulator = accumulator + lane * _P64_2
    return _rotl64(accumulator, 31) * _P64_1


@njit(cache=True)
def _xxh64_values(values, start, count, seed):
    """xxh64 of ``count`` uint32 values as little-endian bytes: signature.band_keys's digest."""
    length = np.uint64(4 * count)
    at = start
    end = start + count
    if count >= 8:
        v1 = seed + _P64_1 + _P64_2
        v2 = seed + _P64_2
        v3 = seed
        v4 = seed - _P64_1
        while at + 8 <= end:
            v1 = _xxh64_round(v1, values[at] | (values[at + 1] << np.uint64(32)))
            v2 = _xxh64_round(v2, values[at + 2] | (values[at + 3] << np.uint64(32)))
            v3 = _xxh64_round(v3, values[at + 4] | (values[at + 5] << np.uint64(32)))
            v4 = _xxh64_round(v4, values[at + 6] | (values[at + 7] << np.uint64(32)))
            at += 8
        digest = _rotl64(v1, 1) + _rotl64(v2, 7) + _rotl64(v3, 12) + _rotl64(v4, 18)
        for lane in (v1, v2, v3, v4):
            digest = (digest ^ _xxh64_round(np.uint64(0), lane)) * _P64_1 + _P64_4
    else:
        digest = seed + _P64_5
    digest = digest + length
    while at + 2 <= end:
        digest ^= _xxh64_round(np.uint64(0), values[at] | (values[at + 1] << np.uint64(32)))
        digest = _rotl64(digest, 27) * _P64_1 + _P64_4
        at += 2
    if at < end:
        digest ^= values[at] * _P64_1
        digest = _rotl64(digest, 23) * _P64_2 + _P64_3
    digest ^= digest >> np.uint64(33)
    digest = digest * _P64_2
    digest ^= digest >> np.uint64(29)
    digest = digest * _P64_3
    return digest ^ (digest >> np.uint64(32))


@njit(cache=True, inline="always")
def _is_space(shape):
    # str.isspace() of the characters an all-ASCII text can hold: ASCII
    # whitespace, the separators 0x1C-0x1F, and the no-break space.
    return (9 <= shape <= 13) or (0x1C <= shape <= 0x20) or shape == 0xA0


@njit(cache=True, inline="always")
def _is_alnum(shape):
    return (48 <= shape <= 57) or (65 <= shape <= 90) or (97 <= shape <= 122)


@njit(cache=True)
def _mark_kind(shapes, position):
    """tokens._mark_kind: 1 opens, 2 closes, 3 either."""
    mark = shapes[position]
    if mark == 0x82 or mark == 0xAB:
        return 1
    if mark == 0x83 or mark == 0xBB:
        return 2
    before = shapes[position - 1] if position > 0 else 32
    after = shapes[position + 1] if position + 1 < len(shapes) else 32
    if _is_space(before) or before in (40, 91, 123, 45, 47, 0x84, 0x85):  # ( [ { - / and the two dashes
        return 1
    if _is_space(after) or not _is_alnum(after):
        return 2
    return 3


@njit(cache=True)
def _quoted_ranges(shapes):
    """tokens._quoted_ranges over the shapes: (openings, closings) of the quoted character ranges."""
    openings = np.empty(len(shapes) + 1, np.int64)
    closings = np.empty(len(shapes) + 1, np.int64)
    count = 0
    opening = -1
    for position in range(len(shapes)):
        mark = shapes[position]
        if mark == 10:
            if opening >= 0:
                openings[count] = opening
                closings[count] = min(position, opening + _LONGEST_UNCLOSED)
                count += 1
                opening = -1
            continue
        if not (mark == 34 or mark == 0x82 or mark == 0x83 or mark == 0xAB or mark == 0xBB):
            continue
        kind = _mark_kind(shapes, position)
        if opening < 0:
            if kind != 2:
                opening = position
        elif kind == 1:
            openings[count] = opening
            closings[count] = min(position, opening + _LONGEST_UNCLOSED)
            count += 1
            opening = position
        else:
            openings[count] = opening
            closings[count] = position
            count += 1
            opening = -1
    if opening >= 0:
        openings[count] = opening
        closings[count] = min(len(shapes), opening + _LONGEST_UNCLOSED)
        count += 1
    return openings[:count], closings[:count]


@njit(cache=True)
def _window_minima(values, window):
    """The minimum of every run of ``window`` consecutive values (shingles.window_minima)."""
    minima = np.empty(len(values) - window + 1, np.uint32)
    for start in range(len(minima)):
        smallest = values[start]
        for offset in range(1, window):
            if values[start + offset] < smallest:
                smallest = values[start + offset]
        minima[start] = smallest
    return minima


@njit(cache=True)
def ascii_fingerprint(data, shapes, words, seed, shingle_size, multipliers, offsets, bands, rows, winnow_window):
    """Everything ``fingerprint.fingerprint`` computes, for an all-ASCII text.

    ``data`` is the text's bytes with its punctuation spelled in ASCII,
    ``shapes`` the same text with that punctuation as ``compiled_path.SHAPE_BYTES``, and
    ``words`` maps a byte to itself lower-cased when it belongs to a word,
    to a space otherwise. Returns (token starts, token ends, quoted,
    shingles, signature, winnowed, band keys as unsigned 64-bit values,
    token spans encoded for storage).
    """
    length = len(data)
    capacity = length // 2 + 1
    starts = np.empty(capacity, np.int64)
    ends = np.empty(capacity, np.int64)
    hashes = np.empty(capacity, np.uint64)
    seed = np.uint64(seed)
    count = 0
    position = 0
    while position < length:
        if words[data[position]] == _NOT_A_WORD:
            position += 1
            continue
        end = position + 1
        while end < length and words[data[end]] != _NOT_A_WORD:
            end += 1
        hashes[count] = _xxh32_word(data, words, position, end, seed)
        starts[count] = position
        ends[count] = end
        count += 1
        position = end + 1
    starts = starts[:count].copy()
    ends = ends[:count].copy()

    quoted = np.zeros(count, np.bool_)
    openings, closings = _quoted_ranges(shapes)
    token = 0
    for index in range(len(openings)):
        # Tokens that start strictly inside the range (tokens._quoted_mask).
        while token < count and starts[token] <= openings[index]:
            token += 1
        inside = token
        while inside < count and starts[inside] < closings[index]:
            quoted[inside] = True
            inside += 1

    permutations = len(multipliers)
    signature = np.full(permutations, 0xFFFFFFFF, np.uint64)
    if count == 0:
        empty = np.zeros(0, np.uint32)
        return (
            starts,
            ends,
            quoted,
            empty,
            signature.astype(np.uint32),
            empty,
            np.zeros(0, np.uint64),
            np.zeros(0, np.uint8),
        )
    width = min(shingle_size, count)
    shingles = np.empty(count - width + 1, np.uint32)
    for start in range(len(shingles)):
        accumulated = hashes[start]
        for offset in range(1, width):
            accumulated = (accumulated * _SHINGLE_MULTIPLIER + hashes[start + offset]) & _MASK32
        shingle = _fmix32(accumulated)
        shingles[start] = shingle
        # signature.minhash_values mixes the shingle hashes again before
        # datasketch's affine32 permutations.
        mixed = _fmix32(shingle)
        for permutation in range(permutations):
            value = (multipliers[permutation] * mixed + offsets[permutation]) & _MASK32
            if value < signature[permutation]:
                signature[permutation] = value

    if len(shingles) <= winnow_window:
        winnowed = np.full(1, shingles.min(), np.uint32)
    else:
        winnowed = np.unique(_window_minima(shingles, winnow_window))

    band_keys = np.empty(bands, np.uint64)
    for band in range(bands):
        band_keys[band] = _xxh64_values(signature, band * rows, rows, np.uint64(band)) ^ _SIGN_BIT
    return (
        starts,
        ends,
        quoted,
        shingles,
        signature.astype(np.uint32),
        winnowed,
        band_keys,
        _encoded_spans(starts, ends),
    )


@njit(cache=True)
def _encoded_spans(starts, ends):
    """fingerprint.encode_spans for tokens that never overlap, as they never do here."""
    count = len(starts)
    largest = 0
    previous_end = 0
    for token in range(count):
        largest = max(largest, starts[token] - previous_end, ends[token] - starts[token])
        previous_end = ends[token]
    width = 1 if largest < 1 << 8 else 2 if largest < 1 << 16 else 4
    encoded = np.empty(1 + 2 * count * width, np.uint8)
    encoded[0] = width
    previous_end = 0
    for token in range(count):
        gap = starts[token] - previous_end
        length = ends[token] - starts[token]
        previous_end = ends[token]
        for byte in range(width):  # little-endian
            encoded[1 + token * width + byte] = (gap >> (8 * byte)) & 0xFF
            encoded[1 + (count + token) * width + byte] = (length >> (8 * byte)) & 0xFF
    return encoded
