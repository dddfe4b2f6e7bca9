"""Property tests: the fast paths agree with slow, obviously-correct references."""

from __future__ import annotations

import string

import numpy as np
import pytest
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from fingerprints import (
    DEFAULT_PARAMS,
    FingerprintParams,
    TextTooShort,
    canonical,
    compare,
    fingerprint,
    normalize,
    tokenize,
    tokenize_reference,
)
from fingerprints.fingerprint import decode_spans, encode_spans
from fingerprints.shingles import shingle_hashes, shingle_hashes_reference, token_hashes, window_minima, winnow
from fingerprints.signature import minhash, minhash_reference

# Text that looks like scraped news: words, punctuation, the usual Unicode
# variants, entities, and the characters used to dodge matching.
_PIECES = st.sampled_from(
    [
        "the",
        "Minister",
        "said",
        "café",
        "Ünïcode",
        "naïve",
        "e\u0301",
        "\u00a0",
        "\u200b",
        "\u00ad",
        "&amp;",
        "&quot;",
        "&#8220;",
        "\u201c",
        "\u201d",
        "\u2019",
        "\u2014",
        "\u2013",
        "-",
        ",",
        ".",
        " ",
        "  ",
        "\n",
        "\n\n",
        "\t",
        "中文",
        "東京都",
        "ภาษาไทย",
        "ﬁnance",
        "Ｆｕｌｌ",
        "5㎏",
        "½",
        "١٢٣",
        "עברית",
        "x²",
        "İstanbul",
        "ß",
        "Straße",
        "ΣΊΣΥΦΟΣ",
        "\U0001f600",
        "_",
        "'",
        '"',
        "(AFP)",
        "A.P.",
        "U.S.",
        # Look-alikes: Cyrillic and Greek letters inside and as whole English
        # words, and genuine Russian and Greek words that must stay themselves.
        "g\u043evernment",
        "\u041c\u0456n\u0456st\u0435r",
        "\u0441\u043e\u0440\u0443",
        "\u0430",
        "\u0391\u03a1",
        "\u039d\u0395W",
        "t\u04bb\u0435",
        "\u0435\u0430\u043e\u0440\u0441\u0445\u0443\u0456\u0455\u0458\u0501\u051b",
        "\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a7\u03a5",
        "\u041c\u043e\u0441\u043a\u0432\u0430",
        "\u0441\u043e\u0440",
        "\u043a\u0430\u0438",
        "\u03ba\u03b1\u03b9",
        "\u0391\u03b8\u03ae\u03bd\u03b1",
    ]
)
news_like = st.lists(st.one_of(_PIECES, st.text(max_size=6)), max_size=40).map("".join)


@given(news_like)
@settings(max_examples=400, deadline=None)
def test_fast_tokenizer_agrees_with_reference(text):
    fast = tokenize(text)
    slow = tokenize_reference(text)
    assert fast.words == slow.words
    assert fast.starts.tolist() == slow.starts.tolist()
    assert fast.ends.tolist() == slow.ends.tolist()


@given(news_like)
@settings(max_examples=200, deadline=None)
def test_token_spans_point_at_the_token(text):
    tokens = tokenize(text)
    for word, start, end in zip(tokens.words, tokens.starts, tokens.ends, strict=True):
        assert 0 <= start < end <= len(text)
        # Re-tokenising the span gives back the token (or it, split no further),
        # up to look-alike folding: a token made only of look-alikes is folded
        # or not by its neighbours, which the span alone does not have.
        alone = canonical(text[start:end]).split(" ")
        assert _folded(word) in [_folded(piece) for piece in alone]


def _folded(word: str) -> str:
    from fingerprints.normalize import HOMOGLYPHS

    return word.translate(str.maketrans(HOMOGLYPHS))


def test_look_alikes_in_latin_words_are_folded():
    copy = "T\u04bb\u0435 g\u043ev\u0435rnm\u0435nt s\u0430id \u0430 n\u0435w \u0441\u043e\u0440\u0443 \u039d\u0395W"
    assert canonical(copy) == "the government said a new copy new"
    assert (
        canonical("\u0455\u0430\u0443\u0455 \u0430 \u0441\u043e\u0440\u0443")
        == "\u0455\u0430\u0443\u0455 \u0430 \u0441\u043e\u0440\u0443"
    )


