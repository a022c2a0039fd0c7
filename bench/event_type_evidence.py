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


def tuned_in_sample(scores: np.ndarray, gold: np.ndarray) -> np.ndarray:
    """Per type, the grid threshold with the best F1 on these very articles (ties: the lowest)."""
    pred = np.zeros_like(gold)
    for j in range(gold.shape[1]):
        if not gold[:, j].any():
            continue  # a type absent here: predicting it can only add false types
        best = max(GRID, key=lambda th: (counts(scores[:, j] >= th, gold[:, j])[0], -th))
        pred[:, j] = scores[:, j] >= best
    return pred


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "models" / "ner"))
    parser.add_argument("--part", default="dev", choices=["train", "dev"], help="never test: it is read once")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT / "src"))
    from sitrep.annotated import load_annotated
    from sitrep.runtime.merge import merge_windows
    from sitrep.runtime.pipeline import ConflictModel
    from sitrep.runtime.windows import softmax
    from train.splits import read_split_file

    part = read_split_file(ROOT / "data" / "splits" / "real.yaml")
    docs = [d for d in load_annotated([ROOT / "data" / "annotated" / "real.json", ROOT / "data" / "annotated" / "seeds.json"])
            if part.get(d.id) == args.part]
    model = ConflictModel.load(args.checkpoint)
    tagger, types = model.tagger, list(model.scheme.trigger_labels)
    if tagger.head is None:
        sys.exit(f"{args.checkpoint}: no article head; this compares the head with the triggers")
    columns = [(tagger.tags.index(f"B-{t}"), tagger.tags.index(f"I-{t}")) for t in types]

    evidence = []
    decode = tagger._decode

    def decode_keeping_evidence(tok, parts):
        row = np.zeros(len(types))
        if parts:
            logits = merge_windows(tok.n_tokens, [(w.start, w.end, out.tokens) for w, out in parts])
            probs = softmax(logits[np.asarray(tok.word_first_token, dtype=np.int64)])
            row = np.array([(probs[:, b] + probs[:, i]).max() for b, i in columns])
        evidence.append(row)
        return decode(tok, parts)

    tagger._decode = decode_keeping_evidence
    tagged = tagger.analyse([d.text for d in docs])
    ev = np.stack(evidence)
    head = np.stack([t.head_probs for t in tagged])
    gold = np.array([[t in d.event_types for t in types] for d in docs])
    found = np.array([[any(s.label == t for s in a.spans) for t in types] for a in tagged])

    print(f"real {args.part}: {len(docs)} articles, {int(gold.sum())} gold event types; {args.checkpoint}\n")
    print("| rule | micro F1 | true | false | missed |\n|---|---:|---:|---:|---:|")
    rows = {"trigger labels (untuned)": found,
            "token evidence, thresholds tuned in-sample": tuned_in_sample(ev, gold),
            "article head, thresholds tuned in-sample": tuned_in_sample(head, gold),
            "mean of both, thresholds tuned in-sample": tuned_in_sample((ev + head) / 2, gold),
            "max of both, thresholds tuned in-sample": tuned_in_sample(np.maximum(ev, head), gold)}
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
