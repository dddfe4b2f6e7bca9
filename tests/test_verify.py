"""Verification decides: copies, partial reuse, quotations, scraped furniture."""

from __future__ import annotations

from fingerprints import canonical, compare, covered_tokens, fingerprint, score, set_aside_boilerplate
from fingerprints.verify import align
from tests.texts import (
    BOILERPLATE_FOOTER,
    FURNITURE,
    INDEPENDENT_STORY,
    QUOTATION,
    UNRELATED_STORY,
    WIRE_PARAGRAPHS,
    WIRE_STORY,
)


def test_a_trimmed_copy_with_a_new_lede_is_contained_in_the_original():
    copy = "A fresh opening paragraph written by the republishing site itself.\n\n" + "\n\n".join(WIRE_PARAGRAPHS[1:6])
    comparison = compare(fingerprint(copy), fingerprint(WIRE_STORY))
    assert comparison.verified
    assert comparison.relation == "contained_in"
    assert comparison.containment_query > 0.8
    assert 0.5 < comparison.containment_match < 0.8
    for passage in comparison.passages:
        assert canonical(copy[passage.query_start : passage.query_end]) == canonical(
            WIRE_STORY[passage.match_start : passage.match_end]
        )


def test_a_wire_passage_inside_a_long_article_is_found_with_its_offsets():
    passage_text = "\n\n".join(WIRE_PARAGRAPHS[3:6])
    long_article = "\n\n".join([UNRELATED_STORY, INDEPENDENT_STORY, passage_text, UNRELATED_STORY.upper()])
    comparison = compare(fingerprint(long_article), fingerprint(WIRE_STORY))
    assert comparison.verified
    assert comparison.relation == "partial"
    start = long_article.index(passage_text)
    covered = sum(p.query_end - p.query_start for p in comparison.passages)
    assert covered >= 0.95 * len(passage_text)
    assert all(start <= p.query_start and p.query_end <= start + len(passage_text) for p in comparison.passages)


def test_typography_and_entities_do_not_hide_a_copy():
    styled = (
        WIRE_STORY.replace('"', "\u201c", 1)
        .replace(" - ", " \u2014 ")
        .replace(" ", "\u00a0", 30)
        .replace("'", "&#8217;")
        .replace("Dunstan", "D\u200bunstan")
    )
    comparison = compare(fingerprint(styled), fingerprint(WIRE_STORY))
    assert comparison.relation == "duplicate"
    assert comparison.similarity > 0.95


def test_light_copy_editing_leaves_a_verified_copy_with_several_passages():
    edited = WIRE_STORY.replace("said", "stated").replace("three percent", "3%").replace("spring", "Spring")
    comparison = compare(fingerprint(edited), fingerprint(WIRE_STORY))
    assert comparison.verified
    assert len(comparison.passages) > 3
    assert comparison.containment_query > 0.5


def test_the_same_event_written_independently_is_not_a_copy():
    comparison = compare(fingerprint(INDEPENDENT_STORY), fingerprint(WIRE_STORY))
    assert not comparison.verified


def test_unrelated_stories_share_nothing():
    comparison = compare(fingerprint(UNRELATED_STORY), fingerprint(WIRE_STORY))
    assert not comparison.verified
    assert comparison.passages == []


def test_a_shared_quotation_is_not_reuse():
    first = UNRELATED_STORY + "\n\n" + QUOTATION
    second = INDEPENDENT_STORY + "\n\nAsked about the talks, " + QUOTATION
    comparison = compare(fingerprint(first), fingerprint(second))
    assert comparison.passages, "the quotation itself is shared text"
    assert all(p.quoted for p in comparison.passages)
    assert not comparison.verified


def test_quoting_a_statement_another_text_carries_unquoted_is_not_reuse():
    statement = QUOTATION.replace('"', "").replace(" the federation's chair said.", "")
    press_release = UNRELATED_STORY + "\n\n" + statement + " " + statement
    report = INDEPENDENT_STORY + '\n\nThe federation said in a statement: "' + statement + " " + statement + '"'
    comparison = compare(fingerprint(report), fingerprint(press_release))
    assert comparison.passages and all(p.quoted for p in comparison.passages)
    assert not comparison.verified


def test_the_same_words_outside_quotation_marks_are_reuse():
    unquoted = "\n\n".join(WIRE_PARAGRAPHS[5:8])
    first = UNRELATED_STORY + "\n\n" + unquoted
    second = INDEPENDENT_STORY + "\n\n" + unquoted
    assert compare(fingerprint(first), fingerprint(second)).verified


def test_boilerplate_passages_are_neither_evidence_nor_score():
    footer = FURNITURE + "\n\n" + BOILERPLATE_FOOTER
    first = UNRELATED_STORY + "\n\n" + footer
    second = INDEPENDENT_STORY + "\n\n" + footer
    query, match = fingerprint(first), fingerprint(second)
    passages = align(query, match)
    assert passages and compare(query, match).verified  # without corpus knowledge it looks like reuse
    boilerplate = covered_tokens(query, align(query, fingerprint("An unrelated story of its own.\n\n" + footer)))
    judged = score(query, match, set_aside_boilerplate(query, match, passages, boilerplate))
    assert not judged.verified
    assert judged.passages == []
    assert judged.containment_query == 0.0