def test_russian_and_greek_text_keeps_its_own_letters():
    russian = "\u041c\u043e\u0441\u043a\u0432\u0430 \u0441\u043e\u0440 \u0438 \u0442\u043e\u0440\u0442 \u0430 \u043a\u043e\u0442"
    assert canonical(russian) == normalize(russian).text
    greek = "\u0391\u03b8\u03ae\u03bd\u03b1 \u03ba\u03b1\u03b9 \u03a3\u03c0\u03ac\u03c1\u03c4\u03b7 \u03c4\u03bf \u03ad\u03c4\u03bf\u03c2"
    assert canonical(greek) == normalize(greek).text
    # A Russian quotation inside English text: its words stay Russian.
    mixed = f"The minister said {russian} and left"
    assert canonical(mixed).split(" ")[3:-2] == normalize(russian).text.split(" ")


@given(news_like)
@settings(max_examples=200, deadline=None)
def test_normalize_offsets_stay_in_the_original(text):
    normalized = normalize(text)
    assert len(normalized.starts) == len(normalized.text) == len(normalized.ends)
    for start, end in zip(normalized.starts, normalized.ends, strict=True):
        assert 0 <= start < end <= len(text)
    assert "  " not in normalized.text
    assert normalized.text == normalized.text.strip()


def test_normalize_folds_the_variants_scrapers_produce():
    assert (
        normalize("\u201cQuoted\u201d \u2014 it\u2019s &amp; Ｆｕｌｌ\u00a0\u00a0width").text
        == '"quoted" - it\'s & full width'
    )
    assert normalize("caf\u00e9").text == normalize("cafe\u0301").text == "cafe"
    assert normalize("co\u200bpy\u00adright").text == "copyright"


@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), max_size=60), st.integers(1, 7))
def test_vectorised_shingles_agree_with_reference(values, size):
    hashes = np.asarray(values, dtype=np.uint32)
    assert shingle_hashes(hashes, size).tolist() == shingle_hashes_reference(hashes, size).tolist()


@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=200))
@settings(max_examples=50, deadline=None)
def test_batch_minhash_agrees_with_one_update_at_a_time(values):
    shingles = np.asarray(values, dtype=np.uint32)
    assert (
        minhash(shingles, DEFAULT_PARAMS).hashvalues.tolist()
        == minhash_reference(shingles, DEFAULT_PARAMS).hashvalues.tolist()
    )


@given(st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=120), st.integers(1, 20))
def test_winnowing_keeps_the_minimum_of_every_window_and_nothing_else(values, window):
    shingles = np.asarray(values, dtype=np.uint32)
    selected = winnow(shingles, window).tolist()
    minima = [min(values[start : start + window]) for start in range(max(1, len(values) - window + 1))]
    assert selected == sorted(set(minima))
    if window <= len(values):
        assert window_minima(shingles, window).tolist() == minima


words = st.sampled_from(
    [
        "port",
        "harbour",
        "council",
        "water",
        "pumps",
        "winter",
        "station",
        "engineer",
        "said",
        "would",
        "spend",
        "million",
        "residents",
        "the",
        "a",
        "of",
        "to",
        "in",
        "and",
        "ferry",
        "quay",
        "bills",
        "rise",
        "discount",
        "scheme",
        "survey",
        "pipes",
        "network",
        "leakage",
    ]
)
word_texts = st.lists(words, min_size=1, max_size=80).map(" ".join)


@given(st.lists(st.text(min_size=1, max_size=6), max_size=40), st.integers(0, 3))
def test_token_hashes_are_xxh32_of_each_word_whether_seen_before_or_not(words, seed):
    # Words repeat within a text and across texts; the cache must not change a value.
    expected = [xxhash.xxh32_intdigest(word.encode("utf-8"), seed) for word in words]
    assert token_hashes(words, seed).tolist() == expected
    assert token_hashes(words, seed).tolist() == expected


@given(word_texts)
@settings(max_examples=100, deadline=None)
def test_identical_texts_have_similarity_one(text):
    comparison = compare(fingerprint(text), fingerprint(text))
    assert comparison.similarity == 1.0
    assert comparison.containment_query == comparison.containment_match == 1.0
    assert comparison.relation == "duplicate"


