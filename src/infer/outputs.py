"""The files a tagging run writes into its output folder, and how a run never destroys an earlier one.

A run appends its records to ``.predictions.jsonl.partial`` (flush and fsync per
chunk, so a killed run loses at most the chunk in flight) beside a
``.run.json`` fingerprint of its input and checkpoint. Only when it finishes is
the partial file renamed over ``predictions.jsonl``; ``events.csv``,
``labelstudio.json`` and ``summary.json`` are then derived from it and swapped in
atomically. A run that fails, or is killed, leaves the previous run's outputs as
they were. ``resume=true`` continues the partial file (or extends a finished
run) only when the fingerprint matches and every recorded article is the same
id and text as the input's, in order.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from infer.tagging import text_sha1
from sitrep.articles import Item
from sitrep.document import Document, Span
from sitrep.events import COLUMNS, csv_row
from sitrep.labelstudio import document_to_prediction_task
from sitrep.scheme import SCHEME

PREDICTIONS = "predictions.jsonl"
PARTIAL = ".predictions.jsonl.partial"
RUN = ".run.json"
EVENTS = "events.csv"
EVENTS_JSONL = "events.jsonl"
LABELSTUDIO = "labelstudio.json"
SUMMARY = "summary.json"


class ResumeError(ValueError):
    pass


def input_fingerprint(spec: str) -> dict:
    if spec == "-":
        return {"input": "-"}
    path = Path(spec)
    return {"input": str(path.resolve()) if path.exists() else spec,
            "input_bytes": path.stat().st_size if path.is_file() else None}


def checkpoint_fingerprint(folder: str | Path) -> str:
    """A hash of what decides a checkpoint's output: its configs, and its weight files' names and sizes."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for p in sorted(folder.glob("*")):
        if p.suffix in (".json", ".yaml") and p.name != "metrics.json":
            digest.update(p.name.encode() + p.read_bytes())
        elif p.suffix == ".safetensors":
            digest.update(f"{p.name}:{p.stat().st_size}".encode())
    return digest.hexdigest()[:16]


@dataclass
class Done:
    id: str
    text: str | None
    error: str | None
    text_sha1: str | None = None

    def matches(self, item: Item) -> bool:
        """The recorded article is this input item: same id, and the same text (or the same reading error)."""
        if item.id != self.id:
            return False
        if self.error is None:
            return item.text == self.text
        if self.text_sha1 is not None:  # read fine, failed in tagging
            return item.text is not None and text_sha1(item.text) == self.text_sha1
        return item.error == self.error


class PredictionLog:
    """Appends records to the partial file durably; knows which records a resumed run already wrote."""

    def __init__(self, folder: Path, resume: bool, fingerprint: dict):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.partial, self.final, self.run_file = folder / PARTIAL, folder / PREDICTIONS, folder / RUN
        self.fingerprint = fingerprint
        self.done: list[Done] = []
        if resume:
            self._resume()
        else:
            self.partial.unlink(missing_ok=True)
        _write_json(self.run_file, {**fingerprint, "finished": False})
        self._fh = open(self.partial, "a", encoding="utf-8")

    def _resume(self) -> None:
        source = self.partial if self.partial.exists() else self.final if self.final.exists() else None
        if source is None:
            return
        saved = _read_json(self.run_file)
        for key in ("input", "input_bytes", "checkpoint"):
            if saved.get(key) != self.fingerprint.get(key):
                raise ResumeError(
                    f"resume=true: {self.folder} was written for {key} {saved.get(key)!r}, this run has "
                    f"{self.fingerprint.get(key)!r}; use another output folder, or resume=false to start over")
        if source is self.final:
            self.partial.write_bytes(self.final.read_bytes())
        data = self.partial.read_bytes()
        keep = data.rfind(b"\n") + 1
        if keep < len(data):  # a kill mid-write: drop the half line
            with open(self.partial, "r+b") as fh:
                fh.truncate(keep)
        for line in data[:keep].splitlines():
            record = json.loads(line)
            self.done.append(Done(record["id"], record.get("text"), record.get("error"), record.get("text_sha1")))

    def skip_done(self, items: Iterable[Item]) -> Iterator[Item]:
        """Items the resumed run has not recorded; each recorded one must be the input's, in order."""
        it = iter(items)
        for k, done in enumerate(self.done):
            item = next(it, None)
            if item is None:
                raise ResumeError(f"resume=true: {self.folder} holds {len(self.done)} records but the input has only {k}; "
                                  "use another output folder, or resume=false")
            if not done.matches(item):
                raise ResumeError(
                    f"resume=true: record {k + 1} in {self.folder} is article {done.id!r}, but the input's article "
                    f"{k + 1} is {item.id!r}" + (" with another text" if item.id == done.id else "")
                    + "; the output was written from other input. Use another output folder, or resume=false")
        yield from it

    def append(self, records: list[dict]) -> None:
        if not records:
            return
        self._fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()

    def finish(self) -> None:
        """The run is complete: its records become predictions.jsonl in one rename."""
        self.close()
        self.partial.replace(self.final)
        _write_json(self.run_file, {**self.fingerprint, "finished": True})


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}


def _write_json(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def iter_records(folder: Path):
    with open(folder / PREDICTIONS, encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def _atomic_writer(path: Path):
    tmp = path.with_name(f".{path.name}.tmp")
    return tmp, open(tmp, "w", encoding="utf-8", newline="")


@dataclass
class Derived:
    """What the derived files hold, for the run's summary."""

    failures: list[dict]
    events: list[dict]
    tasks: int


def write_derived(folder: Path, model_version: str) -> Derived:
    """events.csv, events.jsonl and labelstudio.json from predictions.jsonl, read once, each swapped in atomically."""
    paths = [folder / EVENTS, folder / EVENTS_JSONL, folder / LABELSTUDIO]
    tmps, handles = zip(*(_atomic_writer(p) for p in paths))
    fh_csv, fh_jsonl, fh_ls = handles
    derived = Derived([], [], 0)
    with fh_csv, fh_jsonl, fh_ls:
        writer = csv.writer(fh_csv)
        writer.writerow(COLUMNS)
        fh_ls.write("[")
        for record in iter_records(folder):
            if "error" in record:  # error records have no events and are no tasks
                derived.failures.append({"id": record["id"], "error": record["error"]})
                continue
            for event in record.get("events", []):
                writer.writerow(csv_row(event))
                fh_jsonl.write(json.dumps(event, ensure_ascii=False) + "\n")
                derived.events.append(event)
            task = _prediction_task(record, model_version)
            fh_ls.write(("," if derived.tasks else "") + "\n" + json.dumps(task, ensure_ascii=False))
            derived.tasks += 1
        fh_ls.write("\n]\n")
    for tmp, path in zip(tmps, paths):
        tmp.replace(path)
    return derived


def _prediction_task(record: dict, model_version: str) -> dict:
    """A Label Studio task with the record's spans as a prediction (a pre-annotation)."""
    spans = [Span(s["start"], s["end"], s["label"], s.get("score")) for s in record["spans"]]
    doc = Document(record["id"], record["text"], spans, [], record.get("meta", {}))
    suggested = [(t["label"], t["score"]) for t in record.get("suggested_event_types", [])]
    return document_to_prediction_task(doc, model_version, record.get("score"), SCHEME, suggested)


def write_json_atomic(path: Path, payload: dict) -> None:
    _write_json(path, payload)
