"""Hostile inputs: each gets the documented error or a correct match, and nothing stored changes.

Every case runs against a real SQLite file holding a small corpus; after each
refused request the database must pass ``PRAGMA integrity_check`` and hold
exactly the rows it held before.
"""

from __future__ import annotations

import random
import sqlite3
import time

import pytest

from fingerprints import canonical
from fingerprints.normalize import HOMOGLYPHS
from server import create_app
from tests.conftest import assert_error
from tests.texts import UNRELATED_STORY, WIRE_STORY

WIRE_URL = "https://coastwire.example/water"
TABLES = ("article", "outlet", "fingerprint", "posting", "band", "fingerprint_params")

# Latin letter -> a Cyrillic look-alike (lower case) and a Greek one (capitals).
CYRILLIC = {"a": "а", "c": "с", "e": "е", "i": "і", "j": "ј", "o": "о", "p": "р", "s": "ѕ", "x": "х", "y": "у",
            "d": "ԁ", "q": "ԛ", "h": "һ"}  # fmt: skip
GREEK_CAPITALS = {"A": "Α", "B": "Β", "E": "Ε", "Z": "Ζ", "H": "Η", "I": "Ι", "K": "Κ", "M": "Μ", "N": "Ν",
                  "O": "Ο", "P": "Ρ", "T": "Τ", "X": "Χ", "Y": "Υ"}  # fmt: skip


def _snapshot(db_path: str) -> dict:
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        counts = {table: connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}
        counts["texts"] = connection.execute("SELECT group_concat(content_hash) FROM article ORDER BY id").fetchone()
    return counts


@pytest.fixture
def stored(client, db_path):
    response = client.post(
        "/api/v1/articles",
        json={
            "articles": [
                {"url": WIRE_URL, "text": WIRE_STORY, "title": "Port Alder to replace pumping station"},
                {"url": "https://sport.example/rovers", "text": UNRELATED_STORY},
            ]
        },
    )
    assert response.status_code == 201
    return _snapshot(db_path)


def _refused(client, db_path, before, response, status, contains=None):
    assert_error(response, status, contains)
    assert _snapshot(db_path) == before


def _json_post(client, path, data, content_type="application/json"):
    return client.post(path, data=data, content_type=content_type)


# --- bodies -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/articles", "/api/v1/match"])
def test_a_body_over_the_request_limit_is_413(client, app, db_path, stored, path):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    body = b'{"url": "https://a.example/x", "text": "' + b"a" * size + b'"}'
    _refused(client, db_path, stored, _json_post(client, path, body), 413, "request body larger")


@pytest.mark.parametrize("path", ["/api/v1/articles", "/api/v1/match"])
def test_ten_megabytes_of_one_word_is_413_by_default(client, db_path, stored, path):
    for text in ("a" * 10_000_000, "word " * 2_000_000):
        response = client.post(path, json={"url": "https://a.example/big", "text": text})
        _refused(client, db_path, stored, response, 413, "larger than the limit")


def test_ten_megabytes_of_one_word_with_a_raised_limit_is_answered_in_bounded_time(tmp_path):
    client = create_app({"DATABASE": str(tmp_path / "big.db"), "MAX_TEXT_BYTES": 16 * 1024 * 1024}).test_client()
    assert client.post("/api/v1/articles", json={"url": WIRE_URL, "text": WIRE_STORY}).status_code == 201
    for text, found in (
        ("a" * 10_000_000, []),
        ("word " * 2_000_000, []),
        ("word " * 2_000_000 + WIRE_STORY, [WIRE_URL]),
    ):
        started = time.perf_counter()
        response = client.post("/api/v1/match", json={"text": text})
        assert time.perf_counter() - started < 30
        assert response.status_code == 200
        assert [match["article"]["url"] for match in response.get_json()["matches"]] == found


@pytest.mark.parametrize("path", ["/api/v1/articles", "/api/v1/match"])
def test_json_nested_within_the_parser_limit_is_400(client, db_path, stored, path):
    deep = "[" * 500 + "]" * 500
    _refused(client, db_path, stored, _json_post(client, path, deep), 400, "JSON object")
    nested_title = '{"url": "https://a.example/x", "text": "words here", "title": ' + deep + "}"
    _refused(client, db_path, stored, _json_post(client, path, nested_title), 400, "'title' must be a string")


