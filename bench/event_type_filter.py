"""Can a false-type filter calibrated out of fold beat the trigger labels? Real dev only (test is never read).

The trigger labels' errors on real dev are mostly false types (confident confusions); thresholds tuned on
dev itself did not carry over to test. This calibrates the filter on more data instead: K taggers of a
cross-validation run over the training articles (dev left out) tag the fold each did not see, and each
type found there becomes a row (its best and mean trigger score, trigger count, token evidence, article
head, the other types found, length). Filters fitted on those rows (per-type thresholds, logistic
regression, gradient boosting; their keep threshold chosen on the same rows) then decide which found types
the published checkpoint keeps on real dev. A filter can only drop types; missed ones stay missed.

First the cross-validation run (seed and K are read back from it), then this script from the repo root:

    python -m train seed=42 data.cv_folds=4 'data.dev=[]' data.dev_fraction=0 evaluate_test=false \
        publish=false hydra.run.dir=outputs/oof42
    python bench/event_type_filter.py outputs/oof42 [--checkpoint models/ner]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from event_type_evidence import counts, pass_with_evidence  # noqa: E402 - a sibling script, not a package

GRID = np.round(np.arange(0.0, 1.0, 0.05), 2)


def rows_of(checkpoint: Path, docs: list) -> list[dict]:
    """One row per article and trigger type, found or not, from one pass of the checkpoint."""
    from sitrep.runtime.pipeline import ConflictModel

    tagger = ConflictModel.load(checkpoint).tagger
    types = list(tagger.scheme.trigger_labels)
    tagged, evidence = pass_with_evidence(tagger, [d.text for d in docs])
    rows = []
    for doc, t, ev in zip(docs, tagged, evidence):
        scores: dict[str, list[float]] = {}
        for s in t.spans:
            if s.label in types:
                scores.setdefault(s.label, []).append(1.0 if s.score is None else float(s.score))
        for k, ty in enumerate(types):
            mine = scores.get(ty, [])
            rows.append({"doc": doc.id, "type": ty, "found": bool(mine), "gold": ty in doc.event_types,
                         "best": max(mine, default=0.0), "mean": float(np.mean(mine)) if mine else 0.0,
                         "n": len(mine), "evidence": float(ev[k]),
                         "head": float(t.head_probs[k]) if t.head_probs is not None else 0.0,
                         "n_types": len(scores), "n_tokens": t.n_tokens,
                         "other_best": max((max(v) for o, v in scores.items() if o != ty), default=0.0)})
    return rows


def matrix(rows: list[dict], types: list[str]) -> np.ndarray:
    return np.array([[r["best"], r["mean"], np.log1p(r["n"]), r["evidence"], r["head"], r["n_types"],
                      np.log1p(r["n_tokens"]) / 8, r["other_best"], r["head"] * r["best"]]
                     + [float(r["type"] == t) for t in types] for r in rows])


def score(rows: list[dict], keep) -> tuple[float, int, int, int]:
    """Micro F1, true, false and missed types of the rows kept."""
    return counts(np.array(list(keep), dtype=bool), np.array([r["gold"] for r in rows], dtype=bool))


def best_cut(rows: list[dict], p: np.ndarray) -> float:
    """Keep threshold with the best micro F1 on these rows (ties: the lowest)."""
    return max(GRID, key=lambda c: (score(rows, [r["found"] and q >= c for r, q in zip(rows, p)])[0], -c))


def filters(types: list[str]):
    """name -> fit(rows) -> predict(rows) -> keep flags."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    from sitrep.runtime.event_types import tune_thresholds

    def per_type(value):
        def fit(rows):
            # Scores of types not found are 0, which tune_thresholds never keeps: a filter only drops types.
            cut = {}
            for t in types:
                mine = [r for r in rows if r["type"] == t]
                scores = np.array([[value(r) if r["found"] else 0.0] for r in mine]).reshape(-1, 1)
                cut.update(tune_thresholds(scores, [[t] if r["gold"] else [] for r in mine], [t], list(GRID),
                                           default=0.0))
            return lambda rs: [r["found"] and value(r) >= cut[r["type"]] for r in rs]
        return fit

    def learned(make):
        def fit(rows):
            found = [r for r in rows if r["found"]]
            model = make().fit(matrix(found, types), [r["gold"] for r in found])

            def proba(rs):
                p = np.zeros(len(rs))
                idx = [i for i, r in enumerate(rs) if r["found"]]
                if idx:
                    p[idx] = model.predict_proba(matrix([rs[i] for i in idx], types))[:, 1]
                return p
            cut = best_cut(rows, proba(rows))
            return lambda rs: [r["found"] and q >= cut for r, q in zip(rs, proba(rs))]
        return fit

    return {
        "per-type threshold on the best trigger score": per_type(lambda r: r["best"]),
        "per-type threshold on mean(best trigger, head)": per_type(lambda r: (r["best"] + r["head"]) / 2),
        "per-type threshold on mean(token evidence, head)": per_type(lambda r: (r["evidence"] + r["head"]) / 2),
        "logistic regression (C=1)": learned(lambda: LogisticRegression(C=1.0, max_iter=2000)),
        "gradient boosting (depth 3)": learned(lambda: HistGradientBoostingClassifier(
            max_depth=3, max_iter=100, learning_rate=0.05, random_state=0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cv_run", type=Path, help="a python -m train run with data.cv_folds=K and no dev")
    parser.add_argument("--checkpoint", type=Path, default=ROOT / "models" / "ner")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT / "src"))
    from omegaconf import OmegaConf

    from sitrep.annotated import load_annotated
    from sitrep.scheme import SCHEME
    from train.splits import cv_splits, load_split, read_split_file

    cfg = OmegaConf.load(args.cv_run / ".hydra" / "config.yaml")
    if cfg.data.dev or not cfg.data.cv_folds or cfg.data.cv_folds < 2:
        sys.exit(f"{args.cv_run}: needs a cross-validation run without dev (data.cv_folds=K 'data.dev=[]' "
                 "data.dev_fraction=0), so that real dev is out of every fold")
    split = load_split(cfg.data, cfg.seed)
    real = {d.id for d in load_annotated([cfg.data.corpora.real])}
    types = list(SCHEME.trigger_labels)
    pool: list[dict] = []
    for fold in cv_splits(split, cfg.data.cv_folds, cfg.seed):
        for r in rows_of(args.cv_run / fold.name, fold.dev):
            r["real"] = r["doc"] in real
            pool.append(r)
    part = read_split_file(cfg.data.split_file)
    dev_docs = [d for d in load_annotated([cfg.data.corpora.real, cfg.data.corpora.seeds]) if part.get(d.id) == "dev"]
    dev = rows_of(args.checkpoint, dev_docs)

    base = score(dev, [r["found"] for r in dev])
    n_false = sum(r["found"] and not r["gold"] for r in pool)
    print(f"{args.cv_run}: {cfg.data.cv_folds} folds, seed {cfg.seed}; out-of-fold rows {len(pool)} "
          f"({sum(r['found'] for r in pool)} found types, {n_false} of them false); "
          f"real dev: {len(dev_docs)} articles, {args.checkpoint}\n")
    print("| filter | calibrated on | out-of-fold micro F1 | real dev micro F1 | true | false | missed | vs trigger labels |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    print(f"| none (trigger labels) | - | {score(pool, [r['found'] for r in pool])[0]:.3f} | {base[0]:.3f} | "
          f"{base[1]} | {base[2]} | {base[3]} | |")
    for calibration, rows in (("all folds", pool), ("real articles of the folds", [r for r in pool if r["real"]])):
        for name, fit in filters(types).items():
            keep = fit(rows)
            f1, tp, fp, fn = score(dev, keep(dev))
            print(f"| {name} | {calibration} | {score(rows, keep(rows))[0]:.3f} | {f1:.3f} | {tp} | {fp} | {fn} | "
                  f"{f1 - base[0]:+.3f} |")


if __name__ == "__main__":
    main()
