"""Article event types from one tagging pass: decision rules, their thresholds, and tuning them on dev.

Three rules, compared on the real dev set (README, "Event types"):

- ``triggers``: a type is present when a trigger of that type is, with a
  per-type threshold on its best trigger's score (0 reproduces the spec's
  definition: the set of trigger labels found);
- ``head``: the article head's probability passes a per-type threshold;
- ``combined``: the mean of both scores passes a per-type threshold, so a
  strong head can add a type whose trigger was missed and a weak lone trigger
  can be overruled.

The rule and its thresholds live in ``event_types.json`` beside the tagger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sitrep.document import Span
from sitrep.scheme import SCHEME, LabelScheme

DECISION_FILE = "event_types.json"
RULES = ("triggers", "head", "combined")


def trigger_scores(spans: list[Span], types: list[str]) -> np.ndarray:
    """Per type, the best score of a trigger of that type (0 when none)."""
    best = np.zeros(len(types), dtype=np.float32)
    index = {t: i for i, t in enumerate(types)}
    for span in spans:
        i = index.get(span.label)
        if i is not None:
            best[i] = max(best[i], float(span.score if span.score is not None else 1.0))
    return best


@dataclass
class EventTypeDecision:
    rule: str = "triggers"
    thresholds: dict[str, float] = field(default_factory=dict)
    tuned_on: str | None = None

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"event-type rule must be one of {', '.join(RULES)}, not {self.rule!r}")

    def scores(self, trig: np.ndarray, head: np.ndarray | None) -> np.ndarray:
        if self.rule == "triggers" or head is None:
            return trig
        return head if self.rule == "head" else (head + trig) / 2.0

    def decide(self, spans: list[Span], head_probs: np.ndarray | None,
               scheme: LabelScheme = SCHEME) -> list[tuple[str, float]]:
        """[(type, score)] of one article, or [(NONE, 1 - best score)] when no type passes."""
        types = list(scheme.trigger_labels)
        s = self.scores(trigger_scores(spans, types), head_probs)
        chosen = [(t, round(float(s[i]), 4)) for i, t in enumerate(types)
                  if s[i] > 0 and s[i] >= self.thresholds.get(t, 0.0)]
        if self.rule == "triggers" or head_probs is None:
            # Trigger rule: a type needs a trigger above its threshold (0 keeps every trigger).
            chosen = [(t, v) for t, v in chosen if v > 0]
        return chosen or [(scheme.none_choice, round(float(1.0 - s.max(initial=0.0)), 4))]

    def to_dict(self) -> dict:
        return {"rule": self.rule, "thresholds": self.thresholds, "tuned_on": self.tuned_on}

    def save(self, folder: str | Path) -> None:
        (Path(folder) / DECISION_FILE).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path) -> "EventTypeDecision":
        from sitrep.checkpoint import CheckpointError

        path = Path(folder) / DECISION_FILE
        if not path.is_file():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(data.get("rule", "triggers"), {k: float(v) for k, v in (data.get("thresholds") or {}).items()},
                       data.get("tuned_on"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path}: corrupt ({str(exc).splitlines()[0]}); restore it from the training run") from None


def tune_thresholds(scores: np.ndarray, gold: list[list[str]], types: list[str], grid: list[float],
                    default: float) -> dict[str, float]:
    """Per type, the grid threshold with the best dev F1 (ties: the lowest); ``default`` for types absent from dev."""
    from sklearn.metrics import f1_score  # training only: tagging need not import scikit-learn

    out = {}
    for j, t in enumerate(types):
        truth = np.array([t in g for g in gold])
        if not truth.any():
            out[t] = float(default)
            continue
        best, best_f1 = float(default), -1.0
        for th in grid:
            pred = (scores[:, j] >= th) & (scores[:, j] > 0)
            f1 = f1_score(truth, pred, zero_division=0.0)
            if f1 > best_f1 + 1e-9:
                best, best_f1 = float(th), f1
        out[t] = best
    return out