@pytest.mark.parametrize("path", ["/api/v1/articles", "/api/v1/match"])
def test_deeply_nested_json_is_400(client, db_path, stored, path):
    deep = "[" * 100_000 + "]" * 100_000
    _refused(client, db_path, stored, _json_post(client, path, deep), 400)
    deep_object = '{"text": ' + '{"a": ' * 100_000 + "1" + "}" * 100_000 + "}"
    _refused(client, db_path, stored, _json_post(client, path, deep_object), 400)


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
@pytest.mark.parametrize("path", ["/api/v1/articles", "/api/v1/match"])
def test_a_body_that_is_not_json_is_415(client, db_path, stored, path, content_type):
    body = '{"url": "https://a.example/x", "text": "words here"}'
    response = client.post(path, data=body, headers={"Content-Type": content_type} if content_type else {})
    _refused(client, db_path, stored, response, 415, "JSON")


@pytest.mark.parametrize(
    "body",
    [
        b'{"url": "https://a.example/x", "text": "caf\xe9"}',  # Latin-1, not UTF-8
        b'{"url": "https://a.example/x", "text": "\xc0\xaf overlong"}',
        b'{"url": "https://a.example/x", "text": "\xed\xa0\x80 encoded surrogate"}',
        b'{"url": "https://a.example/x", "text": "cut \xe2\x82"}',
        b"\xff\xfe{\x00}\x00",
        b"",
        b"null",
        b'"a string"',
    ],
)
@pytest.mark.parametrize("path", ["/api/v1/articles", "/api/v1/match"])
def test_invalid_utf8_and_bodies_that_are_not_objects_are_400(client, db_path, stored, path, body):
    _refused(client, db_path, stored, _json_post(client, path, body), 400)


# --- control characters ---------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["https://a.example/n\x00ul", "https://a.ex\x01ample/", "https://a.example/\x7f", "https://a.example/\u0085x"],
)
def test_a_url_with_control_characters_is_400(client, db_path, stored, url):
    response = client.post("/api/v1/articles", json={"url": url, "text": WIRE_STORY})
    _refused(client, db_path, stored, response, 400, "control characters")
    response = client.post("/api/v1/match", json={"url": url, "text": WIRE_STORY})
    _refused(client, db_path, stored, response, 400, "control characters")


def test_nuls_and_control_characters_in_text_and_title_are_kept_and_do_not_hide_a_copy(client, db_path, stored):
    # Inside words, NULs and other controls vanish in normalisation, so they cannot split a word.
    dodged = "".join(
        char + ("\x00" if index % 3 == 0 else "\x1b" if index % 7 == 0 else "") for index, char in enumerate(WIRE_STORY)
    )
    title = "Title\x00 with \x07 controls"
    response = client.post("/api/v1/articles", json={"url": "https://copy.example/a", "text": dodged, "title": title})
    assert response.status_code == 201
    article = client.get(f"/api/v1/articles/{response.get_json()['articles'][0]['id']}").get_json()["article"]
    assert article["text"] == dodged and article["title"] == title
    matches = client.post("/api/v1/match", json={"text": dodged}).get_json()["matches"]
    assert matches[0]["article"]["url"] in (WIRE_URL, "https://copy.example/a")
    assert {match["article"]["url"] for match in matches} >= {WIRE_URL}
    assert next(m for m in matches if m["article"]["url"] == WIRE_URL)["relation"] == "duplicate"
    _assert_passages_point_at_the_text(matches, dodged, {WIRE_URL: WIRE_STORY, "https://copy.example/a": dodged})
    after = _snapshot(db_path)
    assert after["article"] == stored["article"] + 1


# --- matching that hostile text must not dodge ------------------------------------


def _fold(text: str) -> str:
    return canonical(text).translate(str.maketrans(HOMOGLYPHS))


def _assert_passages_point_at_the_text(matches, query, stored_texts):
    for match in matches:
        stored_text = stored_texts[match["article"]["url"]]
        for passage in match["passages"]:
            assert 0 <= passage["query_start"] < passage["query_end"] <= len(query)
            assert 0 <= passage["match_start"] < passage["match_end"] <= len(stored_text)
            assert _fold(query[passage["query_start"] : passage["query_end"]]) == _fold(
                stored_text[passage["match_start"] : passage["match_end"]]
            )


def _wire_match(client, query):
    matches = client.post("/api/v1/match", json={"text": query}).get_json()["matches"]
    assert [match["article"]["url"] for match in matches] == [WIRE_URL], matches
    _assert_passages_point_at_the_text(matches, query, {WIRE_URL: WIRE_STORY})
    return matches[0]


def _every_other_word(text: str, change) -> str:
    words = text.split(" ")
    return " ".join(change(word) if index % 2 == 0 else word for index, word in enumerate(words))


