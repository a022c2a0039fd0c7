"""One tagging run: read articles -> tag in chunks -> append records -> derive the other outputs."""

from __future__ import annotations

import itertools
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Iterable, Iterator

import torch
from omegaconf import DictConfig

from infer.inputs import Item, read_items
from infer.outputs import PredictionLog, iter_records, write_events_csv, write_json_atomic, write_labelstudio, SUMMARY
from infer.tagger import EventTypeClassifier, SpanTagger
from sitrep.events import event_records, event_types_from_triggers, span_record
from sitrep.scheme import SCHEME

log = logging.getLogger("infer")


class ArticleTagger:
    """Checkpoints loaded once; turns items into prediction records. Knows nothing of files or engines."""

    def __init__(self, cfg: DictConfig):
        if cfg.num_threads:
            torch.set_num_threads(int(cfg.num_threads))
        # max_length/stride left null mean: as each checkpoint was trained.
        common = dict(batch_size=cfg.batch_size, precision=cfg.precision, device=cfg.device,
                      max_length=cfg.max_length, stride=cfg.stride)
        self.tagger = SpanTagger.load(cfg.checkpoint, SCHEME, **common)
        self.classifier = None
        if cfg.classifier and Path(cfg.classifier).exists():
            self.classifier = EventTypeClassifier.load(cfg.classifier, SCHEME, **common)
        elif cfg.classifier:
            log.warning("no classifier at %s: event types come from the triggers found", cfg.classifier)
        self.model_version = model_version(cfg)
        self.precision = self.tagger.runner.precision

    def tag(self, items: list[Item]) -> tuple[list[dict], list[int]]:
        """Records in item order (error records for bad items), and the tokens each took."""
        good = [it for it in items if it.error is None]
        texts = [it.text for it in good]
        tagged = self.tagger.tag_with_tokens(texts) if good else []
        types = self.classifier.predict(texts) if self.classifier and good else None
        out: dict[int, dict] = {}
        tokens: dict[int, int] = {}
        for k, (item, (spans, n_tokens)) in enumerate(zip(good, tagged)):
            tokens[id(item)] = n_tokens
            record = {
                "id": item.id,
                "text": item.text,
                "spans": [span_record(item.text, s) for s in spans],
                "event_types": ([{"label": t, "score": s} for t, s in types[k]] if types
                                else event_types_from_triggers(spans, SCHEME)),
                "events": event_records(item.text, spans, SCHEME),
                "score": round(sum(s.score for s in spans) / len(spans), 4) if spans else None,
                "meta": item.meta,
            }
            out[id(item)] = record
        records = [out.get(id(it)) or {"id": it.id, "error": it.error, "meta": it.meta} for it in items]
        return records, [tokens.get(id(it), 0) for it in items]


def model_version(cfg: DictConfig) -> str:
    return cfg.model_version or Path(cfg.checkpoint).resolve().name


def _chunks(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _skip_done(items: Iterable[Item], done: Counter) -> Iterator[Item]:
    """Items a previous run did not record; counts per id, so repeated ids resume exactly."""
    seen: Counter[str] = Counter()
    for item in items:
        seen[item.id] += 1
        if seen[item.id] > done[item.id]:
            yield item


def local_records(cfg: DictConfig, done: Counter) -> tuple[Iterator[tuple[list[dict], list[int]]], str, str]:
    """The in-process engine: chunks of records in input order, skipping what a previous run recorded."""
    tagger = ArticleTagger(cfg)
    items = _skip_done(read_items(cfg.input, cfg.max_chars), done)
    return (tagger.tag(chunk) for chunk in _chunks(items, cfg.chunk_articles)), tagger.model_version, tagger.precision


def run(cfg: DictConfig) -> dict:
    out = Path(cfg.output)
    started = time.perf_counter()
    predictions = PredictionLog(out, resume=cfg.resume)
    if cfg.engine == "local":
        stream, version, precision = local_records(cfg, predictions.done)
    elif cfg.engine == "ray":
        if cfg.resume:
            raise ValueError("resume=true is for engine=local; a Ray run writes its output whole")
        from infer.ray_engine import ray_records

        stream, version, precision = ray_records(cfg)
    else:
        raise ValueError(f"engine must be local or ray, not {cfg.engine!r}")
    resumed = sum(predictions.done.values())
    n_articles = tokens = 0
    failures = []
    progress = None
    if cfg.progress_bar:
        from tqdm import tqdm

        progress = tqdm(unit="article", desc="tagging", smoothing=0.1)
    try:
        for records, n_tokens in stream:
            predictions.append(records)
            tokens += sum(n_tokens)
            n_articles += len(records)
            failures += [{"id": r["id"], "error": r["error"]} for r in records if "error" in r]
            if progress is not None:
                progress.update(len(records))
    finally:
        predictions.close()
        if progress is not None:
            progress.close()
    seconds = time.perf_counter() - started
    # Failures of the run that was resumed count too: the outputs hold them.
    all_failures = [{"id": r["id"], "error": r["error"]} for r in iter_records(out) if "error" in r] if resumed else failures
    n_events = write_events_csv(out)
    n_tasks = write_labelstudio(out, version)
    summary = {
        "input": str(cfg.input),
        "output": str(out),
        "engine": cfg.engine,
        "checkpoint": str(cfg.checkpoint),
        "classifier": str(cfg.classifier) if cfg.classifier and Path(cfg.classifier).exists() else None,
        "model_version": version,
        "precision": precision,
        "articles": n_articles + resumed,
        "articles_this_run": n_articles,
        "resumed_from": resumed,
        "failures": len(all_failures),
        "failed": all_failures,
        "events": n_events,
        "labelstudio_tasks": n_tasks,
        "tokens": tokens,
        "seconds": round(seconds, 2),
        "tokens_per_second": round(tokens / seconds, 1) if seconds else None,
        "articles_per_second": round(n_articles / seconds, 2) if seconds else None,
    }
    write_json_atomic(out / SUMMARY, summary)
    return summary


def format_summary(summary: dict) -> str:
    lines = [
        f"tagged {summary['articles']} article(s) into {summary['output']}/ "
        f"({summary['events']} events, {summary['failures']} failure(s))",
        f"{summary['tokens']:,} tokens in {summary['seconds']} s: {summary['tokens_per_second']} tokens/s, "
        f"{summary['articles_per_second']} articles/s ({summary['precision']})",
    ]
    if summary["resumed_from"]:
        lines.append(f"resumed: {summary['resumed_from']} article(s) were already done")
    for failure in summary["failed"]:
        lines.append(f"failed: {failure['id']}: {failure['error']}")
    return "\n".join(lines)