@given(word_texts, word_texts, word_texts, st.sampled_from(["", "\n\n", " \u2014 ", "&amp; "]))
@settings(max_examples=150, deadline=None)
def test_passage_offsets_point_at_equal_normalised_text(prefix, shared, suffix, glue):
    query = f"{prefix}{glue}{shared}. {suffix}"
    match = f"{suffix.upper()} {shared.title()}{glue}{prefix[::-1]}"
    comparison = compare(fingerprint(query), fingerprint(match))
    for passage in comparison.passages:
        assert canonical(query[passage.query_start : passage.query_end]) == canonical(
            match[passage.match_start : passage.match_end]
        )
        assert passage.query_end > passage.query_start and passage.match_end > passage.match_start


@st.composite
def token_spans(draw):
    """Token spans as tokenising makes them: in order, mostly apart, sometimes from one entity (overlapping)."""
    starts, ends, position = [], [], draw(st.integers(0, 70_000))
    for _ in range(draw(st.integers(1, 60))):
        position += draw(st.one_of(st.integers(0, 3), st.integers(0, 300), st.integers(0, 70_000)))
        if starts and draw(st.integers(0, 9)) == 0:
            position = starts[-1]  # two tokens of one decoded entity share its span
        length = draw(st.one_of(st.integers(1, 12), st.integers(1, 70_000)))
        starts.append(position)
        ends.append(position + length)
        position += length
    return np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)


@given(token_spans())
def test_stored_token_spans_come_back_whole(spans):
    starts, ends = spans
    blob = encode_spans(starts, ends)
    for decoded, original in zip(decode_spans(blob), spans, strict=True):
        assert decoded.tolist() == original.tolist()
    # The first stored form, two 32-bit offsets a token, is still read.
    first_form = np.stack([starts, ends]).astype("<u4").tobytes()
    assert [values.tolist() for values in decode_spans(first_form)] == [starts.tolist(), ends.tolist()]


def test_token_spans_take_two_bytes_a_token_for_ordinary_text():
    text = "The council said the harbour wall will be rebuilt over two winters, at a cost of forty million. " * 20
    print_ = fingerprint(text)
    assert len(print_.to_blobs()["spans"]) == 1 + 2 * print_.token_count


def test_token_hashes_are_stable_across_processes():
    # Python's own hash() is salted per process; stored fingerprints must not
    # be. xxh32 of the UTF-8 bytes with the parameter seed is the definition.
    assert int(token_hashes(["wiretrace"], 1)[0]) == xxhash.xxh32_intdigest(b"wiretrace", 1)
    assert int(token_hashes(["wiretrace"], 2)[0]) == xxhash.xxh32_intdigest(b"wiretrace", 2)


@given(word_texts)
@settings(max_examples=100, deadline=None)
def test_a_pickled_fingerprint_comes_back_whole(text):
    # How a parallel ingest's workers hand fingerprints to the writer.
    import pickle

    original = fingerprint(text)
    restored = pickle.loads(pickle.dumps(original))
    for name in ("shingles", "token_starts", "token_ends", "quoted", "signature", "winnowed"):
        assert np.array_equal(getattr(restored, name), getattr(original, name)), name
    assert restored.params == original.params
    assert restored.band_keys == original.band_keys
    assert restored.to_blobs() == original.to_blobs()
    assert restored.signature.dtype == original.signature.dtype and restored.token_starts.dtype == np.int64


@given(word_texts)
@settings(max_examples=100, deadline=None)
def test_a_storage_record_stores_what_its_fingerprint_stores(text):
    # What a parallel ingest's workers send to the writer, pickled.
    import pickle

    original = fingerprint(text)
    record = pickle.loads(pickle.dumps(original.storage_record()))
    assert record.to_blobs() == original.to_blobs()
    assert np.array_equal(record.winnowed, original.winnowed) and record.winnowed.dtype == np.uint32
    assert record.band_keys == original.band_keys
    assert record.token_count == original.token_count
    whole = record.fingerprint()
    for name in ("shingles", "token_starts", "token_ends", "quoted", "signature"):
        assert np.array_equal(getattr(whole, name), getattr(original, name)), name


