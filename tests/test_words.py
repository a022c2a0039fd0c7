"""Whole words: one definition for annotations, training labels, decoded spans and scores."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sitrep.document import Span
from sitrep.words import POSSESSIVE, PUNCT, WORD, Words, snap_span, snap_spans, span_problems, tokenize


def words_of(text):
    return [text[t.start : t.end] for t in tokenize(text)]


@pytest.mark.parametrize("text, expected", [
    ("U.S. forces", ["U.S.", "forces"]),
    ("U.S.-led coalition", ["U.S.-led", "coalition"]),
    ("Shi'ite militiamen", ["Shi'ite", "militiamen"]),
    ("Shi’ite militiamen", ["Shi’ite", "militiamen"]),
    ("Muqtada al-Sadr's army", ["Muqtada", "al-Sadr", "'s", "army"]),
    ("an AC-130 gunship", ["an", "AC-130", "gunship"]),
    ("Khan Younis, Gaza", ["Khan", "Younis", ",", "Gaza"]),
    ("Iraq’s north", ["Iraq", "’s", "north"]),
    ("soldiers' homes", ["soldiers", "'", "homes"]),
    ("1,050 refugees at 12:30.", ["1,050", "refugees", "at", "12:30", "."]),
    ("Gen. Votel (CENTCOM) said", ["Gen.", "Votel", "(", "CENTCOM", ")", "said"]),
    ('"Najaf"\nNAJAF, Iraq -', ['"', "Najaf", '"', "NAJAF", ",", "Iraq", "-"]),
    ("forces—who fled", ["forces", "—", "who", "fled"]),
])
def test_word_table(text, expected):
    assert words_of(text) == expected


def test_token_kinds():
    kinds = [t.kind for t in tokenize("Iraq's army, U.S.")]
    assert kinds == [WORD, POSSESSIVE, WORD, PUNCT, WORD]


@pytest.mark.parametrize("text, start, end, expected", [
    # a prediction that cuts a word is widened to the whole word
    ("Shi'ite militiamen attacked", 0, 3, ["Shi'ite"]),
    ("Shi'ite militiamen attacked", 4, 18, ["Shi'ite militiamen"]),
    ("the U.S. embassy", 4, 5, ["U.S."]),
    ("Muqtada al-Sadr said", 0, 11, ["Muqtada al-Sadr"]),
    # a possessive, outer quotes, brackets and full stops stay outside
    ("Muqtada al-Sadr's army", 8, 17, ["al-Sadr"]),
    ('he said "Hamas".', 8, 16, ["Hamas"]),
    ("in Fallujah.", 3, 12, ["Fallujah"]),
    ("the Counter-Terrorism Service (CTS) said", 4, 35, ["Counter-Terrorism Service (CTS)"]),
    ("the Counter-Terrorism Service (CTS said", 4, 34, ["Counter-Terrorism Service (CTS"]),
    # never across a line break
    ("Najaf\nNAJAF, Iraq", 0, 11, ["Najaf", "NAJAF"]),
    # punctuation alone is nothing
    ("a - b", 2, 3, []),
])
def test_snap_table(text, start, end, expected):
    words = Words(text)
    assert [text[a:b] for a, b in snap_span(words, start, end)] == expected


@pytest.mark.parametrize("text, start, end, problem", [
    ("Shi'ite militiamen", 0, 3, "ends inside a word"),
    ("Shi'ite militiamen", 4, 18, "starts inside a word"),
    ("U.S.-led coalition", 0, 4, "ends inside a word"),
    ("Iraq's army", 0, 6, "possessive"),
    ("in Fallujah.", 3, 12, "trailing punctuation"),
    ("Najaf\nNAJAF", 0, 11, "crosses a line break"),
    ("(CTS) said", 0, 5, "leading punctuation"),
])
def test_span_problems_name_the_fault(text, start, end, problem):
    (message,) = span_problems(Words(text), start, end)
    assert problem in message


def test_valid_spans_have_no_problems():
    text = "U.S.-led coalition aircraft bombarded Shi'ite militiamen of Muqtada al-Sadr's army (JAM) near Najaf."
    words = Words(text)
    for piece in ("U.S.-led coalition aircraft", "Shi'ite militiamen", "Muqtada al-Sadr", "Muqtada al-Sadr's army (JAM)",
                  "Najaf"):
        start = text.index(piece)
        assert span_problems(words, start, start + len(piece)) == [], piece


_alphabet = st.sampled_from(list("ab U.S'’-\n\t,()\"é1") + ["al-", "'s", "Shi'ite", " \n "])


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(_alphabet, min_size=1, max_size=40), cuts=st.lists(st.tuples(st.integers(0, 200), st.integers(1, 30)), max_size=6))
def test_snapped_spans_never_cut_a_word_or_cross_a_line(pieces, cuts):
    """Whatever character ranges a model proposes, what comes out is whole words on one line."""
    text = "".join(pieces)
    proposed = [Span(min(a, len(text)), min(a + n, len(text)), "ACTOR") for a, n in cuts]
    words = Words(text)
    for span in snap_spans(text, [s for s in proposed if s.start < s.end]):
        assert span_problems(words, span.start, span.end) == [], (text, span)
        assert "\n" not in text[span.start : span.end]
