"""Event records: one per trigger, with the actors, locations and casualties of its sentence."""

from __future__ import annotations

from bisect import bisect_right

from sitrep.casualty import casualty_number
from sitrep.document import Span
from sitrep.scheme import SCHEME, LabelScheme
from sitrep.sentences import sentence_spans


def span_record(text: str, span: Span) -> dict:
    """A span as predictions.jsonl writes it; CASUALTY spans carry their number."""
    record = {"start": span.start, "end": span.end, "text": text[span.start : span.end], "label": span.label}
    if span.score is not None:
        record["score"] = round(float(span.score), 4)
    if span.label == "CASUALTY":
        record["number"] = casualty_number(record["text"])
    return record


def event_records(text: str, spans: list[Span], scheme: LabelScheme = SCHEME,
                  sentences: list[tuple[int, int]] | None = None) -> list[dict]:
    sentences = sentences if sentences is not None else sentence_spans(text)
    starts = [s for s, _ in sentences]

    def sentence_of(span: Span) -> int | None:
        i = bisect_right(starts, span.start) - 1
        return i if i >= 0 and span.start < sentences[i][1] else None

    by_sentence: dict[int | None, list[Span]] = {}
    for span in sorted(spans):
        by_sentence.setdefault(sentence_of(span), []).append(span)
    events = []
    for span in sorted(spans):
        if span.label not in scheme.trigger_labels:
            continue
        k = sentence_of(span)
        s_start, s_end = sentences[k] if k is not None else (span.start, span.end)
        around = by_sentence.get(k, [])
        pick = lambda label: [text[s.start : s.end] for s in around if s.label == label]
        casualties = [span_record(text, s) for s in around if s.label == "CASUALTY"]
        events.append({
            "type": span.label,
            "trigger": span_record(text, span),
            "sentence": {"start": s_start, "end": s_end, "text": text[s_start:s_end]},
            "actors": pick("ACTOR"),
            "locations": pick("LOCATION"),
            "casualties": [{"text": c["text"], "number": c["number"]} for c in casualties],
        })
    return events


def event_types_from_triggers(spans: list[Span], scheme: LabelScheme = SCHEME) -> list[dict]:
    """Article event types when no classifier is given: each trigger type found, scored by its best trigger."""
    best: dict[str, float] = {}
    for span in spans:
        if span.label in scheme.trigger_labels:
            best[span.label] = max(best.get(span.label, 0.0), float(span.score if span.score is not None else 1.0))
    if not best:
        return [{"label": scheme.none_choice, "score": None}]
    return [{"label": t, "score": round(best[t], 4)} for t in scheme.trigger_labels if t in best]
