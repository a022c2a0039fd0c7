"""One training run, top to bottom: config -> data -> windows -> model -> Trainer -> scores -> checkpoint."""

from __future__ import annotations

import json
import logging
import os
import shutil
import statistics
import time
from pathlib import Path

import torch
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from transformers import TrainerCallback

from sitrep.checkpoint import publish, write_scheme
from sitrep.report import build_report
from sitrep.report_render import rerender, write_report
from sitrep.runtime.memory import keep_freed_memory
from sitrep.runtime.windows import resolve_precision
from sitrep.scheme import SCHEME
from train.model_card import write_model_card
from train.splits import Split, cv_splits, load_split

log = logging.getLogger("train")


class LostSpansError(RuntimeError):
    pass


def is_main_process() -> bool:
    """Rank 0 of a torchrun / accelerate launch, or a plain single process."""
    return int(os.environ.get("RANK", "0")) == 0


def _hydra_run_dir() -> tuple[Path | None, bool]:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    if not HydraConfig.initialized():
        return None, False
    hc = HydraConfig.get()
    return Path(hc.runtime.output_dir), hc.mode == RunMode.MULTIRUN


def train(cfg: DictConfig, run_dir: str | Path | None = None) -> dict:
    """Fit the configured task; return (and save) its metrics. The entry point of `python -m train`."""
    hydra_dir, multirun = _hydra_run_dir()
    run_dir = Path(run_dir or hydra_dir or Path(cfg.paths.log_dir) / "train" / cfg.task.name / time.strftime("%Y%m%d-%H%M%S"))
    run_dir.mkdir(parents=True, exist_ok=True)
    if cfg.trainer.num_threads:
        torch.set_num_threads(int(cfg.trainer.num_threads))
    keep_freed_memory(cfg.trainer.get("keep_freed_bytes") or 0)

    split = load_split(cfg.data, cfg.seed)
    backbone = instantiate(cfg.model)
    tokenizer = backbone.load_tokenizer()
    task = instantiate(cfg.task, max_length=cfg.data.max_length, stride=cfg.data.stride, _convert_="all")
    log.info("%s on %s: %d train, %d dev, %d test articles", task.name, backbone.name,
             len(split.train), len(split.dev), len(split.test))

    if cfg.get("seeds"):
        # One fit per seed on the same split (the hyperparameter search's objective is their mean dev F1).
        runs = []
        for seed in cfg.seeds:
            seeded = cfg.copy()
            seeded.seed = int(seed)
            runs.append(fit(seeded, split, backbone, tokenizer, task, run_dir / f"seed{seed}"))
        if not is_main_process():
            return {"task": task.name, "seeds": runs}
        metrics = {"task": task.name, "model": backbone.name, "seeds": list(cfg.seeds),
                   "over_seeds": summarise_folds(runs), "runs": runs}
    elif cfg.data.cv_folds and cfg.data.cv_folds > 1:
        folds = [fit(cfg, fold, backbone, tokenizer, task, run_dir / fold.name) for fold in cv_splits(split, cfg.data.cv_folds, cfg.seed)]
        if not is_main_process():
            return {"task": task.name, "folds": folds}
        metrics = {"task": task.name, "model": backbone.name, "cv_folds": len(folds),
                   "cv": summarise_folds(folds), "folds": folds}
        if cfg.report and folds and "report" in folds[0]:
            metrics["report"] = str(rerender(Path(folds[0]["report"]).parent, {"cv": metrics["cv"]}))
    else:
        metrics = fit(cfg, split, backbone, tokenizer, task, run_dir / "checkpoint")
        if not is_main_process():
            return metrics  # rank 0 alone evaluates, saves, publishes and reports
        if cfg.publish and not multirun:
            dest = Path(cfg.paths.models_dir) / task.name
            publish(run_dir / "checkpoint", dest)
            metrics["published_to"] = str(dest)
            log.info("checkpoint published to %s", dest)
    (run_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    print(format_scores(metrics))
    return metrics


def fit(cfg: DictConfig, split: Split, backbone, tokenizer, task, out_dir: Path) -> dict:
    """Train on split.train, early-stop on split.dev, score dev and test, save the checkpoint."""
    from transformers import EarlyStoppingCallback, Trainer, set_seed

    set_seed(cfg.seed)
    train_w = task.windows(_augmented(cfg, split), tokenizer)
    dev_w = task.windows(split.dev, tokenizer)
    test_w = task.windows(split.test, tokenizer)
    lost = train_w.lost_spans + dev_w.lost_spans + test_w.lost_spans
    if lost:
        doc_id, span = lost[0]
        raise LostSpansError(
            f"{len(lost)} gold span(s) lost to windowing, e.g. task {doc_id} span {span.start}-{span.end} "
            f"{span.label}; raise data.max_length or data.stride"
        )
    model = task.build_model(backbone, tokenizer)
    precision = resolve_precision(cfg.trainer.bf16, torch.device("cpu" if cfg.trainer.args.use_cpu else "cuda"))
    has_dev = len(dev_w.rows) > 0
    # The config's TrainingArguments node, plus what depends on this run.
    args = instantiate(
        cfg.trainer.args,
        output_dir=str(out_dir.parent / f"{out_dir.name}-trainer"),
        eval_strategy="epoch" if has_dev else "no",
        save_strategy="epoch" if has_dev else "no",
        load_best_model_at_end=has_dev,
        metric_for_best_model=task.metric,
        greater_is_better=True,
        bf16=precision == "bf16",
        seed=cfg.seed,
        label_names=task.label_names,
        report_to=list(cfg.trainer.args.report_to) or "none",
        _convert_="all",  # plain lists, not ListConfig, for TrainingArguments
    )
    from datasets import Dataset

    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=Dataset.from_list(train_w.rows),
        eval_dataset=Dataset.from_list(dev_w.rows) if has_dev else None,
        data_collator=task.collator(tokenizer),
        processing_class=tokenizer,
        compute_metrics=task.compute_metrics(dev_w) if has_dev else None,
        callbacks=[StepTimer(), *([EarlyStoppingCallback(cfg.trainer.early_stopping_patience)] if has_dev else [])],
    )
    timer = next(c for c in trainer.callback_handler.callbacks if isinstance(c, StepTimer))
    started = time.perf_counter()
    result = trainer.train()
    train_seconds = time.perf_counter() - started
    epochs_done = float(trainer.state.epoch or 0)
    model = trainer.model.eval()
    losses = [round(float(e["loss"]), 4) for e in trainer.state.log_history if "loss" in e]
    if not is_main_process():
        return {"task": task.name, "rank": int(os.environ["RANK"]), "training": {"loss_history": losses}}
    # The best weights are in memory now; the Trainer's own checkpoints only fill the disk.
    for stale in Path(args.output_dir).glob("checkpoint-*"):
        shutil.rmtree(stale, ignore_errors=True)

    predictor = task.predictor(model, tokenizer, cfg.trainer.args.per_device_eval_batch_size, precision)
    tuned = task.tune(predictor, split.dev)
    scores, predicted_test = {}, []
    parts = (("dev", split.dev), ("test", split.test if cfg.get("evaluate_test", True) else []))
    for name, docs in parts:
        if docs:
            predicted = task.predict(predictor, docs)
            if name == "test":
                predicted_test = predicted
            scores[name] = task.score(docs, predicted)
    metrics = {
        "task": task.name,
        "model": backbone.name,
        "split": {"name": split.name, "train": len(split.train), "dev": len(split.dev), "test": len(split.test),
                  # Real training articles: the x of the learning curve.
                  "train_real": sum(d.meta.get("provenance") == "real" for d in split.train)},
        **scores,
        **tuned,
        "windowing": {"max_length": cfg.data.max_length, "stride": cfg.data.stride, "lost_spans": len(lost)},
        "training": {
            "precision": precision,
            "epochs": round(epochs_done, 2),
            "steps": trainer.state.global_step,
            "seconds": round(train_seconds, 1),
            "train_windows": len(train_w.rows),
            "step_seconds": round(timer.seconds, 1),
            # Optimiser steps only (forward, backward, update): evaluation and saving excluded.
            "tokens_per_second": round(train_w.n_tokens * epochs_done / timer.seconds, 1) if timer.seconds else None,
            "best_dev_window_f1": trainer.state.best_metric,
            "final_loss": round(float(result.training_loss), 4),
            "loss_history": losses,
            "processes": int(os.environ.get("WORLD_SIZE", "1")),
        },
    }
    save_checkpoint(cfg, model, tokenizer, task, metrics, split, out_dir)
    if cfg.report and predicted_test:
        report = build_report(split.test, predicted_test, source=f"{out_dir} ({task.name}, test split)",
                              gold_source="test split: " + ", ".join(map(str, cfg.data.test)),
                              spans=task.name == "ner", event_types=True,
                              extras={"windowing": metrics["windowing"]})
        metrics["report"] = str(write_report(out_dir.parent / f"{out_dir.name}-report", report, split.test, predicted_test))
    return metrics


