"""Label Studio JSON exports <-> documents.

Label Studio offsets are UTF-16 code units; documents use code points. The
conversion happens here and nowhere else.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sitrep.document import Document, Span, event_types_from_spans
from sitrep.scheme import SCHEME, LabelScheme
from sitrep.utf16 import Utf16Offsets
from sitrep.validate import Problem


@dataclass
class ExportReport:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _region_id(doc_id: str, span: Span) -> str:
    # Stable ids, so re-exporting the same document gives the same file.
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{doc_id}/{span.start}/{span.end}/{span.label}").hex[:10]


def pick_annotation(annotations: list[dict]) -> tuple[int | None, str | None]:
    """Which annotation of a task is used: the latest updated one that is not cancelled.

    Returns (index, note); the note says which was picked when there was a choice.
    """
    live = [(i, a) for i, a in enumerate(annotations) if isinstance(a, dict) and not a.get("was_cancelled")]
    if not live:
        return None, None
    index, chosen = max(live, key=lambda ia: (str(ia[1].get("updated_at") or ia[1].get("created_at") or ""), ia[0]))
    note = None
    if len(live) > 1:
        note = (
            f"{len(live)} annotations; using annotation {chosen.get('id', index)} "
            "(the latest updated, not cancelled)"
        )
    return index, note


def task_doc_id(task: dict, index: int) -> str:
    """meta.doc_id, else Label Studio's task id, else the task's position in the file."""
    meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
    if meta.get("doc_id") is not None:
        return str(meta["doc_id"])
    return str(task["id"]) if task.get("id") is not None else f"#{index}"


def _results_to_spans(
    results: list, text: str, offsets: Utf16Offsets, file: str, doc_id: str, scheme: LabelScheme
) -> tuple[list[Span], list[str] | None, list[Problem]]:
    spans: list[Span] = []
    choices: list[str] | None = None
    problems: list[Problem] = []

    def bad(msg: str) -> None:
        problems.append(Problem(file, doc_id, msg))

    for k, r in enumerate(results):
        where = f"result {k}" + (f" (id {r.get('id')})" if isinstance(r, dict) and r.get("id") else "")
        if not isinstance(r, dict):
            bad(f"{where}: not an object")
            continue
        value = r.get("value")
        if not isinstance(value, dict):
            bad(f"{where}: missing 'value' object")
            continue
        rtype = r.get("type")
        if rtype == "choices":
            got = value.get("choices")
            if not isinstance(got, list) or not all(isinstance(c, str) for c in got):
                bad(f"{where}: value.choices must be a list of strings")
            elif r.get("from_name") != scheme.choice_control:
                bad(f"{where}: choices from '{r.get('from_name')}', expected '{scheme.choice_control}'")
            else:
                choices = (choices or []) + got
            continue
        if rtype != "labels":
            bad(f"{where}: type {rtype!r} is not part of the scheme (expected 'labels' or 'choices')")
            continue
        start, end, labels = value.get("start"), value.get("end"), value.get("labels")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            bad(f"{where}: value.start and value.end must be integers")
            continue
        if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
            bad(f"{where}: value.labels must hold exactly one label, got {labels!r}")
            continue
        label = labels[0]
        if not (0 <= start < end <= offsets.n_units):
            problems.append(
                Problem(file, doc_id, f"offsets outside the text ({offsets.n_units} UTF-16 units)", Span(start, end, label), "")
            )
            continue
        try:
            span = Span(offsets.to_codepoint(start), offsets.to_codepoint(end), label)
        except ValueError as exc:
            bad(f"{where}: {exc}")
            continue
        covered = text[span.start : span.end]
        if "text" in value and value["text"] != covered:
            problems.append(
                Problem(file, doc_id, f"value.text {value['text']!r} differs from the text at these offsets", span, covered)
            )
            continue
        spans.append(span)
    return spans, choices, problems


def task_to_document(task: object, file: str, index: int, scheme: LabelScheme = SCHEME) -> tuple[Document | None, list[Problem], list[str]]:
    if not isinstance(task, dict):
        return None, [Problem(file, f"#{index}", "task is not a JSON object")], []
    doc_id = task_doc_id(task, index)
    data = task.get("data")
    if not isinstance(data, dict) or "text" not in data:
        return None, [Problem(file, doc_id, "missing data.text")], []
    text = data["text"]
    if not isinstance(text, str):
        return None, [Problem(file, doc_id, f"data.text must be a string, got {type(text).__name__}")], []
    annotations = task.get("annotations", [])
    if not isinstance(annotations, list):
        return None, [Problem(file, doc_id, "annotations must be a list")], []
    index_used, note = pick_annotation(annotations)
    notes = [f"{file}: task {doc_id}: {note}"] if note else []
    if index_used is None:
        return None, [], notes + [f"{file}: task {doc_id}: no annotation (skipped)"]
    results = annotations[index_used].get("result", [])
    if not isinstance(results, list):
        return None, [Problem(file, doc_id, "annotation result must be a list")], notes
    offsets = Utf16Offsets(text)
    spans, choices, problems = _results_to_spans(results, text, offsets, file, doc_id, scheme)
    meta = dict(task["meta"]) if isinstance(task.get("meta"), dict) else {}
    meta.pop("doc_id", None)
    doc = Document(id=doc_id, text=text, spans=spans, event_types=choices or [], meta=meta)
    return doc, problems, notes


def parse_export(tasks: object, file: str, scheme: LabelScheme = SCHEME) -> ExportReport:
    report = ExportReport()
    if not isinstance(tasks, list):
        report.problems.append(Problem(file, None, "a Label Studio JSON export is a list of tasks"))
        return report
    for i, task in enumerate(tasks):
        doc, problems, notes = task_to_document(task, file, i, scheme)
        report.problems += problems
        report.notes += notes
        if doc is not None:
            report.documents.append(doc)
    return report


def read_export(path: Path, scheme: LabelScheme = SCHEME) -> ExportReport:
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return ExportReport(problems=[Problem(file, None, f"cannot read: {exc.strerror}")])
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ExportReport(problems=[Problem(file, None, f"not UTF-8 (bad byte at offset {exc.start}); save the export as UTF-8")])
    try:
        tasks = json.loads(source)
    except json.JSONDecodeError as exc:
        return ExportReport(
            problems=[Problem(file, None, f"not valid JSON at line {exc.lineno}, col {exc.colno}: {exc.msg} (truncated file?)")]
        )
    return parse_export(tasks, file, scheme)


# ---- documents -> Label Studio ---------------------------------------------


def spans_to_results(doc: Document, scheme: LabelScheme = SCHEME, with_scores: bool = False) -> list[dict]:
    offsets = Utf16Offsets(doc.text)
    results = []
    for span in doc.sorted_spans():
        region = {
            "id": _region_id(doc.id, span),
            "from_name": scheme.span_control,
            "to_name": scheme.text_object,
            "type": "labels",
            "origin": "prediction" if with_scores else "manual",
            "value": {
                "start": offsets.to_utf16(span.start),
                "end": offsets.to_utf16(span.end),
                "text": doc.text[span.start : span.end],
                "labels": [span.label],
            },
        }
        if with_scores and span.score is not None:
            region["score"] = round(float(span.score), 4)
        results.append(region)
    if doc.event_types:
        results.append(
            {
                "id": uuid.uuid5(uuid.NAMESPACE_URL, f"{doc.id}/event_types").hex[:10],
                "from_name": scheme.choice_control,
                "to_name": scheme.text_object,
                "type": "choices",
                "value": {"choices": list(doc.event_types)},
            }
        )
    return results


def document_to_task(doc: Document, task_id: int | None = None, scheme: LabelScheme = SCHEME) -> dict:
    """A task carrying the document's spans as its one annotation."""
    task = {
        "data": {"text": doc.text},
        "meta": {"doc_id": doc.id, **doc.meta},
        "annotations": [{"result": spans_to_results(doc, scheme), "was_cancelled": False, "ground_truth": True}],
        "predictions": [],
    }
    if task_id is not None:
        task = {"id": task_id, **task}
    return task


