"""Evaluation report: where predictions agree with gold annotations and where they do not.

:func:`build_report` is pure: gold documents and predicted documents in, one
JSON-ready dict out. Rendering (Markdown, HTML, plots) is in
:mod:`sitrep.report_render`.
"""

from __future__ import annotations

import time

from sitrep.casualty import casualty_number
from sitrep.document import Document, Span
from sitrep.metrics import NERVALUATE_MODES, entity_scores, event_type_scores, nervaluate_scores
from sitrep.scheme import SCHEME, LabelScheme

MISSED, SPURIOUS = "(missed)", "(spurious)"
CONTEXT = 40


def _round(x: float) -> float:
    return round(float(x), 4)


def _best_overlap(span: Span, others: list[Span]) -> Span | None:
    best, best_len = None, 0
    for o in others:
        overlap = min(span.end, o.end) - max(span.start, o.start)
        if overlap > best_len:
            best, best_len = o, overlap
    return best


def span_confusion(gold: list[Document], pred: list[Document], scheme: LabelScheme = SCHEME) -> dict:
    """Gold label -> predicted label by best character overlap; no overlap is missed or spurious."""
    pred_by_id = {d.id: d for d in pred}
    rows = [*scheme.names, SPURIOUS]
    cols = [*scheme.names, MISSED]
    matrix = {r: {c: 0 for c in cols} for r in rows}
    for doc in gold:
        predicted = pred_by_id[doc.id].spans if doc.id in pred_by_id else []
        for g in doc.spans:
            match = _best_overlap(g, predicted)
            matrix[g.label][match.label if match else MISSED] += 1
        for p in predicted:
            if _best_overlap(p, doc.spans) is None:
                matrix[SPURIOUS][p.label] += 1
    return {"matching": "best character overlap", "rows": rows, "columns": cols, "matrix": matrix}


def casualty_accuracy(gold: list[Document], pred: list[Document], scheme: LabelScheme = SCHEME) -> dict:
    """Exact-number accuracy and mean absolute error over matched casualty spans."""
    pred_by_id = {d.id: d for d in pred}
    casualty = scheme.casualty_label
    pairs = []
    for doc in gold:
        predicted = [s for s in (pred_by_id[doc.id].spans if doc.id in pred_by_id else []) if s.label == casualty]
        for g in (s for s in doc.spans if s.label == casualty):
            match = _best_overlap(g, predicted)
            if match is None:
                continue
            gn, pn = casualty_number(doc.text[g.start:g.end]), casualty_number(doc.text[match.start:match.end])
            pairs.append({"article": doc.id, "gold": doc.text[g.start:g.end], "predicted": doc.text[match.start:match.end],
                          "gold_number": gn, "predicted_number": pn})
    numeric = [p for p in pairs if p["gold_number"] is not None and p["predicted_number"] is not None]
    gold_total = sum(1 for d in gold for s in d.spans if s.label == casualty)
    return {
        "gold_spans": gold_total,
        "matched": len(pairs),
        "exact_number_accuracy": _round(sum(p["gold_number"] == p["predicted_number"] for p in numeric) / len(numeric)) if numeric else None,
        "mean_absolute_error": _round(sum(abs(p["gold_number"] - p["predicted_number"]) for p in numeric) / len(numeric)) if numeric else None,
        "pairs": pairs,
    }


def _context(text: str, span: Span) -> dict:
    lo, hi = max(0, span.start - CONTEXT), min(len(text), span.end + CONTEXT)
    return {"start": span.start, "end": span.end, "label": span.label, "text": text[span.start:span.end],
            "context": (text[lo:span.start] + "[" + text[span.start:span.end] + "]" + text[span.end:hi]).replace("\n", " "),
            **({"score": _round(span.score)} if span.score is not None else {})}


def article_errors(gold: list[Document], pred: list[Document]) -> list[dict]:
    """Per article, strict false positives and false negatives with offsets and context."""
    pred_by_id = {d.id: d for d in pred}
    out = []
    for doc in gold:
        predicted = pred_by_id[doc.id].spans if doc.id in pred_by_id else []
        key = lambda s: (s.start, s.end, s.label)
        gold_keys, pred_keys = {key(s) for s in doc.spans}, {key(s) for s in predicted}
        out.append({
            "id": doc.id,
            "provenance": doc.meta.get("provenance"),
            "gold_spans": len(doc.spans),
            "predicted_spans": len(predicted),
            "false_negatives": [_context(doc.text, s) for s in doc.sorted_spans() if key(s) not in pred_keys],
            "false_positives": [_context(doc.text, s) for s in sorted(predicted) if key(s) not in gold_keys],
            "gold_event_types": list(doc.event_types),
            "predicted_event_types": list(pred_by_id[doc.id].event_types) if doc.id in pred_by_id else [],
        })
    return out


def build_report(gold: list[Document], pred: list[Document], *, source: str, gold_source: str,
                 spans: bool = True, event_types: bool = True, extras: dict | None = None,
                 scheme: LabelScheme = SCHEME) -> dict:
    """Everything the analyst-facing report shows, as one JSON-ready dict."""
    missing = sorted({d.id for d in gold} - {d.id for d in pred})
    report: dict = {
        "created": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "gold": gold_source,
        "predictions": source,
        "articles": len(gold),
        "articles_without_prediction": missing,
        "scheme": scheme.to_dict(),
        "colours": dict(scheme.colours),
    }
    if spans:
        report["entities"] = {"seqeval": entity_scores(gold, pred, scheme), "nervaluate": nervaluate_scores(gold, pred, scheme)}
        report["confusion"] = span_confusion(gold, pred, scheme)
        report["casualties"] = casualty_accuracy(gold, pred, scheme)
    if event_types:
        report["event_types"] = event_type_scores(gold, pred, scheme)
    report["per_article"] = article_errors(gold, pred)
    report.update(extras or {})
    return report