def _reference_scores(query, match, judged_passages):
    """Similarity and containments from Python sets: the definition score() must agree with."""
    kept = [p for p in judged_passages if not p.boilerplate]
    boiler = [p for p in judged_passages if p.boilerplate]

    def values(print_, spans):
        return {int(v) for span in spans for v in print_.shingles[span]}

    shared = values(query, [p.query_shingles(query.shingle_width) for p in kept])
    query_set = {int(v) for v in query.shingles} - values(
        query, [p.query_shingles(query.shingle_width) for p in boiler]
    )
    match_set = {int(v) for v in match.shingles} - values(
        match, [p.match_shingles(match.shingle_width) for p in boiler]
    )
    union = len(query_set) + len(match_set) - len(shared)
    return (
        min(1.0, len(shared) / union) if union else 0.0,
        min(1.0, len(shared) / len(query_set)) if query_set else 0.0,
        min(1.0, len(shared) / len(match_set)) if match_set else 0.0,
    )


@given(st.lists(words, min_size=30, max_size=120), st.integers(0, 2**32 - 1), st.data())
@settings(max_examples=100, deadline=None)
def test_scores_with_boilerplate_set_aside_agree_with_sets(base, seed, data):
    import random

    from fingerprints import covered_tokens, score, set_aside_boilerplate
    from fingerprints.verify import align

    rng = random.Random(seed)
    # A copy with some words changed, and a stretch of the query called boilerplate.
    copy = [word if rng.random() > 0.1 else "edited" for word in base]
    query, match = fingerprint(" ".join(base)), fingerprint(" ".join(copy))
    passages = align(query, match)
    start = data.draw(st.integers(0, len(base) - 1))
    length = data.draw(st.integers(0, len(base) - start))
    boilerplate = np.zeros(query.token_count, dtype=bool)
    boilerplate[start : start + length] = True
    judged = set_aside_boilerplate(query, match, passages, boilerplate)
    comparison = score(query, match, judged)
    expected = _reference_scores(query, match, judged)
    got = (comparison.similarity, comparison.containment_query, comparison.containment_match)
    assert np.allclose(got, expected), (got, expected)
    assert covered_tokens(query, [p for p in judged if p.boilerplate]).sum() <= boilerplate.sum()


def _with_repeats(values: list[int], repeats: list[int]) -> np.ndarray:
    """Shingle hashes where some values recur, the way refrains and stock phrases do."""
    return np.asarray(values + [values[i % len(values)] for i in repeats], dtype=np.uint32)


@given(
    st.lists(st.integers(min_value=0, max_value=2**32 - 1), min_size=1, max_size=80),
    st.lists(st.integers(min_value=0, max_value=200), max_size=40),
    st.randoms(use_true_random=False),
)
@settings(max_examples=150, deadline=None)
def test_sorted_views_of_the_shingles_agree_with_plain_numpy_and_sets(values, repeats, rng):
    from fingerprints.fingerprint import Fingerprint

    shingles = _with_repeats(values, repeats)
    rng.shuffle(shingles)
    count = len(shingles)
    print_ = Fingerprint(
        params=DEFAULT_PARAMS,
        shingles=shingles,
        token_starts=np.arange(count + 4, dtype=np.int64),
        token_ends=np.arange(count + 4, dtype=np.int64) + 1,
        quoted=np.zeros(count + 4, dtype=bool),
        signature=np.zeros(DEFAULT_PARAMS.num_perm, dtype=np.uint32),
    )
    order, ordered = print_.shingle_order
    assert order.tolist() == np.argsort(shingles, kind="stable").tolist()
    assert ordered.tolist() == sorted(shingles.tolist())
    assert print_.distinct_shingles.tolist() == sorted(set(shingles.tolist()))
    listed = shingles.tolist()
    assert print_.occurrence_rank.tolist() == [listed[:i].count(value) for i, value in enumerate(listed)]
    assert print_.distinct_shingles[print_.shingle_ids].tolist() == listed
    spans = [slice(a, b) for a, b in zip(rng.sample(range(count + 1), min(4, count + 1)), [count] * 4, strict=False)]
    assert print_.count_distinct(spans) == len({value for span in spans for value in listed[span]})