class StepTimer(TrainerCallback):
    """Sums the wall time of training steps alone."""

    def __init__(self):
        self.seconds = 0.0
        self._t = None

    def on_step_begin(self, *args, **kwargs):
        self._t = time.perf_counter()

    def on_step_end(self, *args, **kwargs):
        if self._t is not None:
            self.seconds += time.perf_counter() - self._t
            self._t = None


def _augmented(cfg: DictConfig, split: Split):
    if not cfg.data.augment.rate and not cfg.data.augment.get("trigger_rate"):
        return split.train
    from train.augment import augment_documents

    return augment_documents(split.train, cfg.data.augment, cfg.seed)


def save_checkpoint(cfg: DictConfig, model, tokenizer, task, metrics: dict, split: Split, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    task.save(model, tokenizer, out_dir)
    write_scheme(out_dir, task.name, SCHEME)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    (out_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True), encoding="utf-8")
    write_model_card(out_dir, cfg, metrics, split)


def _mean_sd(values: list[float]) -> dict:
    return {"mean": round(statistics.fmean(values), 4), "sd": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
            "n": len(values)}


def headline(metrics: dict, part: str) -> float | None:
    """The one number per split: micro F1."""
    return metrics.get(part, {}).get("micro", {}).get("f1")


def summarise_folds(folds: list[dict]) -> dict:
    """Mean ± sd over runs (folds or seeds) of the headline scores, and of each group's."""
    out = {}
    for part in ("dev", "test"):
        values = [headline(f, part) for f in folds if headline(f, part) is not None]
        if values:
            out[f"{part}_micro_f1"] = _mean_sd(values)
        for key in ("overlap", "event_types"):
            values = [f[part][key]["micro"]["f1"] for f in folds if key in f.get(part, {})]
            if values:
                out[f"{part}_{key}_micro_f1"] = _mean_sd(values)
    return out


