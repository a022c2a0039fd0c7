"""One loader for a trained checkpoint: tagger + article head + event-type rule + scheme + windows as trained.

`python -m infer`, `python -m sitrep evaluate` and `python -m sitrep studio push`
all load a :class:`ConflictModel` and call :meth:`ConflictModel.analyse`, so
they give the same spans and event types for the same text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from sitrep.document import Span
from sitrep.runtime.event_types import EventTypeDecision
from sitrep.runtime.tagger import SpanTagger
from sitrep.scheme import SCHEME, LabelScheme

log = logging.getLogger("sitrep")

DEPRECATED_CLASSIFIER = (
    "classifier={path}: a separate event-type classifier is deprecated and will be removed in the next "
    "release; event types now come from the tagger's own pass (its article head and event_types.json)"
)


@dataclass
class Analysis:
    """What the model says about one article."""

    spans: list[Span]
    event_types: list[tuple[str, float]]  # [(type or NONE, score)]
    n_tokens: int
    # Types the article head (or classifier) sees with no predicted trigger span of that type: shown to
    # annotators as suggestions, never ticked, since the spec defines event_types by the triggers.
    suggested_types: list[tuple[str, float]] = field(default_factory=list)


class ConflictModel:
    def __init__(self, tagger: SpanTagger, decision: EventTypeDecision, classifier=None,
                 scheme: LabelScheme = SCHEME, checkpoint: str | None = None):
        self.tagger, self.decision, self.classifier, self.scheme = tagger, decision, classifier, scheme
        self.checkpoint = checkpoint

    @classmethod
    def load(cls, checkpoint: str | Path, classifier: str | Path | None = None, scheme: LabelScheme = SCHEME,
             runtime: str = "auto", **window_kwargs) -> "ConflictModel":
        """``window_kwargs``: batch_size, precision, device, max_length, stride (None: as trained);
        ``runtime``: what runs the tagger (:data:`sitrep.runtime.loading.RUNTIMES`)."""
        tagger = SpanTagger.load(checkpoint, scheme, runtime, **window_kwargs)
        decision = EventTypeDecision.load(checkpoint)
        if decision.rule != "triggers" and tagger.head is None:
            log.warning("%s: event_types.json asks for the %s rule but there is no article head; using triggers",
                        checkpoint, decision.rule)
            decision = EventTypeDecision("triggers", decision.thresholds)
        clf = None
        if classifier:
            from sitrep.runtime.classifier import EventTypeClassifier

            log.warning(DEPRECATED_CLASSIFIER.format(path=classifier))
            clf = EventTypeClassifier.load(classifier, scheme, **window_kwargs)
        return cls(tagger, decision, clf, scheme, str(checkpoint))

    @property
    def precision(self) -> str:
        return self.tagger.runner.precision

    def analyse(self, texts: list[str]) -> list[Analysis]:
        tagged = self.tagger.analyse(texts) if texts else []
        legacy = self.classifier.predict(texts) if self.classifier is not None and texts else None
        out = []
        for k, t in enumerate(tagged):
            types = legacy[k] if legacy is not None else self.decision.decide(t.spans, t.head_probs, self.scheme)
            with_trigger = {s.label for s in t.spans}
            suggested = [(label, score) for label, score in types
                         if label != self.scheme.none_choice and label not in with_trigger]
            out.append(Analysis(t.spans, types, t.n_tokens, suggested))
        return out