@given(st.lists(st.booleans(), min_size=1, max_size=60), st.data())
@settings(max_examples=200, deadline=None)
def test_one_quotation_test_agrees_with_counting_the_slice(quoted, data):
    from fingerprints.verify import DEFAULT_OPTIONS, _within_one_quotation

    first = data.draw(st.integers(0, len(quoted) - 1))
    tokens = data.draw(st.integers(1, len(quoted) - first))
    marks = np.asarray(quoted, dtype=bool)
    text = fingerprint(" ".join(["word"] * len(quoted)))
    object.__setattr__(text, "quoted", marks)
    piece = marks[first : first + tokens]
    openings = int(piece[0]) + sum(1 for a, b in zip(piece[:-1], piece[1:], strict=True) if b and not a)
    expected = piece.sum() >= DEFAULT_OPTIONS.quotation_share * tokens and openings == 1
    assert _within_one_quotation(text, first, tokens, DEFAULT_OPTIONS) == expected


@given(st.lists(st.booleans(), max_size=50))
def test_stretches_of_a_mask_cover_it_exactly(mask):
    from fingerprints.verify import _stretches

    true, false = _stretches(np.asarray(mask, dtype=bool))
    rebuilt = [None] * len(mask)
    for stretches, value in ((true, True), (false, False)):
        for offset, length in stretches:
            assert length > 0
            rebuilt[offset : offset + length] = [value] * length
    assert rebuilt == mask
    # Maximal: no two stretches of one kind touch.
    for stretches in (true, false):
        ends = {offset + length for offset, length in stretches}
        assert not any(offset in ends for offset, _ in stretches)


@given(st.integers(1, 300), st.integers(0, 2**32 - 1))
@settings(max_examples=40, deadline=None)
def test_permutations_are_drawn_exactly_as_datasketch_draws_them(num_perm, seed):
    from datasketch import MinHash

    from fingerprints.signature import _permutations

    theirs = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    ours = _permutations(num_perm, seed)
    assert ours.dtype == theirs.dtype
    assert np.array_equal(ours, theirs)


def _run_python(script: str, environment: dict[str, str] | None = None, check: bool = False):
    """Run ``script`` in a fresh Python process (what it imports, loads and warns starts from nothing)."""
    import os
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=check,
        env={**os.environ, **(environment or {})},
    )


def test_serving_does_not_import_datasketch_or_scipy(tmp_path):
    # Importing datasketch imports scipy's integrate and stats (0.7 s): every
    # server worker would pay it at start, against a restart budget of 2 s.
    # (numba imports the bare scipy package, about 10 ms, which is allowed.)
    script = (
        "import sys\n"
        "from server import create_app\n"
        f"app = create_app({{'DATABASE': {str(tmp_path / 'start.db')!r}}})\n"
        "client = app.test_client()\n"
        "client.post('/api/v1/articles', json={'url': 'https://a.example/1', 'text': 'one two three four five six'})\n"
        "assert client.post('/api/v1/match', json={'text': 'one two three four five six'}).status_code == 200\n"
        "print(sorted(name for name in ('datasketch', 'scipy.integrate', 'scipy.stats') if name in sys.modules))\n"
    )
    run = _run_python(script, check=True)
    assert run.stdout.strip() == "[]", run.stdout + run.stderr


@given(
    st.lists(words, min_size=1, max_size=60),
    st.lists(words, min_size=1, max_size=160),
    st.lists(words, max_size=60),
    st.integers(0, 2**32 - 1),
)
@settings(max_examples=300, deadline=None)
def test_a_pair_turned_away_before_aligning_is_never_a_verified_pair(shared, query_rest, match_rest, seed):
    import random

    from fingerprints.verify import VerifyOptions, could_verify

    rng = random.Random(seed)
    # Shared text placed anywhere in each, lightly edited in the match, with
    # quotation marks sometimes: the pairs verification sees.
    cut = rng.randint(0, len(query_rest))
    query_words = query_rest[:cut] + shared + query_rest[cut:]
    edited = [word if rng.random() > 0.05 else "edited" for word in shared]
    if rng.random() < 0.3:
        edited = ['"' + edited[0], *edited[1:-1], edited[-1] + '"'] if len(edited) > 1 else edited
    cut = rng.randint(0, len(match_rest))
    match_words = match_rest[:cut] + edited + match_rest[cut:]
    query, match = fingerprint(" ".join(query_words)), fingerprint(" ".join(match_words))
    for options in (VerifyOptions(), VerifyOptions(min_passage_tokens=3, min_evidence_tokens=20)):
        if compare(query, match, options).verified:
            assert could_verify(query, match, options)


