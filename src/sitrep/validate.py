"""Checks on annotated documents, shared by `sitrep validate`, training and `studio pull`.

Each check returns :class:`Problem` lines that name the file, the task and the
span at fault and say what to fix. A document with any problem is never turned
into training labels.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sitrep.document import Document, Span, event_types_from_spans
from sitrep.scheme import SCHEME, LabelScheme

# A trailing '.' is part of dotted abbreviations such as "U.S." or "Gen.".
_ABBREV_END = re.compile(r"(?:\b[A-Za-z]\.){2,}$|\b(?:Gen|Lt|Col|Maj|Capt|Sgt|Brig|Dr|Mr|Mrs|Ms|St|Co|Inc|Jr|Sr)\.$")


@dataclass(frozen=True)
class Problem:
    file: str
    task: str | None
    message: str
    span: Span | None = None
    span_text: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.task is not None:
            parts.append(f"task {self.task}")
        if self.span is not None:
            shown = self.span_text if self.span_text is not None else ""
            parts.append(f"span {self.span.start}-{self.span.end} {self.span.label} {shown!r}")
        return ": ".join(parts + [self.message])


def _is_punct(ch: str) -> bool:
    return unicodedata.category(ch).startswith("P")


def _is_word(ch: str) -> bool:
    return ch.isalnum()


def check_span(doc: Document, span: Span, file: str, scheme: LabelScheme = SCHEME) -> list[Problem]:
    text = doc.text

    def problem(message: str) -> Problem:
        return Problem(file, doc.id, message, span, text[span.start : span.end])

    if span.label not in scheme.names:
        return [problem(f"unknown label; the scheme has {', '.join(scheme.names)}")]
    if not (0 <= span.start < span.end <= len(text)):
        return [problem(f"offsets outside the text (length {len(text)}) or empty; fix start/end")]
    out = []
    covered = text[span.start : span.end]
    if covered[0].isspace() or covered[-1].isspace():
        out.append(problem("leading or trailing whitespace; trim the span"))
    else:
        if _is_punct(covered[0]):
            out.append(problem("leading punctuation; start the span at the word"))
        last = covered[-1]
        closes_paren = last == ")" and "(" in covered
        if _is_punct(last) and not closes_paren and not (last == "." and _ABBREV_END.search(covered)):
            out.append(problem("trailing punctuation; end the span at the word"))
    if span.start > 0 and _is_word(text[span.start - 1]) and _is_word(text[span.start]):
        out.append(problem("starts inside a word; move start to the word boundary"))
    if span.end < len(text) and _is_word(text[span.end - 1]) and _is_word(text[span.end]):
        out.append(problem("ends inside a word; move end to the word boundary"))
    return out


def check_document(doc: Document, file: str, scheme: LabelScheme = SCHEME) -> list[Problem]:
    problems: list[Problem] = []
    if not doc.text.strip():
        return [Problem(file, doc.id, "empty text; the task needs the article's full text")]
    spans = doc.sorted_spans()
    for span in spans:
        problems += check_span(doc, span, file, scheme)
    for before, after in zip(spans, spans[1:]):
        if after.overlaps(before):
            problems.append(
                Problem(
                    file, doc.id,
                    f"overlaps span {before.start}-{before.end} {before.label}; spans never overlap "
                    "or nest: keep the label listed first in the spec",
                    after, doc.text[after.start : after.end],
                )
            )
    unknown = [c for c in doc.event_types if c not in scheme.event_type_choices]
    if unknown:
        problems.append(Problem(file, doc.id, f"unknown event_types {unknown}; choices are {list(scheme.event_type_choices)}"))
    elif doc.event_types:
        expected = event_types_from_spans(doc.spans, scheme.trigger_labels, scheme.none_choice)
        if sorted(doc.event_types) != sorted(expected):
            problems.append(
                Problem(
                    file, doc.id,
                    f"event_types {sorted(doc.event_types)} disagree with the triggers marked "
                    f"{sorted(expected)}; event_types is the set of trigger labels (or NONE)",
                )
            )
    else:
        problems.append(Problem(file, doc.id, "no event_types choice; pick the trigger types present or NONE"))
    return problems


def check_unique_ids(docs: list[Document], file: str) -> list[Problem]:
    seen: set[str] = set()
    problems = []
    for doc in docs:
        if doc.id in seen:
            problems.append(Problem(file, doc.id, "duplicate task id; each article must appear once"))
        seen.add(doc.id)
    return problems