def test_scraped_furniture_around_a_copy_does_not_hide_it():
    # That furniture shared by one outlet's pages does not create a match
    # needs the corpus: see tests/test_api.py.
    scraped_copy = FURNITURE + "\n\n" + WIRE_STORY + "\n\n" + FURNITURE
    comparison = compare(fingerprint(scraped_copy), fingerprint(WIRE_STORY))
    assert comparison.verified and comparison.containment_match > 0.95
    assert comparison.relation == "duplicate"


def test_chinese_text_matches_by_character_ngrams():
    text = (
        "港口城市水务局周二表示，将投入四千八百万克朗更换城市最古老的泵站，此前三个冬天内两次故障导致北部地区停水数日。"
        * 2
    )
    copy = "本报讯 " + text[:60]
    comparison = compare(fingerprint(copy), fingerprint(text))
    assert comparison.verified
    assert comparison.containment_query > 0.8


def test_quotation_marks_are_paired_by_shape_and_context():
    from fingerprints import tokenize

    def quoted_words(text):
        tokens = tokenize(text)
        return [word for word, quoted in zip(tokens.words, tokens.quoted, strict=True) if quoted]

    assert quoted_words('He said "we will stay" and left.') == ["we", "will", "stay"]
    assert quoted_words("He said \u201cwe will stay\u201d and left.") == ["we", "will", "stay"]
    # A text that starts mid-quotation: the closing mark opens nothing.
    assert quoted_words('distinctions," said the judge. Then "more" followed.') == ["more"]
    # Two openings in a row: the first quotation ends where the second begins.
    assert quoted_words('"one two "three four" five') == ["one", "two", "three", "four"]
    # An unclosed quotation in one long scraped paragraph stops after a few hundred characters.
    narrative = " ".join(f"The council met on day {i} to review the harbour budget." for i in range(1, 40))
    assert 0 < len(quoted_words('The minister called it "a disaster. ' + narrative)) < 150


def test_a_stray_quotation_mark_does_not_hide_a_copy():
    narrative = " ".join(
        f"The council met on day {i} to review the harbour budget and the rail timetable for the coming season."
        for i in range(1, 9)
    )
    comparison = compare(fingerprint(narrative), fingerprint('The minister called the plan "a disaster. ' + narrative))
    assert comparison.verified


def test_a_run_overlapping_a_longer_one_keeps_its_free_stretch():
    first = "Alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar."
    second = "The papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu."
    third = (
        "The amber bronze copper diamond emerald fuchsia garnet hazel indigo jade khaki lemon magenta navy olive "
        "peach quartz ruby silver teal umber violet wheat."
    )
    spliced = first + " " + third
    comparison = compare(fingerprint(spliced), fingerprint(" ".join([first, second, third])))
    covered = {canonical(spliced[p.query_start : p.query_end]) for p in comparison.passages}
    assert canonical(first) in covered or any(canonical(first) in text for text in covered)
    assert sum(p.tokens for p in comparison.passages) == len(canonical(spliced).split())


def test_a_copy_of_a_quote_heavy_story_is_still_a_copy():
    remarks = [
        '"We trained all winter for days like this one and the players deserved every bit of it," Felling said.',
        '"The corner was something we worked on all week, and Tomas timed his run perfectly," she added.',
        '"Grayfield will be a different test, they are strong at home and we respect them," she said.',
        '"Nobody in the dressing room is thinking about the playoffs yet, only about the next match," she said.',
        '"The supporters carried us in the last ten minutes, you could feel the whole ground pushing," she said.',
    ]
    story = "\n\n".join(remarks)
    copy = "Rovers manager speaks after the win.\n\n" + story
    comparison = compare(fingerprint(copy), fingerprint(story))
    assert comparison.verified
    assert comparison.relation in ("duplicate", "contained_in")


def test_shared_quotations_count_only_beside_shared_narration():
    from fingerprints.verify import Passage, weigh_evidence

    def passage(tokens, quoted):
        return Passage(0, 1, 0, 1, 0, 0, tokens, quoted=quoted)

    assert weigh_evidence([passage(100, False)], 500, 500) == (100, True)
    assert weigh_evidence([passage(20, False), passage(200, True)], 500, 500) == (20, False)
    assert weigh_evidence([passage(40, False), passage(70, True)], 500, 500) == (110, True)
    assert weigh_evidence([passage(40, False), passage(50, True)], 500, 500) == (90, False)
    # Short texts need half of the shorter one.
    assert weigh_evidence([passage(20, False)], 40, 500) == (20, True)


def test_a_repeated_refrain_aligns_along_its_own_diagonal():
    # Each occurrence of a recurring shingle is paired with the occurrences
    # around the same rank in the other text, so a text of one word repeated
    # still finds itself whole (it used to verify as almost nothing).
    refrain = "word " * 50_000
    print_ = fingerprint(refrain)
    comparison = compare(print_, print_)
    assert comparison.relation == "duplicate"
    assert sum(p.tokens for p in comparison.passages) == 50_000
