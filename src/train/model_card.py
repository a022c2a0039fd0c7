"""The README.md written into every checkpoint: what it was trained on, how, how well, and its limits."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig


def _score_table(scores: dict) -> str:
    rows = scores.get("per_label") or scores.get("per_type") or {}
    lines = ["| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label, r in rows.items():
        lines.append(f"| {label} | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | {r['support']} |")
    for avg in ("micro", "macro"):
        r = scores[avg]
        lines.append(f"| *{avg}* | {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} | |")
    return "\n".join(lines)


def write_model_card(out_dir: Path, cfg: DictConfig, metrics: dict, split) -> None:
    task = metrics["task"]
    what = ("a token classifier (IOB2 over the 9 span labels of the sitrep scheme)" if task == "ner"
            else "a multi-label article classifier over the six event types, NONE when no type passes its threshold")
    load = ("AutoModelForTokenClassification" if task == "ner" else "AutoModelForSequenceClassification")
    parts = [
        f"# sitrep {task} model",
        "",
        f"Fine-tuned from `{metrics['model']}` as {what}. Trained by `python -m train task={task}`; "
        "the resolved config is `config.yaml` beside this card, the scores `metrics.json`.",
        "",
        "## Data",
        "",
        f"- train: {split.train and len(split.train)} articles from {', '.join(map(str, cfg.data.train))}",
        f"- dev: {len(split.dev)} articles ({'files ' + ', '.join(map(str, cfg.data.dev)) if cfg.data.dev else f'{cfg.data.dev_fraction:.0%} of train, seed {cfg.seed}'})",
        f"- test: {len(split.test)} articles from {', '.join(map(str, cfg.data.test)) or '-'}",
        f"- windows of {cfg.data.max_length} tokens, stride {cfg.data.stride}; gold spans lost to windowing: "
        f"{metrics['windowing']['lost_spans']}",
        "",
        "## Training",
        "",
        f"learning rate {cfg.trainer.learning_rate}, batch {cfg.trainer.batch_size}, up to {cfg.trainer.epochs} epochs "
        f"(max_steps {cfg.trainer.max_steps}), early stopping patience {cfg.trainer.early_stopping_patience}, "
        f"seed {cfg.seed}, {metrics['training']['precision']}; ran {metrics['training']['epochs']} epochs in "
        f"{metrics['training']['seconds']} s.",
        "",
    ]
    for part in ("test", "dev"):
        if part in metrics:
            parts += [f"## Scores: {part} ({metrics[part]['scheme']})", "", _score_table(metrics[part]), ""]
    if "thresholds" in metrics:
        parts += ["Per-type thresholds tuned on dev: " +
                  ", ".join(f"{k} {v:.2f}" for k, v in metrics["thresholds"].items()), ""]
    parts += [
        "## Use",
        "",
        f"`python -m infer checkpoint=...` (sitrep), or plain `{load}.from_pretrained(<this folder>)`.",
        "",
        "Intended use: pre-annotation and triage of English conflict news for human coders, who check every "
        "record. Not for automated decisions about people.",
        "",
        "## Limits",
        "",
        "- Trained on a few dozen articles, most written for this project, and tested on three real wire "
        "and broadcaster stories about Iraq: expect lower scores on other regions, outlets and languages.",
        "- Scores on so small a test set move by several points between seeds; compare runs with "
        "`data.cv_folds` or a multirun over seeds.",
        "- English only. Casualty numbers follow the project's conservative conventions, not the source's best estimate.",
        "",
    ]
    (out_dir / "README.md").write_text("\n".join(parts), encoding="utf-8")
