"""`python -m infer engine=ray`: the same tagger as a Ray Data pipeline.

A thin adapter: Ray reads JSONL or Parquet, an actor pool runs
:class:`infer.run.ArticleTagger` (each actor loads the checkpoints once), and
the records come back to the driver in input order, where the local engine's
writer takes over. ``ray.address`` points at a cluster; without it Ray starts
locally.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from omegaconf import DictConfig, OmegaConf

from infer.inputs import Item, check_text
from infer.tagger import resolve_precision


class TagBatch:
    """Ray actor: checkpoints loaded once, then batch after batch of articles."""

    def __init__(self, cfg: dict):
        from infer.run import ArticleTagger

        self.cfg = OmegaConf.create(cfg)
        self.tagger = ArticleTagger(self.cfg)

    def __call__(self, batch: dict) -> dict:
        items = []
        columns = [c for c in batch if c not in ("id", "text")]
        for i, (item_id, text) in enumerate(zip(batch["id"], batch["text"])):
            meta = {c: _plain(batch[c][i]) for c in columns if _plain(batch[c][i]) is not None}
            checked, error = check_text(text if isinstance(text, str) else ("" if text is None else text), self.cfg.max_chars)
            items.append(Item(str(item_id), checked, meta, f"{self.cfg.input}: {error}" if error else None))
        records, tokens = self.tagger.tag(items)
        return {"record": [json.dumps(r, ensure_ascii=False) for r in records], "tokens": tokens}


def _plain(value):
    """numpy / arrow scalars -> JSON-ready Python values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _dataset(cfg: DictConfig):
    import ray

    path = str(cfg.input)
    # Reading is light; it reserves no CPU so that the actor pool can hold every CPU without starving it.
    if path.endswith(".parquet") or Path(path).is_dir() and any(Path(path).glob("*.parquet")):
        return ray.data.read_parquet(path, num_cpus=cfg.ray.read_cpus)
    if path.endswith((".jsonl", ".ndjson", ".json")):
        return ray.data.read_json(path, lines=True, num_cpus=cfg.ray.read_cpus)
    raise ValueError(f"input={path}: engine=ray reads JSONL or Parquet; convert .txt folders with engine=local")


def ray_records(cfg: DictConfig) -> tuple[Iterator[tuple[list[dict], list[int]]], str, str]:
    import ray

    if not ray.is_initialized():
        ray.init(address=cfg.ray.address or None, num_cpus=None if cfg.ray.address else cfg.ray.num_cpus,
                 include_dashboard=False, log_to_driver=False, configure_logging=False)
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # records come back in input order
    context.enable_progress_bars = False
    worker_cfg = OmegaConf.to_container(cfg, resolve=True)
    worker_cfg["num_threads"] = cfg.ray.cpus_per_worker
    worker_cfg["checkpoint"] = str(Path(cfg.checkpoint).resolve())
    if cfg.classifier:
        worker_cfg["classifier"] = str(Path(cfg.classifier).resolve())
    tagged = _dataset(cfg).map_batches(
        TagBatch, fn_constructor_kwargs={"cfg": worker_cfg}, concurrency=cfg.ray.num_workers,
        batch_size=cfg.chunk_articles, num_cpus=cfg.ray.cpus_per_worker, batch_format="numpy",
    )

    def stream():
        for batch in tagged.iter_batches(batch_size=cfg.chunk_articles, batch_format="numpy"):
            yield [json.loads(r) for r in batch["record"]], [int(t) for t in batch["tokens"]]

    version = cfg.model_version or Path(cfg.checkpoint).resolve().name
    import torch

    return stream(), version, resolve_precision(cfg.precision, torch.device(cfg.device or "cpu"))
