"""Scores of predicted documents against gold ones.

Entity scores are seqeval's strict mode over IOB2 tags. The tags are made
from character spans over the project's words (:mod:`sitrep.words`), which do
not depend on any model, so predictions from any checkpoint, or from a file,
are scored the same way.
"""

from __future__ import annotations

import warnings

from sitrep.document import Document, Span
from sitrep.scheme import SCHEME, LabelScheme
from sitrep.words import tokenize

NERVALUATE_MODES = ("strict", "exact", "partial", "ent_type")


def word_tokens(text: str) -> list[tuple[int, int]]:
    return [(t.start, t.end) for t in tokenize(text)]


def spans_to_tags(tokens: list[tuple[int, int]], spans: list[Span]) -> list[str]:
    """IOB2 tags over ``tokens``; a span covers every token it overlaps."""
    tags = ["O"] * len(tokens)
    starts = [s for s, _ in tokens]
    import bisect

    for span in sorted(spans):
        i = bisect.bisect_right(starts, span.start) - 1
        if i < 0 or tokens[i][1] <= span.start:
            i += 1
        first = True
        while i < len(tokens) and tokens[i][0] < span.end:
            if tags[i] == "O":
                tags[i] = ("B-" if first else "I-") + span.label
                first = False
            i += 1
    return tags


def _round(x: float) -> float:
    return round(float(x), 4)


def entity_scores(gold: list[Document], pred: list[Document], scheme: LabelScheme = SCHEME) -> dict:
    """seqeval strict IOB2: per-label P/R/F1/support, micro and macro averages."""
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    pred_by_id = {d.id: d for d in pred}
    y_true, y_pred = [], []
    for doc in gold:
        tokens = word_tokens(doc.text)
        y_true.append(spans_to_tags(tokens, doc.spans))
        other = pred_by_id.get(doc.id)
        y_pred.append(spans_to_tags(tokens, other.spans if other else []))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined precision for labels never predicted
        report = classification_report(y_true, y_pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    per_label = {}
    for label in scheme.names:
        row = report.get(label, {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0})
        per_label[label] = {
            "precision": _round(row["precision"]), "recall": _round(row["recall"]),
            "f1": _round(row["f1-score"]), "support": int(row["support"]),
        }
    micro = report["micro avg"]  # seqeval always reports it, zeros when there is nothing to find
    present = [per_label[l] for l in scheme.names if per_label[l]["support"] > 0]
    macro = {k: _round(sum(r[k] for r in present) / len(present)) if present else 0.0 for k in ("precision", "recall", "f1")}
    return {
        "scheme": "seqeval strict, IOB2, entity level",
        "micro": {"precision": _round(micro["precision"]), "recall": _round(micro["recall"]),
                  "f1": _round(micro["f1-score"]), "support": int(micro["support"])},
        "macro": macro,  # over labels with gold support
        "per_label": per_label,
    }


_EMPTY_ROW = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "correct": 0, "incorrect": 0, "partial": 0, "missed": 0,
              "spurious": 0, "possible": 0, "actual": 0}


def nervaluate_scores(gold: list[Document], pred: list[Document], scheme: LabelScheme = SCHEME) -> dict:
    """SemEval-2013 schemes via nervaluate: strict, exact, partial and type, per label and overall."""
    from nervaluate import Evaluator

    pred_by_id = {d.id: d for d in pred}
    # nervaluate compares inclusive end offsets.
    as_dicts = lambda spans: [{"label": s.label, "start": s.start, "end": s.end - 1} for s in spans]
    true = [as_dicts(d.sorted_spans()) for d in gold]
    guess = [as_dicts(pred_by_id[d.id].sorted_spans()) if d.id in pred_by_id else [] for d in gold]
    # nervaluate reads the format off the first gold document's first span: put one with spans first.
    order = sorted(range(len(true)), key=lambda i: not true[i])
    true, guess = [true[i] for i in order], [guess[i] for i in order]
    if not any(true):
        return _nothing_to_find(guess, scheme)
    results = Evaluator(true, guess, tags=list(scheme.names), loader="default").evaluate()
    row = lambda r: {"precision": _round(r.precision), "recall": _round(r.recall), "f1": _round(r.f1),
                     "correct": r.correct, "incorrect": r.incorrect, "partial": r.partial, "missed": r.missed,
                     "spurious": r.spurious, "possible": r.possible, "actual": r.actual}
    out = {}
    entities = results.get("entities") or {}
    for mode in NERVALUATE_MODES:
        # nervaluate leaves out a label that neither side has: it scores zero, with nothing possible.
        per_label = {label: row(entities[label][mode]) if label in entities else dict(_EMPTY_ROW)
                     for label in scheme.names}
        present = [per_label[l] for l in scheme.names if per_label[l]["possible"] > 0]
        out[mode] = {
            "micro": row(results["overall"][mode]),
            "macro": {k: _round(sum(r[k] for r in present) / len(present)) if present else 0.0
                      for k in ("precision", "recall", "f1")},
            "per_label": per_label,
        }
    return {"scheme": "SemEval-2013 (nervaluate): strict = exact boundaries and type; exact = boundaries only; "
                      "partial = overlapping boundaries count half; ent_type = type with any overlap",
            **out}


