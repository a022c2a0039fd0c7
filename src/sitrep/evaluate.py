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
    docs = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
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
            docs.append(Document(str(record["id"]), record.get("text", ""), spans, types, record.get("meta", {})))
    return docs


def predict_with_checkpoints(gold: list[Document], checkpoint: str | None, classifier: str | None,
                             precision: str = "auto") -> list[Document]:
    from infer.tagger import EventTypeClassifier, SpanTagger  # model code only when a checkpoint is asked for

    texts = [d.text for d in gold]
    spans = SpanTagger.load(checkpoint, precision=precision).tag(texts) if checkpoint else [[] for _ in gold]
    types = ([[t for t, _ in ts] for ts in EventTypeClassifier.load(classifier, precision=precision).predict(texts)]
             if classifier else [[] for _ in gold])
    return [Document(d.id, d.text, s, t, dict(d.meta)) for d, s, t in zip(gold, spans, types)]


def evaluate(data: list[str], output: str, checkpoint: str | None = None, classifier: str | None = None,
             predictions: str | None = None, precision: str = "auto") -> Path:
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
        source = predictions
        has_spans, has_types = True, any(d.event_types for d in pred)
    else:
        pred = predict_with_checkpoints(gold, checkpoint, classifier, precision)
        source = " + ".join(p for p in (checkpoint, classifier) if p)
        has_spans, has_types = bool(checkpoint), bool(classifier)
    report = build_report(gold, pred, source=source, gold_source=", ".join(data), spans=has_spans,
                          event_types=has_types, scheme=SCHEME)
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
