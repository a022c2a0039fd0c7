"""Train/dev/test and cross-validation splits: by article, seeded, reproducible."""

from __future__ import annotations

import random
from dataclasses import dataclass

from sitrep.annotated import load_annotated
from sitrep.document import Document


@dataclass
class Split:
    train: list[Document]
    dev: list[Document]
    test: list[Document]
    name: str = "main"


def _shuffled(docs: list[Document], seed: int) -> list[Document]:
    # Sort first so the split depends on the seed and the ids, not on file order.
    out = sorted(docs, key=lambda d: d.id)
    random.Random(seed).shuffle(out)
    return out


def load_split(data_cfg, seed: int) -> Split:
    pool = _shuffled(load_annotated(list(data_cfg.train)), seed)
    test = load_annotated(list(data_cfg.test)) if data_cfg.test else []
    # Held-out train-file articles join the test set, so reports can score them apart from the real ones.
    n_test = round(len(pool) * data_cfg.test_fraction)
    test, pool = test + pool[:n_test], pool[n_test:]
    if data_cfg.dev:
        dev = load_annotated(list(data_cfg.dev))
    else:
        n_dev = max(1, round(len(pool) * data_cfg.dev_fraction)) if len(pool) > 1 else 0
        dev, pool = pool[:n_dev], pool[n_dev:]
    train = pool[: data_cfg.train_limit] if data_cfg.train_limit else pool
    _check_disjoint(train, dev, test)
    return Split(train=train, dev=dev, test=test)


def cv_splits(split: Split, folds: int, seed: int) -> list[Split]:
    """K folds over train+dev, by article; each fold is dev once. The test set stays fixed."""
    pool = _shuffled(split.train + split.dev, seed)
    if folds > len(pool):
        raise ValueError(f"data.cv_folds={folds} exceeds the {len(pool)} train+dev articles")
    out = []
    for k in range(folds):
        dev = pool[k::folds]
        dev_ids = {d.id for d in dev}
        out.append(Split(train=[d for d in pool if d.id not in dev_ids], dev=dev, test=split.test, name=f"fold{k}"))
    return out


def _check_disjoint(train: list[Document], dev: list[Document], test: list[Document]) -> None:
    for a_name, a, b_name, b in (("train", train, "dev", dev), ("train", train, "test", test), ("dev", dev, "test", test)):
        shared = {d.id for d in a} & {d.id for d in b}
        if shared:
            raise ValueError(f"articles in both {a_name} and {b_name}: {sorted(shared)[:5]}; splits are by article")