# Text the compiled all-ASCII path takes: ASCII words of every length (xxh32
# has a separate loop from 16 bytes), the punctuation it spells in ASCII,
# straight and curly quotation marks in every position, separators and
# newlines.
_ASCII_PATH_PIECES = st.sampled_from(
    [
        "the",
        "Minister",
        "SAID",
        "x",
        "_",
        "2017",
        "internationalisation",
        "counterrevolutionaries1234",
        '"',
        ' "',
        '" ',
        '("',
        '-"',
        '/"',
        '"\n',
        "\u201c",
        "\u201d",
        "\u2018",
        "\u2019",
        "\u00ab",
        "\u00bb",
        "\u2013",
        "\u2014",
        "\u2026",
        "\u2022",
        "\u00b7",
        "\u00a0",
        '\u00a0"',
        " ",
        "\n",
        "\t",
        "\x1c",
        "\x1f",
        ",",
        ".",
        "'",
        "(AFP)",
        "U.S.",
    ]
)
ascii_path_texts = st.lists(
    st.one_of(_ASCII_PATH_PIECES, st.text(alphabet=string.printable, max_size=8)), max_size=120
).map("".join)


@pytest.fixture(autouse=True, scope="module")
def compiled_path_loaded():
    # A server made earlier in this process may be loading the kernel in a
    # thread, and until it is done every text takes the numpy path.
    from fingerprints import compiled_path

    compiled_path.load()


def _fingerprints_equal(first, second) -> None:
    for field in ("shingles", "token_starts", "token_ends", "quoted", "signature", "winnowed"):
        ours, theirs = getattr(first, field), getattr(second, field)
        assert ours.dtype == theirs.dtype, field
        assert np.array_equal(ours, theirs), field
    assert first.band_keys == second.band_keys
    assert first.storage_record() == second.storage_record()


@given(ascii_path_texts)
@settings(max_examples=400, deadline=None)
def test_compiled_fingerprint_equals_the_general_path(text):
    from fingerprints.fingerprint import _compiled_fingerprint, fingerprint_general

    try:
        general = fingerprint_general(text)
    except TextTooShort:
        general = None
    try:
        compiled = _compiled_fingerprint(text, DEFAULT_PARAMS)
    except TextTooShort:
        assert general is None
        return
    if compiled is not None:  # else a text the kernel does not take
        _fingerprints_equal(compiled, general)


@given(
    ascii_path_texts,
    st.integers(1, 7),
    st.integers(0, 2**32 - 1),
    st.integers(1, 20),
    st.sampled_from([1, 2, 3, 4, 8, 16]),
)
@settings(max_examples=150, deadline=None)
def test_compiled_fingerprint_equals_the_general_path_for_any_parameters(text, size, seed, window, rows):
    from fingerprints.fingerprint import _compiled_fingerprint, fingerprint_general

    params = FingerprintParams(
        shingle_size=size, seed=seed, winnow_window=window, num_perm=16 * rows, lsh_bands=16, lsh_rows=rows
    )
    try:
        compiled = _compiled_fingerprint(text, params)
    except TextTooShort:
        return
    if compiled is not None:
        _fingerprints_equal(compiled, fingerprint_general(text, params))


# Long texts with few marks: unclosed quotations that run past their
# 600-character limit or to the paragraph's end, and marks whose neighbours
# decide whether they open or close.
_PROSE = st.sampled_from(["the ", "minister ", "said", " said ", "internationalisation ", "2017", ", ", ". ", " "])
_MARK = st.sampled_from(
    [
        '"',
        ' "',
        '" ',
        '("',
        '\u2014"',
        '\u2013" ',
        '"\u2014',
        '\u00a0"',
        '"\u00a0',
        "\u201c",
        "\u201d",
        "\u00ab",
        "\u00bb",
        "\n",
        "\n\n",
    ]
)
sparse_quotes = st.lists(st.one_of(*[_PROSE] * 30, _MARK), max_size=600).map("".join)


@given(sparse_quotes)
@settings(max_examples=200, deadline=None)
def test_compiled_quotation_marks_agree_with_the_general_path_in_long_texts(text):
    from fingerprints.fingerprint import _compiled_fingerprint, fingerprint_general

    try:
        compiled = _compiled_fingerprint(text, DEFAULT_PARAMS)
    except TextTooShort:
        return
    assert compiled is not None
    _fingerprints_equal(compiled, fingerprint_general(text))


