"""Annotation review: places where the same string was treated differently.

Two lists, for a human to resolve or justify:
- within an article, a string annotated in one place but left bare in another;
- across articles, one string given different labels.
Neither is always an error (``IS`` is an ACTOR in "IS fighters" but not in
"IS positions"), so these are findings, not validation failures. A finding
that a reviewer has kept is listed, with its reason, in an accepted-findings
file (``data/review/consistency.yaml``); only the others are shown as new.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from sitrep.document import Document
from sitrep.words import Words


@dataclass(frozen=True)
class Unmarked:
    doc_id: str
    text: str
    label: str
    start: int  # the bare occurrence
    context: str

    def __str__(self) -> str:
        return f"task {self.doc_id}: {self.text!r} is {self.label} elsewhere in the article but bare at {self.start}: …{self.context}…"


@dataclass(frozen=True)
class Disagreement:
    text: str
    labels: dict[str, list[str]]  # label -> doc ids

    def __str__(self) -> str:
        parts = "; ".join(f"{label} in {len(ids)} ({', '.join(ids[:3])}{', …' if len(ids) > 3 else ''})"
                          for label, ids in sorted(self.labels.items()))
        return f"{self.text!r} is labelled differently across articles: {parts}"


def unmarked_repeats(doc: Document) -> list[Unmarked]:
    out = []
    covered = [(s.start, s.end) for s in doc.spans]
    words = Words(doc.text)
    seen: set[tuple[str, str]] = set()
    for span in doc.sorted_spans():
        surface = doc.text[span.start : span.end]
        if (surface, span.label) in seen:
            continue
        seen.add((surface, span.label))
        for m in re.finditer(r"(?<!\w)" + re.escape(surface) + r"(?!\w)", doc.text):
            if any(a < m.end() and m.start() < b for a, b in covered):
                continue
            if not (words.is_start(m.start()) and words.is_end(m.end())):
                continue  # inside a longer word ("ISIL-held"): no span could mark it
            lo, hi = max(0, m.start() - 30), min(len(doc.text), m.end() + 30)
            out.append(Unmarked(doc.id, surface, span.label, m.start(), doc.text[lo:hi].replace("\n", " ")))
    return out


def label_disagreements(docs: list[Document]) -> list[Disagreement]:
    by_text: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for doc in docs:
        for span in doc.spans:
            ids = by_text[doc.text[span.start : span.end]][span.label]
            if doc.id not in ids:
                ids.append(doc.id)
    return [Disagreement(text, dict(labels)) for text, labels in sorted(by_text.items()) if len(labels) > 1]


REASONS_FILE = "data/review/consistency.yaml"


def finding_key(finding: Unmarked | Disagreement) -> tuple:
    if isinstance(finding, Unmarked):
        return ("bare", finding.doc_id, finding.text, finding.start)
    return ("labels", finding.text, tuple(sorted(finding.labels)))


def load_accepted(path) -> dict[tuple, str]:
    """Finding key -> reason, from a reviewed-findings file (missing file: nothing accepted)."""
    from pathlib import Path

    import yaml

    path = Path(path)
    if not path.is_file():
        return {}
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    out: dict[tuple, str] = {}
    for row in data.get("bare") or []:
        out[("bare", row["task"], row["text"], int(row["at"]))] = row["reason"]
    for row in data.get("labels") or []:
        out[("labels", row["text"], tuple(sorted(row["labels"])))] = row["reason"]
    return out
