import re
import xml.etree.ElementTree as ET

from sitrep.scheme import SCHEME, TRIGGER, LabelScheme, SpanLabel


def test_scheme_has_the_specs_nine_labels_in_priority_order():
    assert SCHEME.names == (
        "ACTOR", "LOCATION", "CASUALTY", "BATTLE", "TERRITORY",
        "AIRSTRIKE", "EXPLOSION", "CIVILIAN_HARM", "DISPLACEMENT",
    )
    assert SCHEME.entity_labels == ("ACTOR", "LOCATION", "CASUALTY")
    assert SCHEME.event_type_choices[-1] == "NONE"
    assert SCHEME.priority("ACTOR") < SCHEME.priority("LOCATION")


def test_iob2_tags_and_id_maps_agree():
    assert SCHEME.bio_tags[0] == "O"
    assert len(SCHEME.bio_tags) == 1 + 2 * 9
    assert {SCHEME.label2id[t] for t in SCHEME.bio_tags} == set(range(19))
    for i, tag in SCHEME.id2label.items():
        assert SCHEME.label2id[tag] == i


def test_labelstudio_xml_has_labels_with_distinct_colours_and_multichoice_event_types():
    root = ET.fromstring(SCHEME.labelstudio_xml())
    labels = root.find("Labels")
    assert labels.get("toName") == root.find("Text").get("name")
    values = [(el.get("value"), el.get("background")) for el in labels.findall("Label")]
    assert [v for v, _ in values] == list(SCHEME.names)
    colours = [c for _, c in values]
    assert len(set(colours)) == len(colours)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    choices = root.find("Choices")
    assert choices.get("name") == "event_types" and choices.get("choice") == "multiple"
    assert [c.get("value") for c in choices.findall("Choice")] == [*SCHEME.trigger_labels, "NONE"]


def test_adding_a_label_changes_xml_tags_and_docs_table():
    extra = SpanLabel("PROTEST", TRIGGER, "#123456", "demonstrations")
    bigger = LabelScheme(span_labels=(*SCHEME.span_labels, extra))
    assert "B-PROTEST" in bigger.bio_tags and "B-PROTEST" not in SCHEME.bio_tags
    assert bigger.label2id["I-PROTEST"] == len(SCHEME.bio_tags) + 1
    assert 'value="PROTEST"' in bigger.labelstudio_xml()
    assert 'value="PROTEST"' not in SCHEME.labelstudio_xml()
    # a trigger label is also an article event type
    assert "PROTEST" in bigger.event_type_choices
    assert "`PROTEST`" in bigger.markdown_table() and "`PROTEST`" not in SCHEME.markdown_table()


def test_docs_carry_the_derived_label_table(root):
    guide = (root / "docs" / "annotation-guidelines.md").read_text(encoding="utf-8")
    assert SCHEME.markdown_table() in guide, "regenerate with `python -m sitrep labelconfig --docs`"


def test_duplicate_label_is_rejected():
    import pytest

    with pytest.raises(ValueError, match="twice"):
        LabelScheme(span_labels=(SCHEME.span_labels[0], SCHEME.span_labels[0]))


def test_roles_and_the_acled_table_follow_the_scheme():
    from sitrep import acled

    assert (SCHEME.actor_label, SCHEME.location_label, SCHEME.casualty_label) == ("ACTOR", "LOCATION", "CASUALTY")
    # Every trigger label has an ACLED mapping and a merge precedence, and nothing else does.
    assert set(acled.TABLE) == set(SCHEME.trigger_labels) == set(acled.PRECEDENCE)
