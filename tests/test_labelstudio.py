import json

from sitrep.document import Document, Span
from sitrep.labelstudio import (
    document_to_prediction_task,
    document_to_task,
    parse_export,
    pick_annotation,
    spans_to_results,
)
from sitrep.utf16 import Utf16Offsets


def _doc():
    text = "🔥 Rebels 🇸🇩 seized El Fasher; 12 killed."
    spans = [
        Span(2, 8, "ACTOR"),
        Span(text.index("seized"), text.index("seized") + 6, "TERRITORY"),
        Span(text.index("El Fasher"), text.index("El Fasher") + 9, "LOCATION"),
        Span(text.index("12"), text.index("12") + 2, "CASUALTY"),
    ]
    return Document("d1", text, spans, ["TERRITORY"], {"provenance": "authored"})


def test_offsets_leave_python_as_utf16_units():
    doc = _doc()
    results = spans_to_results(doc)
    by_text = {r["value"]["text"]: r["value"] for r in results if r["type"] == "labels"}
    # "🔥" is one code point but two UTF-16 units; the flag is two code points, four units.
    assert (by_text["Rebels"]["start"], by_text["Rebels"]["end"]) == (3, 9)
    js_text = doc.text.encode("utf-16-le")
    for value in by_text.values():
        assert js_text[2 * value["start"] : 2 * value["end"]].decode("utf-16-le") == value["text"]


def test_task_round_trip_is_exact_with_astral_characters():
    doc = _doc()
    task = document_to_task(doc, task_id=7)
    report = parse_export(json.loads(json.dumps([task])), "f.json")
    assert not report.problems
    (back,) = report.documents
    assert back.id == "d1" and back.text == doc.text and back.meta == doc.meta
    assert back.sorted_spans() == doc.sorted_spans()
    assert back.event_types == ["TERRITORY"]


def test_prediction_task_carries_model_version_and_scores():
    doc = _doc()
    doc.spans = [Span(s.start, s.end, s.label, 0.9) for s in doc.spans]
    task = document_to_prediction_task(doc, "tagger-v1", 0.75)
    (pred,) = task["predictions"]
    assert pred["model_version"] == "tagger-v1" and pred["score"] == 0.75
    assert all(r["score"] == 0.9 for r in pred["result"] if r["type"] == "labels")
    assert task["meta"]["doc_id"] == "d1"


def test_utf16_offset_inside_a_surrogate_pair_is_refused():
    import pytest

    conv = Utf16Offsets("a😀b")
    assert [conv.to_utf16(i) for i in range(4)] == [0, 1, 3, 4]
    assert [conv.to_codepoint(u) for u in (0, 1, 3, 4)] == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="surrogate"):
        conv.to_codepoint(2)


def test_utf16_offsets_count_each_astral_character_twice():
    conv = Utf16Offsets("\U0001F600\U0001F600x\U0010FFFF\uFFFF")  # U+FFFF is the last one-unit character
    assert [conv.to_utf16(i) for i in range(6)] == [0, 2, 4, 5, 7, 8]
    assert conv.n_units == 8 and conv.n_codepoints == 5


def test_latest_live_annotation_is_used_and_said():
    annotations = [
        {"id": 1, "updated_at": "2026-01-02T00:00:00Z", "result": []},
        {"id": 2, "updated_at": "2026-01-05T00:00:00Z", "result": []},
        {"id": 3, "updated_at": "2026-02-01T00:00:00Z", "was_cancelled": True, "result": []},
    ]
    index, note = pick_annotation(annotations)
    assert index == 1
    assert "using annotation 2" in note
    assert pick_annotation([{"was_cancelled": True}]) == (None, None)
