"""Train/dev/test and cross-validation splits: by article, reproducible.

The data config names corpora (``authored``, ``real``, ``seeds``: annotated
files) and says which feed each part: ``NAME`` takes a whole corpus,
``NAME:PART`` only its documents that the split file puts in ``PART``. The
split file (``data/splits/real.yaml``) fixes the real documents' parts by id,
so the split is a file in the repo, not a seed; a document that the file
puts in one part can never be drawn into another.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import yaml

from sitrep.annotated import load_annotated
from sitrep.document import Document

PARTS = ("train", "dev", "test")


class SplitError(ValueError):
    pass


@dataclass
class Split:
    train: list[Document]
    dev: list[Document]
    test: list[Document]
    name: str = "main"


def read_split_file(path: str | Path) -> dict[str, str]:
    """Document id -> part. Ids stay strings (no YAML number or date guessing); one part per id."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader) or {}
    except OSError as exc:
        raise SplitError(f"{path}: cannot read the split file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise SplitError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(raw, dict) or set(raw) - set(PARTS):
        raise SplitError(f"{path}: a split file maps {', '.join(PARTS)} to lists of document ids")
    part_of: dict[str, str] = {}
    for part in PARTS:
        ids = raw.get(part) or []
        if not isinstance(ids, list):
            raise SplitError(f"{path}: '{part}' must be a list of document ids")
        for doc_id in ids:
            if doc_id in part_of:
                raise SplitError(f"{path}: document {doc_id} is in both {part_of[doc_id]} and {part}; "
                                 "a document belongs to one part")
            part_of[doc_id] = part
    return part_of


def _shuffled(docs: list[Document], seed: int) -> list[Document]:
    # Sort first so the order depends on the seed and the ids, not on file order.
    out = sorted(docs, key=lambda d: d.id)
    random.Random(seed).shuffle(out)
    return out


class Corpora:
    """Resolves the data config's source entries into documents, loading each file once."""

    def __init__(self, data_cfg):
        self.paths = dict(data_cfg.get("corpora") or {})
        self.part_of = read_split_file(data_cfg.split_file) if data_cfg.get("split_file") else {}
        self.limits = dict(data_cfg.get("limit") or {})
        self._cache: dict[str, list[Document]] = {}

    def _file(self, name: str) -> list[Document]:
        if name not in self._cache:
            self._cache[name] = load_annotated([self.paths.get(name, name)])
        return self._cache[name]

    def resolve(self, entry: str, seed: int, used_as: str) -> list[Document]:
        """Documents of one entry (``NAME``, ``NAME:PART`` or a file path)."""
        name, sep, part = str(entry).rpartition(":")
        if not sep or part not in PARTS:
            name, part = str(entry), ""
        docs = self._file(name)
        if part:
            docs = [d for d in docs if self.part_of.get(d.id) == part]
            if not docs:
                raise SplitError(f"data entry {entry}: no document of {name} is in the split file's '{part}' part")
        wrong = [d.id for d in docs if self.part_of.get(d.id, used_as) != used_as]
        if wrong:
            raise SplitError(f"data entry {entry} puts {len(wrong)} document(s) into {used_as}, but the split file "
                             f"has them elsewhere (e.g. {wrong[0]} is in {self.part_of[wrong[0]]})")
        limit = self.limits.get(name)
        if used_as == "train" and limit is not None:
            docs = _shuffled(docs, seed)[: int(limit)]
        return docs

    def gather(self, entries, seed: int, used_as: str) -> list[Document]:
        return [d for entry in entries or [] for d in self.resolve(entry, seed, used_as)]


def load_split(data_cfg, seed: int) -> Split:
    corpora = Corpora(data_cfg)
    pool = _shuffled(corpora.gather(data_cfg.train, seed, "train"), seed)
    test = corpora.gather(data_cfg.test, seed, "test")
    # Held-out train articles join the test set when asked (for corpora without a split file).
    n_test = round(len(pool) * (data_cfg.get("test_fraction") or 0))
    test, pool = test + pool[:n_test], pool[n_test:]
    dev = corpora.gather(data_cfg.dev, seed, "dev")
    if not dev and data_cfg.get("dev_fraction"):
        n_dev = max(1, round(len(pool) * data_cfg.dev_fraction)) if len(pool) > 1 else 0
        dev, pool = pool[:n_dev], pool[n_dev:]
    train = pool[: data_cfg.train_limit] if data_cfg.get("train_limit") else pool
    if not train:
        raise SplitError("no training articles: data.train selects none (check data.train, data.limit and the split file)")
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
            raise SplitError(f"articles in both {a_name} and {b_name}: {sorted(shared)[:5]}; splits are by article")
