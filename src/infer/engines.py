"""Engines: where the tagging of chunks of articles runs. Built from ``configs/engine/*.yaml`` by instantiate.

Both engines take the same chunks of :class:`~sitrep.articles.Item` (read,
checked and de-duplicated by the driver) and give back, in input order, the
records of each chunk and the tokens each article took. So reading, error
records, resume and outputs are the same whatever the engine; only where the
model runs differs.
"""

from __future__ import annotations

from collections import deque
from itertools import cycle
from pathlib import Path
from typing import Iterable, Iterator

from omegaconf import DictConfig, OmegaConf

from infer.tagging import ArticleTagger
from sitrep.articles import Item

Chunk = list[Item]
Tagged = tuple[list[dict], list[int]]


class LocalEngine:
    """Tag in this process: one model, chunk after chunk."""

    def __init__(self, **_):
        self.tagger: ArticleTagger | None = None
        self.model_version = self.precision = ""

    def start(self, cfg: DictConfig) -> None:
        self.tagger = ArticleTagger(cfg)
        self.model_version, self.precision = self.tagger.model_version, self.tagger.precision

    def tag(self, chunks: Iterable[Chunk]) -> Iterator[Tagged]:
        for chunk in chunks:
            yield self.tagger.tag(chunk)

    def close(self) -> None:
        self.tagger = None


class _TagActor:
    """A Ray actor: the checkpoint loaded once, then chunk after chunk."""

    def __init__(self, cfg: dict):
        self.tagger = ArticleTagger(OmegaConf.create(cfg))

    def info(self) -> tuple[str, str]:
        return self.tagger.model_version, self.tagger.precision

    def tag(self, chunk: Chunk) -> Tagged:
        return self.tagger.tag(chunk)


class RayEngine:
    """A pool of Ray actors, each with its own copy of the model; chunks go round-robin, records come back in order.

    ``address`` points at a cluster (``ray://host:10001`` or ``auto``); without it Ray starts locally with
    ``num_cpus``. At most ``2 x num_workers`` chunks are in flight, so memory stays bounded on any input.
    """

    def __init__(self, address: str | None = None, num_cpus: int = 2, num_workers: int = 2,
                 cpus_per_worker: int = 1, **_):
        self.address, self.num_cpus = address, num_cpus
        self.num_workers, self.cpus_per_worker = num_workers, cpus_per_worker
        self.actors: list = []
        self._info = ("", "")

    def start(self, cfg: DictConfig) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(address=self.address or None, num_cpus=None if self.address else self.num_cpus,
                     include_dashboard=False, log_to_driver=False, configure_logging=False)
        worker_cfg = OmegaConf.to_container(cfg, resolve=True)
        worker_cfg["num_threads"] = self.cpus_per_worker
        worker_cfg["checkpoint"] = str(Path(cfg.checkpoint).resolve())
        if cfg.classifier:
            worker_cfg["classifier"] = str(Path(cfg.classifier).resolve())
        actor_class = ray.remote(num_cpus=self.cpus_per_worker)(_TagActor)
        self.actors = [actor_class.remote(worker_cfg) for _ in range(self.num_workers)]
        self._info = ray.get(self.actors[0].info.remote())  # fails here, once, if the checkpoint is bad

    @property
    def model_version(self) -> str:
        return self._info[0]

    @property
    def precision(self) -> str:
        return self._info[1]

    def tag(self, chunks: Iterable[Chunk]) -> Iterator[Tagged]:
        import ray

        inflight: deque = deque()
        actors = cycle(self.actors)
        for chunk in chunks:
            inflight.append(next(actors).tag.remote(chunk))
            if len(inflight) >= 2 * len(self.actors):
                yield ray.get(inflight.popleft())
        while inflight:
            yield ray.get(inflight.popleft())

    def close(self) -> None:
        import ray

        for actor in self.actors:
            ray.kill(actor)
        self.actors = []
