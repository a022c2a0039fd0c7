"""The separate event-type classifier (a second model pass): kept for old ``models/event_types`` folders
and for comparison with the one-pass article head. Windows are scored and max-pooled per article;
NONE when no type passes its threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sitrep.checkpoint import check_checkpoint
from sitrep.runtime.loading import load_pretrained, load_tokenizer
from sitrep.runtime.tagger import load_kwargs
from sitrep.runtime.windows import WindowRunner, sigmoid
from sitrep.scheme import SCHEME, LabelScheme

THRESHOLDS_KEY = "sitrep_thresholds"


class EventTypeClassifier:
    """Text -> event types with scores; NONE when no type passes its threshold."""

    task = "event_types"

    def __init__(self, model, tokenizer, scheme: LabelScheme = SCHEME, max_length: int = 256, stride: int = 64,
                 batch_size: int = 32, precision: str = "auto", device: str | None = None,
                 thresholds: dict[str, float] | None = None, pooling: str = "max"):
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        if labels != list(scheme.trigger_labels):
            raise ValueError(f"classifier types {labels} differ from the scheme's {list(scheme.trigger_labels)}")
        self.scheme = scheme
        self.labels = labels
        saved = getattr(model.config, THRESHOLDS_KEY, None) or {}
        self.thresholds = {t: float((thresholds or saved).get(t, 0.5)) for t in labels}
        if pooling not in ("max", "mean"):
            raise ValueError(f"pooling must be max or mean, not {pooling!r}")
        self.pooling = pooling
        self.runner = WindowRunner(model, tokenizer, max_length, stride, batch_size, precision, device)

    @classmethod
    def load(cls, path: str | Path, scheme: LabelScheme = SCHEME, **kwargs) -> "EventTypeClassifier":
        from transformers import AutoModelForSequenceClassification

        path = check_checkpoint(path, cls.task, scheme)
        model = load_pretrained(AutoModelForSequenceClassification, path)
        return cls(model, load_tokenizer(path), scheme, **load_kwargs(path, kwargs))

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """[articles, types]: window probabilities pooled per article."""
        toks = self.runner.tokenize(texts)
        windows = self.runner.windows(toks)
        outputs = self.runner.run(toks, windows)
        pooled = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        grouped: dict[int, list[np.ndarray]] = {}
        for w, out in zip(windows, outputs):
            grouped.setdefault(w.doc, []).append(sigmoid(out.window))
        for doc, probs in grouped.items():
            stack = np.stack(probs)
            pooled[doc] = stack.max(axis=0) if self.pooling == "max" else stack.mean(axis=0)
        return pooled

    def decide(self, probs: np.ndarray) -> list[list[tuple[str, float]]]:
        out = []
        for row in probs:
            chosen = [(t, round(float(p), 4)) for t, p in zip(self.labels, row) if p >= self.thresholds[t]]
            out.append(chosen or [(self.scheme.none_choice, round(float(1.0 - row.max(initial=0.0)), 4))])
        return out

    def predict(self, texts: list[str]) -> list[list[tuple[str, float]]]:
        return self.decide(self.probabilities(texts))
