"""Integrity checks for the hand-written demo corpus and its ground truth.

Pure Python on purpose: no project imports, so the corpus can be checked on its own.
"""

import json
from datetime import datetime
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "server" / "demo"
CORPUS = DEMO / "corpus.jsonl"
EXPECTED = DEMO / "expected.json"

FIELDS = {"url": str, "outlet": str, "title": str, "published_at": str, "text": str}


def _load_corpus():
    records = []
    with CORPUS.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            assert line.strip(), f"blank line {lineno} in corpus.jsonl"
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as e:  # pragma: no cover - failure path
                pytest.fail(f"corpus.jsonl line {lineno} is not JSON: {e}")
    return records


@pytest.fixture(scope="module")
def corpus():
    return _load_corpus()


@pytest.fixture(scope="module")
def by_url(corpus):
    return {r["url"]: r for r in corpus}


@pytest.fixture(scope="module")
def expected():
    with EXPECTED.open(encoding="utf-8") as f:
        return json.load(f)


def _when(record):
    return datetime.fromisoformat(record["published_at"])


def test_every_line_parses_with_the_right_fields(corpus):
    assert len(corpus) >= 40
    for r in corpus:
        assert isinstance(r, dict)
        assert set(r) == set(FIELDS), r.get("url")
        for key, typ in FIELDS.items():
            assert isinstance(r[key], typ), (r["url"], key)


def test_urls_unique_and_https(corpus):
    urls = [r["url"] for r in corpus]
    assert len(urls) == len(set(urls)), "duplicate urls"
    for u in urls:
        assert u.startswith("https://"), u
        assert " " not in u, u


def test_outlets_are_fictional_example_domains(corpus):
    for r in corpus:
        assert r["outlet"].endswith(".example"), r["url"]
        host = r["url"].split("/")[2]
        assert host == r["outlet"] or host.endswith("." + r["outlet"]), r["url"]


def test_text_and_title_non_empty(corpus):
    for r in corpus:
        assert r["title"].strip(), r["url"]
        assert r["text"].strip(), r["url"]
        paragraphs = r["text"].split("\n\n")
        assert all(p.strip() for p in paragraphs), f"empty paragraph in {r['url']}"


def test_dates_parse(corpus):
    for r in corpus:
        when = _when(r)
        assert when.tzinfo is not None, r["url"]
        assert len(r["published_at"]) == 20 and r["published_at"].endswith("Z"), r["url"]


def test_expected_shape(expected):
    assert set(expected) == {"stories", "embedded", "independent", "shared_quotation"}
    assert len(expected["stories"]) >= 6
    for s in expected["stories"]:
        assert set(s) == {"name", "origin", "copies"}
        assert 3 <= len(s["copies"]) <= 5, s["name"]
    names = [s["name"] for s in expected["stories"]]
    assert len(names) == len(set(names))
    for e in expected["embedded"]:
        assert set(e) == {"url", "source"}
    for pair in expected["independent"]:
        assert len(pair) == 2 and pair[0] != pair[1]
    assert len(expected["shared_quotation"]) == 2


def _all_expected_urls(expected):
    for s in expected["stories"]:
        yield s["origin"]
        yield from s["copies"]
    for e in expected["embedded"]:
        yield e["url"]
        yield e["source"]
    for pair in expected["independent"]:
        yield from pair
    yield from expected["shared_quotation"]


def test_every_expected_url_is_in_the_corpus(expected, by_url):
    missing = sorted(set(_all_expected_urls(expected)) - set(by_url))
    assert not missing, missing


def test_story_membership_is_disjoint(expected):
    seen = {}
    for s in expected["stories"]:
        for u in [s["origin"], *s["copies"]]:
            assert u not in seen, f"{u} in both {seen[u]} and {s['name']}"
            seen[u] = s["name"]


def test_origin_is_earliest_of_its_story(expected, by_url):
    for s in expected["stories"]:
        origin = _when(by_url[s["origin"]])
        for c in s["copies"]:
            assert _when(by_url[c]) > origin, (s["name"], c)


def test_embedded_articles_come_after_their_source(expected, by_url):
    story_urls = {u for s in expected["stories"] for u in [s["origin"], *s["copies"]]}
    for e in expected["embedded"]:
        assert e["url"] not in story_urls
        assert _when(by_url[e["url"]]) > _when(by_url[e["source"]]), e["url"]


def test_independent_pairs_are_not_declared_copies(expected):
    group = {}
    for s in expected["stories"]:
        for u in [s["origin"], *s["copies"]]:
            group[u] = s["name"]
    for e in expected["embedded"]:
        group.setdefault(e["url"], group.get(e["source"]))
    for a, b in expected["independent"]:
        assert group.get(a) is None or group.get(a) != group.get(b), (a, b)
    a, b = expected["shared_quotation"]
    assert a != b and a not in group and b not in group