def _nothing_to_find(guess: list[list[dict]], scheme: LabelScheme) -> dict:
    """Scores when the gold data has no span at all: every predicted span is spurious."""
    counts = {label: sum(1 for doc in guess for s in doc if s["label"] == label) for label in scheme.names}
    row = lambda n: {**_EMPTY_ROW, "spurious": n, "actual": n}
    block = {"micro": row(sum(counts.values())), "macro": {"precision": 0.0, "recall": 0.0, "f1": 0.0},
             "per_label": {label: row(n) for label, n in counts.items()}}
    return {"scheme": "SemEval-2013 (nervaluate); the gold data has no span", **{m: block for m in NERVALUATE_MODES}}


def overlap_scores(gold: list[Document], pred: list[Document], scheme: LabelScheme = SCHEME) -> dict:
    """Overlap F1: a predicted span counts when it overlaps a gold span of the same label (nervaluate ent_type)."""
    nv = nervaluate_scores(gold, pred, scheme)["ent_type"]
    keep = ("precision", "recall", "f1")
    return {
        "scheme": "overlap: same label, any character overlap, one to one (nervaluate ent_type)",
        "micro": {k: nv["micro"][k] for k in keep} | {"support": nv["micro"]["possible"]},
        "macro": nv["macro"],
        "per_label": {label: {k: r[k] for k in keep} | {"support": r["possible"]} for label, r in nv["per_label"].items()},
    }


def event_type_scores(gold: list[Document], pred: list[Document], scheme: LabelScheme = SCHEME) -> dict:
    """Per-type P/R/F1 over articles (NONE means no type), micro and macro (over types with gold support),
    and the exact match of the whole set: scikit-learn's multi-label metrics."""
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    types = list(scheme.trigger_labels)
    if not gold:  # scikit-learn refuses empty input; nothing to score is all zeros
        zero = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
        return {"scheme": "article level, multi-label", "micro": {**zero, "support": 0}, "macro": dict(zero),
                "per_type": {t: {**zero, "support": 0} for t in types}, "exact_match": 0.0}
    pred_by_id = {d.id: d for d in pred}
    binarizer = MultiLabelBinarizer(classes=types)
    y_true = binarizer.fit_transform([[t for t in d.event_types if t in types] for d in gold])
    y_pred = binarizer.transform([[t for t in (pred_by_id[d.id].event_types if d.id in pred_by_id else []) if t in types]
                                  for d in gold])

    def row(p, r, f, n) -> dict:
        return {"precision": _round(p), "recall": _round(r), "f1": _round(f), "support": int(n)}

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p, r, f, n = precision_recall_fscore_support(y_true, y_pred, labels=list(range(len(types))), zero_division=0)
        per_type = {t: row(p[i], r[i], f[i], n[i]) for i, t in enumerate(types)}
        micro = row(*precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)[:3], n.sum())
        present = [i for i in range(len(types)) if n[i] > 0]
        macro = ({k: v for k, v in row(*precision_recall_fscore_support(
            y_true, y_pred, labels=present, average="macro", zero_division=0)[:3], 0).items() if k != "support"}
            if present else {"precision": 0.0, "recall": 0.0, "f1": 0.0})
    return {
        "scheme": "article level, multi-label",
        "micro": micro,
        "macro": macro,
        "per_type": per_type,
        "exact_match": _round(accuracy_score(y_true, y_pred)),
    }
