import pytest

from sitrep.document import Span
from sitrep.markup import MarkupError, escape, parse_markup, parse_markup_document, render_markup, render_markup_document


def test_parse_gives_text_and_code_point_spans():
    text, spans = parse_markup("[Iraqi security forces](ACTOR) [seized](TERRITORY) [Ramadi](LOCATION).")
    assert text == "Iraqi security forces seized Ramadi."
    assert spans == [Span(0, 21, "ACTOR"), Span(22, 28, "TERRITORY"), Span(29, 35, "LOCATION")]
    assert [text[s.start:s.end] for s in spans] == ["Iraqi security forces", "seized", "Ramadi"]


def test_brackets_and_backslashes_of_the_text_survive():
    raw = r"He said \[sic\] the [Counter-Terrorism Service (CTS)](ACTOR) won; path C:\\x and a (note)."
    text, spans = parse_markup(raw)
    assert text == r"He said [sic] the Counter-Terrorism Service (CTS) won; path C:\x and a (note)."
    assert text[spans[0].start:spans[0].end] == "Counter-Terrorism Service (CTS)"
    assert render_markup(text, spans) == raw


def test_bracket_inside_a_span_is_escaped_on_render():
    text = "the [x] group"
    spans = [Span(4, 13, "ACTOR")]
    markup = render_markup(text, spans)
    assert markup == r"the [\[x\] group](ACTOR)"
    assert parse_markup(markup) == (text, spans)
    assert escape("a[b]c\\") == r"a\[b\]c\\"


@pytest.mark.parametrize(
    "markup, message",
    [
        ("a [b c", "line 1, col 3: '[' is never closed"),
        ("a b] c", "line 1, col 4: ']' closes no span"),
        ("x\n[b](WEAPON)", "line 2, col 3: unknown label 'WEAPON'"),
        ("[a [b](ACTOR)](ACTOR)", "spans cannot nest"),
        ("[a] b", "must end in ](LABEL)"),
        ("a \\q", "stray backslash"),
        ("[](ACTOR)", "empty span"),
    ],
)
def test_bad_markup_is_one_clear_error_with_position(markup, message):
    with pytest.raises(MarkupError) as err:
        parse_markup(markup)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_document_front_matter_and_derived_event_types():
    source = "---\nid: a1\nprovenance: authored\n---\n[IS](ACTOR) [shelling](EXPLOSION) hit [Homs](LOCATION).\n"
    doc = parse_markup_document(source, "a1.txt")
    assert doc.id == "a1" and doc.meta == {"provenance": "authored"}
    assert doc.text == "IS shelling hit Homs.\n"
    assert doc.event_types == ["EXPLOSION"]
    assert render_markup_document(doc) == source


def test_document_without_triggers_is_none():
    doc = parse_markup_document("---\nid: n\n---\n[UN](ACTOR) met in [Geneva](LOCATION).", "n.txt")
    assert doc.event_types == ["NONE"]


@pytest.mark.parametrize(
    "source, message",
    [
        ("no front matter", "must start with a '---'"),
        ("---\nid: x\nno end", "not closed"),
        ("---\nprovenance: real\n---\ntext", "needs an 'id:'"),
        ("---\nid: [x\n---\ntext", "not valid YAML"),
        ("---\nid: x\n---\nline one\n[a](NOPE)", "f.txt: line 5, col 3: unknown label"),
    ],
)
def test_bad_markup_documents_name_the_file(source, message):
    with pytest.raises(MarkupError) as err:
        parse_markup_document(source, "f.txt")
    assert message in str(err.value)
    assert str(err.value).startswith("f.txt: ")
