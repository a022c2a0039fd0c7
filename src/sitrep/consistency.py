"""Annotation review: places where the same string was treated differently.

Two lists, for a human to resolve or justify:
- within an article, a string annotated in one place but left bare in another;
- across articles, one string given different labels.
Neither is always an error (``IS`` is an ACTOR in "IS fighters" but not in
"IS positions"), so these are findings, not validation failures.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from sitrep.document import Document


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
    seen: set[tuple[str, str]] = set()
    for span in doc.sorted_spans():
        surface = doc.text[span.start : span.end]
        if (surface, span.label) in seen:
            continue
        seen.add((surface, span.label))
        for m in re.finditer(r"(?<!\w)" + re.escape(surface) + r"(?!\w)", doc.text):
            if any(a < m.end() and m.start() < b for a, b in covered):
                continue
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
