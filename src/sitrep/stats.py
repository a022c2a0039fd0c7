"""Corpus statistics: what an annotated collection holds."""

from __future__ import annotations

import re
from collections import Counter

from sitrep.document import Document
from sitrep.scheme import SCHEME, LabelScheme

_WORD = re.compile(r"\w+(?:[-'’]\w+)*")


def corpus_stats(docs: list[Document], scheme: LabelScheme = SCHEME) -> dict:
    spans = Counter(s.label for d in docs for s in d.spans)
    articles_with = Counter(label for d in docs for label in {s.label for s in d.spans})
    event_types = Counter(t for d in docs for t in d.event_types)
    provenance = Counter(str(d.meta.get("provenance", "unknown")) for d in docs)
    return {
        "articles": len(docs),
        "tokens": sum(len(_WORD.findall(d.text)) for d in docs),
        "spans": sum(spans.values()),
        "spans_per_label": {label: spans.get(label, 0) for label in scheme.names},
        "articles_per_label": {label: articles_with.get(label, 0) for label in scheme.names},
        "event_types": {t: event_types.get(t, 0) for t in scheme.event_type_choices},
        "provenance": dict(sorted(provenance.items())),
    }


def format_stats(stats: dict) -> str:
    lines = [
        f"articles: {stats['articles']}   tokens (words): {stats['tokens']}   spans: {stats['spans']}",
        "provenance: " + ", ".join(f"{k} {v}" for k, v in stats["provenance"].items()),
        "",
        f"{'label':<15}{'spans':>7}{'articles':>10}",
    ]
    for label, n in stats["spans_per_label"].items():
        lines.append(f"{label:<15}{n:>7}{stats['articles_per_label'][label]:>10}")
    lines += ["", f"{'event type':<15}{'articles':>7}"]
    for label, n in stats["event_types"].items():
        lines.append(f"{label:<15}{n:>7}")
    return "\n".join(lines)
