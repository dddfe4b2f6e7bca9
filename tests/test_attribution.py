"""The attribution detector against a labelled set written for it (tests/attribution_cases.py)."""

from __future__ import annotations

import pytest

from fingerprints.attribution import credited_names, find_credits, outlet_key
from tests.attribution_cases import CASES


@pytest.mark.parametrize(("name", "text", "outlets", "expected"), CASES, ids=[case[0] for case in CASES])
def test_labelled_case(name, text, outlets, expected):
    assert set(credited_names(text, outlets=outlets)) == expected


def test_the_set_has_both_outcomes_and_enough_cases():
    assert len(CASES) >= 40
    assert sum(1 for case in CASES if case[3]) >= 25
    assert sum(1 for case in CASES if not case[3]) >= 8


def test_credits_point_at_the_text():
    text = "LONDON (Reuters) - Shares fell."
    (credit,) = find_credits(text)
    assert text[credit.start : credit.end] == "(Reuters)"
    assert credit.form == "dateline" and credit.kind == "agency"


def test_outlet_key_reads_hosts_and_names_alike():
    assert outlet_key("www.meridianpress.example") == outlet_key("The Meridian Press") == "meridianpress"