@pytest.mark.parametrize(
    "invisible", ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u200e", "\u202e", "\ufe0f"]
)
def test_zero_width_characters_inside_words_do_not_hide_a_copy(client, db_path, stored, invisible):
    dodged = _every_other_word(WIRE_STORY, lambda word: invisible.join(word))
    assert _wire_match(client, dodged)["relation"] == "duplicate"
    assert _snapshot(db_path) == stored


@pytest.mark.parametrize(
    "substitute",
    [
        pytest.param(lambda text: "".join(CYRILLIC.get(char, char) for char in text), id="every-cyrillic-look-alike"),
        pytest.param(
            lambda text: _every_other_word(text, lambda w: "".join(CYRILLIC.get(c, c) for c in w)),
            id="every-other-word",
        ),
        pytest.param(
            lambda text: "".join(GREEK_CAPITALS.get(char, char) for char in text.upper()), id="greek-capitals-shouting"
        ),
        pytest.param(
            lambda text: "".join(
                random.Random(index).choice([CYRILLIC.get(char, char), char]) for index, char in enumerate(text)
            ),
            id="random-half",
        ),
    ],
)
def test_look_alike_letters_do_not_hide_a_copy(client, db_path, stored, substitute):
    dodged = substitute(WIRE_STORY)
    assert dodged != WIRE_STORY
    match = _wire_match(client, dodged)
    assert match["relation"] == "duplicate" and match["containment_query"] >= 0.9
    assert _snapshot(db_path) == stored


# A few hundred words of Russian and of Arabic, built from fixed word lists.
RUSSIAN_WORDS = [
    "в",
    "городе",
    "на",
    "севере",
    "страны",
    "власти",
    "объявили",
    "о",
    "строительстве",
    "новой",
    "насосной",
    "станции",
    "которая",
    "заменит",
    "старое",
    "здание",
    "построенное",
    "до",
    "войны",
    "жители",
    "северных",
    "районов",
    "несколько",
    "раз",
    "оставались",
    "без",
    "воды",
    "зимой",
    "сор",
    "кот",
    "торт",
    "а",
    "и",
    "о",
]
ARABIC_WORDS = [
    "قالت",
    "هيئة",
    "المياه",
    "في",
    "المدينة",
    "إنها",
    "ستنفق",
    "ملايين",
    "على",
    "استبدال",
    "محطة",
    "الضخ",
    "القديمة",
    "بعد",
    "أن",
    "ترك",
    "عطلان",
    "متتاليان",
    "الأحياء",
    "الشمالية",
    "بلا",
    "ماء",
    "لأيام",
    "وسيبنى",
    "المبنى",
    "الجديد",
    "قرب",
    "ميناء",
    "العبارات",
]


def _prose(words: list[str], seed: int, count: int = 300) -> str:
    chooser = random.Random(seed)
    return " ".join(chooser.choice(words) for _ in range(count))


def test_russian_text_keeps_its_letters_and_still_matches_itself(client, db_path, stored):
    russian = _prose(RUSSIAN_WORDS, 1)
    assert all(not word.isascii() for word in canonical(russian).split())
    url = "https://ru.example/news"
    assert client.post("/api/v1/articles", json={"url": url, "text": russian}).status_code == 201
    matches = client.post("/api/v1/match", json={"text": "Заголовок. " + russian}).get_json()["matches"]
    assert [match["article"]["url"] for match in matches] == [url]
    # English text is not taken for it.
    assert (
        client.post("/api/v1/match", json={"text": WIRE_STORY}).get_json()["matches"][0]["article"]["url"] == WIRE_URL
    )


def test_right_to_left_and_combining_characters_match_with_offsets_into_the_text_as_sent(client, db_path, stored):
    arabic = _prose(ARABIC_WORDS, 2)
    url = "https://ar.example/news"
    assert client.post("/api/v1/articles", json={"url": url, "text": arabic}).status_code == 201
    # The copy: a Latin prefix with combining accents, right-to-left marks around every Arabic word.
    prefix = "Le pre\u0301fet a de\u0301clare\u0301 : \u202b"
    copy = prefix + " ".join(f"\u200f{word}\u200f" for word in arabic.split(" ")) + "\u202c"
    matches = client.post("/api/v1/match", json={"text": copy}).get_json()["matches"]
    assert [match["article"]["url"] for match in matches] == [url]
    _assert_passages_point_at_the_text(matches, copy, {url: arabic})
    assert min(passage["query_start"] for passage in matches[0]["passages"]) >= len(prefix) - 1
    # Decomposed accents throughout the English copy of the wire story still match it.
    accented = WIRE_STORY.replace("e", "e\u0301").replace("a", "\u00e0")
    assert _wire_match(client, accented)["relation"] == "duplicate"
