"""The files a tagging run writes into its output folder.

``predictions.jsonl`` is the record of truth: appended per batch with flush and
fsync, so a killed run loses at most the batch in flight, and a resumed run
knows what is done. ``events.csv``, ``labelstudio.json`` and ``summary.json``
are derived from it at the end, streamed, and swapped in atomically.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path

from sitrep.document import Document, Span
from sitrep.labelstudio import document_to_prediction_task
from sitrep.scheme import SCHEME

PREDICTIONS = "predictions.jsonl"
EVENTS = "events.csv"
LABELSTUDIO = "labelstudio.json"
SUMMARY = "summary.json"
EVENT_COLUMNS = ["article_id", "event_type", "trigger", "trigger_start", "trigger_end", "trigger_score",
                 "sentence", "actors", "locations", "casualties_text", "fatalities_min"]


class PredictionLog:
    """Appends records to predictions.jsonl durably; knows which records a previous run wrote."""

    def __init__(self, folder: Path, resume: bool):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / PREDICTIONS
        self.done: Counter[str] = Counter()
        if resume and self.path.exists():
            self._recover()
        elif self.path.exists():
            self.path.unlink()
        self._fh = open(self.path, "a", encoding="utf-8")

    def _recover(self) -> None:
        """Drop a trailing half-written line (a kill mid-write) and count the records per id."""
        data = self.path.read_bytes()
        keep = data.rfind(b"\n") + 1
        if keep < len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(keep)
        for line in data[:keep].splitlines():
            self.done[json.loads(line)["id"]] += 1

    def append(self, records: list[dict]) -> None:
        if not records:
            return
        self._fh.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def iter_records(folder: Path):
    with open(folder / PREDICTIONS, encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def _atomic_writer(path: Path):
    tmp = path.with_name(f".{path.name}.tmp")
    return tmp, open(tmp, "w", encoding="utf-8", newline="")


def write_events_csv(folder: Path) -> int:
    tmp, fh = _atomic_writer(folder / EVENTS)
    n = 0
    with fh:
        writer = csv.writer(fh)
        writer.writerow(EVENT_COLUMNS)
        for record in iter_records(folder):
            for event in record.get("events", []):
                numbers = [c["number"] for c in event["casualties"] if c["number"] is not None]
                writer.writerow([
                    record["id"], event["type"], event["trigger"]["text"], event["trigger"]["start"],
                    event["trigger"]["end"], event["trigger"].get("score", ""), event["sentence"]["text"],
                    "; ".join(dict.fromkeys(event["actors"])), "; ".join(dict.fromkeys(event["locations"])),
                    "; ".join(c["text"] for c in event["casualties"]),
                    # ACLED-style conservative count: the largest single figure in the sentence, not a sum,
                    # since one sentence often repeats a toll ("at least 12 ... 12 of them soldiers").
                    max(numbers) if numbers else "",
                ])
                n += 1
    tmp.replace(folder / EVENTS)
    return n


def write_labelstudio(folder: Path, model_version: str) -> int:
    """Tasks with predictions, ready to import as pre-annotations (error records are left out)."""
    tmp, fh = _atomic_writer(folder / LABELSTUDIO)
    n = 0
    with fh:
        fh.write("[")
        for record in iter_records(folder):
            if "error" in record:
                continue
            spans = [Span(s["start"], s["end"], s["label"], s.get("score")) for s in record["spans"]]
            types = [t["label"] for t in record["event_types"]]
            doc = Document(record["id"], record["text"], spans, types, record.get("meta", {}))
            task = document_to_prediction_task(doc, model_version, record.get("score"), SCHEME)
            fh.write(("," if n else "") + "\n" + json.dumps(task, ensure_ascii=False))
            n += 1
        fh.write("\n]\n")
    tmp.replace(folder / LABELSTUDIO)
    return n


def write_json_atomic(path: Path, payload: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
