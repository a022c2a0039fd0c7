"""How far can a decision on top of one tagging pass move event types? Real dev only (test is never read).

For each dev article and trigger type, three scores from the one pass of a checkpoint:
- the trigger labels found (the spec's definition of an article's event types);
- token evidence: the best per-word probability of the type's trigger tags (B + I), found or not;
- the article head's probability.
It prints micro F1 (true, false and missed types) of the trigger labels, of each score with a threshold per
type tuned on dev itself (in-sample, so these figures flatter the rules), and every type the trigger labels
get wrong with its scores: a missed type whose scores are all near zero cannot be recovered by any threshold.

Usage: python bench/event_type_evidence.py [--checkpoint models/ner] [--part dev]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
GRID = np.round(np.arange(0.05, 1.0, 0.05), 2)


def counts(pred: np.ndarray, gold: np.ndarray) -> tuple[float, int, int, int]:
    tp, fp, fn = int((pred & gold).sum()), int((pred & ~gold).sum()), int((~pred & gold).sum())
    return (2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0), tp, fp, fn


def tuned_in_sample(scores: np.ndarray, gold: np.ndarray, types: list[str]) -> np.ndarray:
    """Thresholds tuned as training tunes them on dev (best F1 per type, ties the lowest), on these very articles."""
    from sitrep.runtime.event_types import tune_thresholds

    thresholds = tune_thresholds(scores, [[t for t, g in zip(types, row) if g] for row in gold], types, list(GRID),
                                 default=1.01)  # a type absent here is never predicted: it could only be false
    return (scores >= np.array([thresholds[t] for t in types])) & (scores > 0)


def pass_with_evidence(tagger, texts: list[str]) -> tuple[list, np.ndarray]:
    """One tagging pass, and per article and trigger type the token evidence: the best per-word
    probability of the type's B plus I tag, whether decoded or not ([articles, types])."""
    types = list(tagger.scheme.trigger_labels)
    columns = [(tagger.tags.index(f"B-{t}"), tagger.tags.index(f"I-{t}")) for t in types]
    evidence = []  # per article, in order: word_probs runs once per article with windows
    word_probs = tagger.word_probs

    def word_probs_keeping_evidence(tok, parts):
        probs = word_probs(tok, parts)
        evidence.append([(probs[:, b] + probs[:, i]).max() for b, i in columns])
        return probs

    tagger.word_probs = word_probs_keeping_evidence
    try:
        tagged = tagger.analyse(texts)
    finally:
        del tagger.word_probs  # the class method again
    if len(evidence) != len(texts):
        sys.exit("an article without windows (empty text) in the split; evidence cannot be aligned")
    return tagged, np.array(evidence, dtype=float).reshape(len(texts), len(types))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "models" / "ner"))
    parser.add_argument("--part", default="dev", choices=["train", "dev"], help="never test: it is read once")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT / "src"))
    from sitrep.annotated import load_annotated
    from sitrep.runtime.pipeline import ConflictModel
    from train.splits import read_split_file

    part = read_split_file(ROOT / "data" / "splits" / "real.yaml")
    docs = [d for d in load_annotated([ROOT / "data" / "annotated" / "real.json", ROOT / "data" / "annotated" / "seeds.json"])
            if part.get(d.id) == args.part]
    model = ConflictModel.load(args.checkpoint)
    tagger, types = model.tagger, list(model.scheme.trigger_labels)
    if tagger.head is None:
        sys.exit(f"{args.checkpoint}: no article head; this compares the head with the triggers")
    texts = [d.text for d in docs]
    tagged, ev = pass_with_evidence(tagger, texts)
    head = np.stack([t.head_probs for t in tagged])
    gold = np.array([[t in d.event_types for t in types] for d in docs])
    found = np.array([[any(s.label == t for s in a.spans) for t in types] for a in tagged])

    print(f"real {args.part}: {len(docs)} articles, {int(gold.sum())} gold event types; {args.checkpoint}\n")
    print("| rule | micro F1 | true | false | missed |\n|---|---:|---:|---:|---:|")
    rows = {"trigger labels (untuned)": found,
            "token evidence, thresholds tuned in-sample": tuned_in_sample(ev, gold, types),
            "article head, thresholds tuned in-sample": tuned_in_sample(head, gold, types),
            "mean of both, thresholds tuned in-sample": tuned_in_sample((ev + head) / 2, gold, types),
            "max of both, thresholds tuned in-sample": tuned_in_sample(np.maximum(ev, head), gold, types)}
    for name, pred in rows.items():
        f1, tp, fp, fn = counts(pred, gold)
        print(f"| {name} | {f1:.3f} | {tp} | {fp} | {fn} |")
    print("\nTypes the trigger labels get wrong, with the pass's other evidence for them:")
    print("| article | type | error | token evidence | article head |\n|---|---|---|---:|---:|")
    for i, d in enumerate(docs):
        for j, t in enumerate(types):
            if gold[i, j] != found[i, j]:
                print(f"| {d.id} | {t} | {'missed' if gold[i, j] else 'false'} | {ev[i, j]:.2f} | {head[i, j]:.2f} |")


if __name__ == "__main__":
    main()