def document_to_prediction_task(
    doc: Document, model_version: str, score: float | None, scheme: LabelScheme = SCHEME,
    suggested: list[tuple[str, float]] = (),
) -> dict:
    """A task for import with the model's spans as a pre-annotation an annotator can accept as it is.

    The event types are pre-ticked exactly as the predicted triggers imply (the spec defines
    event_types so, and `studio pull` checks it); types the model sees without a trigger go into
    the task data as ``suggested_event_types``, a column of the Data Manager.
    """
    ticked = Document(doc.id, doc.text, doc.spans,
                      event_types_from_spans(doc.spans, scheme.trigger_labels, scheme.none_choice), doc.meta)
    prediction = {"model_version": model_version, "result": spans_to_results(ticked, scheme, with_scores=True)}
    if score is not None:
        prediction["score"] = round(float(score), 4)
    data = {"text": doc.text}
    if suggested:
        data["suggested_event_types"] = ", ".join(f"{t} ({p:.2f})" for t, p in suggested)
    return {"data": data, "meta": {"doc_id": doc.id, **doc.meta}, "predictions": [prediction]}


def documents_to_export(docs: list[Document], scheme: LabelScheme = SCHEME) -> list[dict]:
    return [document_to_task(doc, i + 1, scheme) for i, doc in enumerate(docs)]


def write_export(docs: list[Document], path: Path, scheme: LabelScheme = SCHEME) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(str(path) + ".tmp")
    tmp.write_text(json.dumps(documents_to_export(docs, scheme), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)
