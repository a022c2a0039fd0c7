"""One tagging run, top to bottom.

settings checked -> input opened -> checkpoint loaded (still nothing written)
-> chunks tagged by the engine and appended to the partial file -> the partial
file becomes predictions.jsonl -> events.csv, labelstudio.json, summary.json
derived from it. A run that stops early (an error, Ctrl-C, a kill) leaves the
earlier outputs untouched and can be finished with ``resume=true``.
"""

from __future__ import annotations

import itertools
import logging
import time
from pathlib import Path
from typing import Iterable, Iterator

from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf

from infer.outputs import (SUMMARY, PredictionLog, checkpoint_fingerprint, input_fingerprint, write_derived,
                           write_json_atomic)
from infer.settings import check_paths, check_settings
from sitrep.articles import InputError, Item, read_items
from sitrep.event_scores import summary_by

log = logging.getLogger("infer")


def _chunks(items: Iterable[Item], size: int, max_chars: int) -> Iterator[list[Item]]:
    """Runs of at most ``size`` articles and, past the first article, at most ``max_chars`` characters.

    A full chunk goes out at once, before the next article is read: on stdin that article may not exist yet.
    """
    chunk: list[Item] = []
    chars = 0
    for item in items:
        n = len(item.text or "")
        if chunk and chars + n > max_chars:
            yield chunk
            chunk, chars = [], 0
        chunk.append(item)
        chars += n
        if len(chunk) == size:
            yield chunk
            chunk, chars = [], 0
    if chunk:
        yield chunk


def _non_empty(items: Iterator[Item], spec: str) -> Iterator[Item]:
    """The items, or an InputError before anything is written when there are none at all."""
    first = next(items, None)
    if first is None:
        raise InputError(f"input={spec}: holds no articles")
    yield first
    yield from items


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a run: the message says how to finish it."""


def run(cfg: DictConfig) -> dict:
    settings = check_settings(cfg)
    check_paths(settings)
    out = Path(settings.output)
    notes: list[str] = []
    items = _non_empty(read_items(settings.input, settings.max_chars, notes), settings.input)
    first = next(items)  # the input exists and holds an article: now load the model
    items = itertools.chain([first], items)
    engine = instantiate(cfg.engine)
    engine.start(cfg)
    started = time.perf_counter()
    predictions = PredictionLog(out, resume=settings.resume, fingerprint={
        **input_fingerprint(settings.input), "checkpoint": checkpoint_fingerprint(settings.checkpoint)})
    resumed = len(predictions.done)
    n_articles = tokens = 0
    progress = None
    if settings.progress_bar:
        from tqdm import tqdm

        progress = tqdm(unit="article", desc="tagging", smoothing=0.1, initial=resumed)
    try:
        for records, n_tokens in engine.tag(_chunks(predictions.skip_done(items), settings.chunk_articles,
                                                         settings.chunk_chars)):
            predictions.append(records)
            tokens += sum(n_tokens)
            n_articles += len(records)
            if progress is not None:
                progress.update(len(records))
    except KeyboardInterrupt:
        predictions.close()
        raise Interrupted(f"interrupted after {resumed + n_articles} article(s); the earlier outputs in {out}/ are "
                          "untouched. Finish this run with the same command and resume=true") from None
    finally:
        engine.close()
        if progress is not None:
            progress.close()
    predictions.finish()
    seconds = time.perf_counter() - started
    derived = write_derived(out, engine.model_version)
    failures, events = derived.failures, derived.events
    (out / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
    summary = {
        "input": str(settings.input),
        "output": str(out),
        "engine": OmegaConf.select(cfg, "engine._target_"),
        "checkpoint": str(settings.checkpoint),
        "classifier": settings.classifier,
        "model_version": engine.model_version,
        "precision": engine.precision,
        "articles": n_articles + resumed,
        "articles_this_run": n_articles,
        "resumed_from": resumed,
        "failures": len(failures),
        "failed": failures,
        "input_notes": notes,
        "events": len(events),
        "events_by_country": summary_by(events, "country"),
        "events_by_type": summary_by(events, "event_type"),
        "labelstudio_tasks": derived.tasks,
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
    lines += [f"note: {n}" for n in summary.get("input_notes", [])]
    for failure in summary["failed"]:
        lines.append(f"failed: {failure['id']}: {failure['error']}")
    return "\n".join(lines)