def test_compiled_fingerprint_equals_the_general_path_on_real_news():
    import json
    from pathlib import Path

    from fingerprints.fingerprint import _compiled_fingerprint, fingerprint_general

    data = Path(__file__).resolve().parents[2] / "shared" / "data"
    files = sorted(data.glob("*.jsonl")) if data.is_dir() else []
    if not files:
        pytest.skip(f"the shared data directory {data} is not available")
    taken = 0
    for path in files:
        with open(path, encoding="utf-8") as handle:
            for _, line in zip(range(1500), handle, strict=False):
                text = json.loads(line)["text"]
                try:
                    compiled = _compiled_fingerprint(text, DEFAULT_PARAMS)
                except TextTooShort:
                    continue
                if compiled is not None:
                    taken += 1
                    _fingerprints_equal(compiled, fingerprint_general(text))
    assert taken > 1000


def test_the_compiled_path_takes_plain_news_text_and_leaves_the_rest():
    from fingerprints.fingerprint import _compiled_fingerprint

    assert _compiled_fingerprint("The minister said \u201cno\u201d \u2014 twice.", DEFAULT_PARAMS) is not None
    for other in ("A caf\u00e9 opened.", "Prices &amp; wages", "\u4e2d\u6587 text"):
        assert _compiled_fingerprint(other, DEFAULT_PARAMS) is None


def test_the_kernel_knows_every_character_the_ascii_path_spells_in_ascii():
    from fingerprints.compiled_path import SHAPE_BYTES
    from fingerprints.tokens import _ASCII_PUNCTUATION

    assert {ord(character) for character in SHAPE_BYTES} == set(_ASCII_PUNCTUATION)
    assert len(set(SHAPE_BYTES.values())) == len(SHAPE_BYTES)


def test_until_the_kernel_has_loaded_fingerprints_take_the_numpy_path(tmp_path):
    # A server answers while the kernel loads in a thread; those answers
    # must be the ones the kernel gives once loaded.
    script = (
        "from fingerprints import compiled_path, fingerprint\n"
        "compiled_path.warm_in_background()\n"
        "text = 'The minister said \u201cwe will not\u201d \u2014 and left. ' * 20\n"
        "early = fingerprint(text)\n"
        "assert compiled_path._kernel.function is None, 'loaded before the first fingerprint'\n"
        "assert 'winnowed' not in early.__dict__, 'the compiled path fingerprinted it'\n"
        "compiled_path.load()\n"
        "late = fingerprint(text)\n"
        "assert 'winnowed' in late.__dict__, 'the numpy path fingerprinted it'\n"
        "assert early.storage_record() == late.storage_record()\n"
        "print('ok')\n"
    )
    run = _run_python(script)
    assert run.stdout.strip() == "ok", run.stdout + run.stderr


def test_the_compiled_path_can_be_turned_off():
    script = (
        "import sys\n"
        "from fingerprints import compiled_path, fingerprint\n"
        "from fingerprints.fingerprint import fingerprint_general\n"
        "compiled_path.warm_in_background()\n"
        "text = 'The minister said the talks would go on. ' * 10\n"
        "assert fingerprint(text).storage_record() == fingerprint_general(text).storage_record()\n"
        "import threading\n"
        "for thread in threading.enumerate():\n"
        "    if thread.name == 'wiretrace-kernel':\n"
        "        thread.join()\n"
        "print('numba' in sys.modules)\n"
    )
    run = _run_python(script, {"WIRETRACE_COMPILED_FINGERPRINTS": "off"})
    assert run.stdout.strip() == "False", run.stdout + run.stderr


def test_without_numba_fingerprints_take_the_numpy_path_with_a_warning():
    script = (
        "import sys, warnings\n"
        "sys.modules['numba'] = None  # as if it were not installed\n"
        "from fingerprints import compiled_path, fingerprint\n"
        "from fingerprints.fingerprint import fingerprint_general\n"
        "text = 'The minister said the talks would go on. ' * 10\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    made = fingerprint(text)\n"
        "    again = fingerprint(text)\n"
        "assert made.storage_record() == again.storage_record() == fingerprint_general(text).storage_record()\n"
        "print(len([w for w in caught if 'compiled fingerprint path is unavailable' in str(w.message)]))\n"
    )
    run = _run_python(script)
    assert run.stdout.strip() == "1", run.stdout + run.stderr
