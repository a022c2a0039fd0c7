"""`python -m sitrep evaluate` and `compare`: predictions against gold, and two reports side by side."""

from __future__ import annotations

import json
from pathlib import Path

from sitrep.annotated import load_annotated
from sitrep.document import Document, Span
from sitrep.scheme import SCHEME


class EvaluateError(ValueError):
    pass


def read_predictions(path: str | Path) -> list[Document]:
    """Documents from a predictions.jsonl written by `python -m infer` (error records are skipped)."""
    try:
        return _read_predictions(path)
    except UnicodeDecodeError as exc:
        raise EvaluateError(f"{path}: not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise EvaluateError(f"{path}: cannot read ({exc.strerror})") from None


def _read_predictions(path: str | Path) -> list[Document]:
    docs = []
    seen: dict[str, int] = {}
    with open(path, encoding="utf-8-sig") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue  # a trailing blank line, as infer accepts
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvaluateError(f"{path} line {lineno}: not valid JSON ({exc.msg})") from None
            if "error" in record:
                continue
            try:
                spans = [Span(s["start"], s["end"], s["label"], s.get("score")) for s in record["spans"]]
                types = [t["label"] for t in record["event_types"]]
            except (KeyError, TypeError) as exc:
                raise EvaluateError(f"{path} line {lineno}: not a prediction record (missing {exc})") from None
            doc_id = str(record["id"])
            if doc_id in seen:
                raise EvaluateError(f"{path} line {lineno}: id {doc_id!r} again (first at line {seen[doc_id]}); "
                                    "each article must be predicted once")
            seen[doc_id] = lineno
            docs.append(Document(doc_id, record.get("text", ""), spans, types, record.get("meta", {})))
    return docs


def check_same_texts(gold: list[Document], pred: list[Document], source: str) -> None:
    """Offsets only mean the same thing on the same text: a prediction must carry its gold article's text."""
    by_id = {d.id: d for d in gold}
    for doc in pred:
        g = by_id.get(doc.id)
        if g is None or doc.text == g.text:
            continue
        i = next((k for k, (a, b) in enumerate(zip(doc.text, g.text)) if a != b), min(len(doc.text), len(g.text)))
        raise EvaluateError(f"{source}: article {doc.id!r} has another text than the gold one (they differ from "
                            f"character {i}: {doc.text[i:i + 20]!r} vs {g.text[i:i + 20]!r}); its offsets would be "
                            "scored against the wrong words")


def predict_with_checkpoints(gold: list[Document], checkpoint: str | None, classifier: str | None,
                             precision: str = "auto") -> list[Document]:
    """What `python -m infer` would say on the gold texts: the same loader, the same spans and event types."""
    from sitrep.runtime.pipeline import ConflictModel

    texts = [d.text for d in gold]
    if not checkpoint:
        from sitrep.runtime.classifier import EventTypeClassifier  # a classifier alone: event types only

        types = EventTypeClassifier.load(classifier, precision=precision).predict(texts)
        return [Document(d.id, d.text, [], [t for t, _ in ts], dict(d.meta)) for d, ts in zip(gold, types)]
    analyses = ConflictModel.load(checkpoint, classifier, precision=precision).analyse(texts)
    return [Document(d.id, d.text, a.spans, [t for t, _ in a.event_types], dict(d.meta)) for d, a in zip(gold, analyses)]


def read_prediction_events(path: str | Path) -> dict[str, list[dict]]:
    """The event records of a predictions.jsonl, by article."""
    out: dict[str, list[dict]] = {}
    with open(path, encoding="utf-8-sig") as fh:
        for line in fh:
            if line.strip():
                record = json.loads(line)
                if "error" not in record:
                    out[str(record["id"])] = record.get("events", [])
    return out


def code_events(docs: list[Document]) -> dict[str, list[dict]]:
    """Event records coded from (predicted) spans, as `python -m infer` codes them."""
    from sitrep.events import EventCoder

    coder = EventCoder(SCHEME)
    return {d.id: coder.code(d.id, d.text, d.spans, d.meta) for d in docs}


def evaluate(data: list[str], output: str, checkpoint: str | None = None, classifier: str | None = None,
             predictions: str | None = None, precision: str = "auto", events: str | None = None) -> Path:
    from sitrep.report import build_report
    from sitrep.report_render import write_report

    if not (checkpoint or classifier or predictions):
        raise EvaluateError("give checkpoint=DIR (and/or classifier=DIR) or predictions=FILE")
    gold = load_annotated(data)
    if not gold:
        raise EvaluateError(f"no annotated articles in {', '.join(data)}")
    if predictions:
        pred = read_predictions(predictions)
        unknown = sorted({d.id for d in pred} - {d.id for d in gold})
        if len(unknown) == len(pred):
            raise EvaluateError(f"{predictions}: none of its ids are in the gold data (e.g. {unknown[:3]})")
        check_same_texts(gold, pred, predictions)
        source = predictions
        has_spans, has_types = True, any(d.event_types for d in pred)
    else:
        pred = predict_with_checkpoints(gold, checkpoint, classifier, precision)
        source = " + ".join(p for p in (checkpoint, classifier) if p)
        has_spans, has_types = bool(checkpoint), True
    extras = {}
    if events:
        from sitrep.event_scores import EventFileError, read_events, score_events, summary_by

        try:
            gold_events = read_events(events)
        except EventFileError as exc:
            raise EvaluateError(str(exc)) from None
        missing = sorted(set(gold_events) - {d.id for d in gold})
        if missing:
            raise EvaluateError(f"{events}: gold events for articles that are not in the gold data (e.g. {missing[:3]})")
        predicted_events = read_prediction_events(predictions) if predictions else code_events(pred)
        scored = score_events(predicted_events, gold_events)
        flat = [e for a in gold_events for e in predicted_events.get(a, [])]
        extras["events"] = {**scored, "gold": str(events),
                            "by_country": summary_by(flat, "country"), "by_type": summary_by(flat, "event_type")}
    report = build_report(gold, pred, source=source, gold_source=", ".join(data), spans=has_spans,
                          event_types=has_types, scheme=SCHEME, extras=extras)
    return write_report(output, report, gold, pred)


def _load_report(path: str | Path) -> dict:
    path = Path(path)
    if path.is_dir():
        path = path / "report.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EvaluateError(f"{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise EvaluateError(f"{path}: not a report.json ({exc.msg})") from None


def compare_reports(a: dict, b: dict) -> dict:
    """Per-label F1 before (a) and after (b), and the change."""
    out = {}
    sections = (("entities", lambda r: r["entities"]["seqeval"], "per_label"),
                ("event_types", lambda r: r["event_types"], "per_type"))
    for name, get, key in sections:
        if name not in a or name not in b:
            continue
        ra, rb = get(a), get(b)
        rows = {label: {"before": ra[key][label]["f1"], "after": rb[key][label]["f1"],
                        "delta": round(rb[key][label]["f1"] - ra[key][label]["f1"], 4)}
                for label in ra[key] if label in rb[key]}
        for avg in ("micro", "macro"):
            rows[avg] = {"before": ra[avg]["f1"], "after": rb[avg]["f1"], "delta": round(rb[avg]["f1"] - ra[avg]["f1"], 4)}
        out[name] = rows
    return out


def format_comparison(diff: dict, a_name: str, b_name: str) -> str:
    lines = [f"before: {a_name}", f"after:  {b_name}", ""]
    for section, rows in diff.items():
        lines += [f"## {section} (F1)", "", "| label | before | after | change |", "|---|---:|---:|---:|"]
        lines += [f"| {label} | {r['before']:.3f} | {r['after']:.3f} | {r['delta']:+.3f} |" for label, r in rows.items()]
        lines.append("")
    return "\n".join(lines)


def compare(a: str, b: str, output: str | None = None) -> str:
    diff = compare_reports(_load_report(a), _load_report(b))
    if not diff:
        raise EvaluateError(f"{a} and {b} share no section to compare")
    text = format_comparison(diff, a, b)
    out = Path(output) if output else (Path(b) if Path(b).is_dir() else Path(b).parent)
    out.mkdir(parents=True, exist_ok=True)
    (out / "compare.md").write_text(text, encoding="utf-8")
    (out / "compare.json").write_text(json.dumps({"before": str(a), "after": str(b), **diff}, indent=2) + "\n")
    return text
