"""Checks on annotated documents, shared by `sitrep validate`, training and `studio pull`.

Each check returns :class:`Problem` lines that name the file, the task and the
span at fault and say what to fix. A document with any problem is never turned
into training labels.
"""

from __future__ import annotations

from dataclasses import dataclass

from sitrep.document import Document, Span, event_types_from_spans
from sitrep.scheme import SCHEME, LabelScheme
from sitrep.words import Words, span_problems


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


def check_span(doc: Document, span: Span, file: str, scheme: LabelScheme = SCHEME,
               words: Words | None = None) -> list[Problem]:
    text = doc.text

    def problem(message: str) -> Problem:
        return Problem(file, doc.id, message, span, text[span.start : span.end])

    if span.label not in scheme.names:
        return [problem(f"unknown label; the scheme has {', '.join(scheme.names)}")]
    if not (0 <= span.start < span.end <= len(text)):
        return [problem(f"offsets outside the text (length {len(text)}) or empty; fix start/end")]
    # Whole words as sitrep.words defines them: the same words the tagger predicts on.
    return [problem(message) for message in span_problems(words or Words(text), span.start, span.end)]


def check_document(doc: Document, file: str, scheme: LabelScheme = SCHEME) -> list[Problem]:
    problems: list[Problem] = []
    if not doc.text.strip():
        return [Problem(file, doc.id, "empty text; the task needs the article's full text")]
    spans = doc.sorted_spans()
    words = Words(doc.text)
    for span in spans:
        problems += check_span(doc, span, file, scheme, words)
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
