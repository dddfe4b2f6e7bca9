"""Origin finding and the change summary, pure logic on texts written for the test."""

from __future__ import annotations

from fingerprints import compare, fingerprint
from fingerprints.changes import Shared, describe_changes
from fingerprints.origin import Dated, find_origin
from tests.synthetic import article_text


def test_origin_is_the_earliest_dated_member():
    finding = find_origin(
        [
            Dated(3, "2026-03-09T11:00:00Z", "2026-11-01T00:00:00Z"),
            Dated(7, "2026-03-09T05:40:00Z", "2026-11-02T00:00:00Z"),
            Dated(1, "2026-03-10", "2026-11-01T00:00:00Z"),
        ]
    )
    assert finding.id == 7 and not finding.uncertain and finding.timeline == [7, 3, 1]


def test_origin_is_uncertain_without_dates_or_when_too_close():
    undated = find_origin([Dated(1, "2026-03-09T05:00:00Z", "x"), Dated(2, None, "2026-11-01T00:00:00Z")])
    assert undated.id == 1 and undated.uncertain and "no publication date" in undated.reason
    close = find_origin([Dated(1, "2026-03-09T05:30:00Z", "a"), Dated(2, "2026-03-09T05:00:00Z", "b")])
    assert close.id == 2 and close.uncertain and "too close" in close.reason
    same_day = find_origin([Dated(1, "2026-03-09", "a"), Dated(2, "2026-03-09T05:00:00Z", "b")])
    assert same_day.uncertain
    apart = find_origin([Dated(1, "2026-03-09T05:00:00Z", "a"), Dated(2, "2026-03-09T07:00:00Z", "b")])
    assert not apart.uncertain


def test_too_close_to_call_goes_to_the_member_sharing_most_with_the_others():
    members = [Dated(1, "2026-03-09T05:30:00Z", "a"), Dated(2, "2026-03-09T05:00:00Z", "b")]
    finding = find_origin(members, lambda ids: {1: 0.9, 2: 0.4})
    assert finding.id == 1 and finding.uncertain
    # Dates that decide are never overruled by content.
    decided = [Dated(1, "2026-03-09T09:30:00Z", "a"), Dated(2, "2026-03-09T05:00:00Z", "b")]
    assert find_origin(decided, lambda ids: {1: 0.9, 2: 0.4}).id == 2


def test_changes_name_the_headline_lede_paragraphs_and_edited_sentences():
    paragraphs = [article_text(f"changes-{n}", 60).replace("\n\n", " ") for n in range(4)]
    origin = "\n\n".join(paragraphs)
    # One word of the third paragraph's first sentence is changed, keeping the sentence's shape.
    first_sentence_end = paragraphs[2].index(".") + 1
    sentence = paragraphs[2][:first_sentence_end]
    words = sentence.split()
    words[len(words) // 2] = "zeppelin"
    edited_sentence = " ".join(words)
    third = edited_sentence + paragraphs[2][first_sentence_end:]
    lede = "Residents were still counting the cost on Tuesday as the clean-up went on along the whole coast."
    added = "Our reporter spoke to shop owners on the seafront, who said trade had not yet recovered at all."
    copy = "\n\n".join([lede, paragraphs[1], third, added])
    comparison = compare(fingerprint(copy), fingerprint(origin))
    shared = [Shared(p.query_start, p.query_end, p.match_start, p.match_end) for p in comparison.passages]
    changes = describe_changes(
        origin, copy, shared, origin_title="Harbour wall repaired after storm", copy_title="Storm clean-up continues"
    )
    summary = changes["summary"]
    assert summary["headline_rewritten"] is True and changes["headline"]["similarity"] < 0.9
    assert summary["lede_rewritten"] is True
    cut = [origin[p["origin_start"] : p["origin_end"]] for p in changes["paragraphs"]["cut"]]
    assert cut == [paragraphs[0], paragraphs[3]]
    added_spans = [copy[p["copy_start"] : p["copy_end"]] for p in changes["paragraphs"]["added"]]
    assert added_spans == [lede, added]
    edits = [
        (copy[e["copy_start"] : e["copy_end"]], origin[e["origin_start"] : e["origin_end"]])
        for e in changes["sentences_edited"]
    ]
    assert (edited_sentence, sentence) in edits
    assert len(edits) == 1


def test_an_untouched_copy_changes_nothing():
    origin = article_text("untouched", 200)
    comparison = compare(fingerprint(origin), fingerprint(origin))
    shared = [Shared(p.query_start, p.query_end, p.match_start, p.match_end) for p in comparison.passages]
    summary = describe_changes(origin, origin, shared, origin_title="Same", copy_title="Same")["summary"]
    assert summary == {
        "headline_rewritten": False,
        "lede_rewritten": False,
        "paragraphs_cut": 0,
        "paragraphs_added": 0,
        "sentences_edited": 0,
    }