def format_scores(metrics: dict) -> str:
    lines = [f"== {metrics['task']} ({metrics['model']}) =="]
    if "cv" in metrics:
        for key, v in metrics["cv"].items():
            lines.append(f"{metrics['cv_folds']}-fold CV {key}: {v['mean']:.3f} ± {v['sd']:.3f}")
        return "\n".join(lines)
    if "over_seeds" in metrics:
        for key, v in metrics["over_seeds"].items():
            lines.append(f"seeds {list(metrics['seeds'])} {key}: {v['mean']:.3f} ± {v['sd']:.3f}")
        return "\n".join(lines)
    for part in ("dev", "test"):
        if part not in metrics:
            continue
        m = metrics[part]
        lines.append(f"{part}: micro P {m['micro']['precision']:.3f} R {m['micro']['recall']:.3f} "
                     f"F1 {m['micro']['f1']:.3f} | macro F1 {m['macro']['f1']:.3f}"
                     + (f" | overlap F1 {m['overlap']['micro']['f1']:.3f}" if "overlap" in m else "")
                     + (f" | event types micro F1 {m['event_types']['micro']['f1']:.3f}" if "event_types" in m else ""))
        for group, g in m.get("by_group", {}).items():
            parts = [f"strict {g['micro']['f1']:.3f}" if "per_label" in g else None,
                     f"overlap {g['overlap']['micro']['f1']:.3f}" if "overlap" in g else None,
                     f"event types {g['event_types']['micro']['f1']:.3f}" if "event_types" in g
                     else (f"event types {g['micro']['f1']:.3f}" if "per_type" in g else None)]
            lines.append(f"  [{group}: {g['articles']} articles] " + ", ".join(p for p in parts if p))
        rows = m.get("per_label") or m.get("per_type") or {}
        for label, r in rows.items():
            lines.append(f"  {label:<14} P {r['precision']:.3f} R {r['recall']:.3f} F1 {r['f1']:.3f}  n={r['support']}")
    t = metrics.get("training", {})
    if t:
        lines.append(f"trained {t['epochs']} epochs in {t['seconds']} s ({t['tokens_per_second']} tokens/s, {t['precision']})")
    if "published_to" in metrics:
        lines.append(f"checkpoint: {metrics['published_to']}")
    return "\n".join(lines)
