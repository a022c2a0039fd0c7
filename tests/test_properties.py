"""Round trips that must hold for any text, not just the examples."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sitrep.alignment import spans_to_word_tags, tokenize_text, word_tags_to_spans
from sitrep.document import Document, Span
from sitrep.labelstudio import document_to_task, parse_export
from sitrep.markup import parse_markup, render_markup
from sitrep.scheme import SCHEME
from sitrep.utf16 import Utf16Offsets

any_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60)
labels = st.sampled_from(SCHEME.names)


@st.composite
def text_with_spans(draw):
    text = draw(any_text)
    cuts = sorted(set(draw(st.lists(st.integers(0, len(text)), max_size=8))))
    spans = []
    for a, b in zip(cuts[::2], cuts[1::2]):
        if a < b:
            spans.append(Span(a, b, draw(labels)))
    return text, spans


@given(text_with_spans())
def test_spans_survive_label_studio(case):
    text, spans = case
    doc = Document("x", text, spans, ["NONE"])
    task = json.loads(json.dumps(document_to_task(doc, 1)))
    report = parse_export([task], "f")
    assert not [p for p in report.problems]
    assert report.documents[0].text == text
    assert report.documents[0].sorted_spans() == sorted(spans)


@given(text_with_spans())
def test_markup_round_trip(case):
    text, spans = case
    markup = render_markup(text, spans)
    assert parse_markup(markup) == (text, sorted(spans))
    assert render_markup(*parse_markup(markup)) == markup


@given(any_text)
def test_utf16_mapping_matches_javascript_lengths(text):
    conv = Utf16Offsets(text)
    assert conv.n_units == len(text.encode("utf-16-le")) // 2
    for i in range(len(text) + 1):
        unit = conv.to_utf16(i)
        assert unit == len(text[:i].encode("utf-16-le")) // 2
        assert conv.to_codepoint(unit) == i


words = st.lists(st.from_regex(r"[A-Za-z]{1,9}|[0-9]{1,4}|[.,;()-]", fullmatch=True), min_size=1, max_size=25)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(words, st.data())
def test_word_aligned_spans_survive_iob2(tiny_tokenizer, word_list, data):
    text = " ".join(word_list)
    tok = tokenize_text(tiny_tokenizer, text)
    n = len(tok.word_chars)
    cuts = sorted(set(data.draw(st.lists(st.integers(0, n), max_size=6))))
    spans = [
        Span(tok.word_chars[a][0], tok.word_chars[b - 1][1], data.draw(labels))
        for a, b in zip(cuts[::2], cuts[1::2]) if a < b
    ]
    tags, misaligned = spans_to_word_tags(tok, spans)
    assert misaligned == []
    assert [(s.start, s.end, s.label) for s in word_tags_to_spans(tok.word_chars, tags)] == \
        [(s.start, s.end, s.label) for s in sorted(spans)]
