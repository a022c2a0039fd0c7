"""Documents and character spans: the currency passed between all stages."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Span:
    """A labelled character range ``[start, end)`` into a document's text."""

    start: int
    end: int
    label: str
    score: float | None = field(default=None, compare=False)

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]

    def overlaps(self, other: "Span") -> bool:
        return self.start < other.end and other.start < self.end


@dataclass
class Document:
    id: str
    text: str
    spans: list[Span] = field(default_factory=list)
    event_types: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def sorted_spans(self) -> list[Span]:
        return sorted(self.spans, key=lambda s: (s.start, s.end, s.label))


def event_types_from_spans(spans: list[Span], trigger_labels: tuple[str, ...], none: str) -> list[str]:
    """The spec's article label: trigger types present, in scheme order, else NONE."""
    present = {s.label for s in spans}
    found = [label for label in trigger_labels if label in present]
    return found or [none]
