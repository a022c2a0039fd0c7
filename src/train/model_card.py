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


def _describe(docs) -> str:
    """'N articles (a real: b short, c full; d authored), regions ...' from the documents themselves."""
    from collections import Counter

    prov = Counter(str(d.meta.get("provenance")) for d in docs)
    forms = Counter(d.meta.get("form") for d in docs if d.meta.get("provenance") == "real")
    regions = sorted({str(d.meta["region"]) for d in docs if d.meta.get("region")})
    parts = []
    for name, n in sorted(prov.items()):
        extra = ""
        if name == "real" and (forms.get("short") or forms.get("full")):
            extra = f": {forms.get('short', 0)} short, {forms.get('full', 0)} full"
        parts.append(f"{n} {name}{extra}")
    text = f"{len(docs)} articles ({'; '.join(parts)})"
    if regions:
        text += f" from {len(regions)} regions ({', '.join(regions[:12])}{', ...' if len(regions) > 12 else ''})"
    return text


def write_model_card(out_dir: Path, cfg: DictConfig, metrics: dict, split) -> None:
    from sitrep.scheme import SCHEME

    task = metrics["task"]
    n_spans, n_types = len(SCHEME.names), len(SCHEME.trigger_labels)
    what = (f"a token classifier (IOB2 over the {n_spans} span labels of the sitrep scheme)"
            + (f" with an article head over the {n_types} event types on the same encoder pass"
               if (out_dir / "article_head.safetensors").exists() else "")
            if task == "ner" else
            f"a multi-label article classifier over the {n_types} event types, NONE when no type passes its threshold")
    load = ("AutoModelForTokenClassification" if task == "ner" else "AutoModelForSequenceClassification")
    args = cfg.trainer.args
    parts = [
        f"# sitrep {task} model",
        "",
        f"Fine-tuned from `{metrics['model']}` as {what}. Trained by `python -m train task={task}`; "
        "the resolved config is `config.yaml` beside this card, the scores `metrics.json`.",
        "",
        "## Data",
        "",
        f"- train: {_describe(split.train)}, from {', '.join(map(str, cfg.data.train))}",
        f"- dev: {_describe(split.dev)}, from {', '.join(map(str, cfg.data.dev)) or 'held out of train'}",
        f"- test: {_describe(split.test)}, from {', '.join(map(str, cfg.data.test)) or '-'}",
        f"- windows of {cfg.data.max_length} tokens, stride {cfg.data.stride}; gold spans lost to windowing: "
        f"{metrics['windowing']['lost_spans']}",
        "",
        "## Training",
        "",
        f"learning rate {args.learning_rate}, batch {args.per_device_train_batch_size}, up to {args.num_train_epochs} "
        f"epochs (max_steps {args.max_steps}), early stopping patience {cfg.trainer.early_stopping_patience}, "
        f"seed {cfg.seed}, {metrics['training']['precision']}; ran {metrics['training']['epochs']} epochs in "
        f"{metrics['training']['seconds']} s.",
        "",
    ]
    for part in ("test", "dev"):
        if part in metrics:
            parts += [f"## Scores: {part} ({metrics[part].get('scheme', 'article level')})", "",
                      _score_table(metrics[part] if "per_label" in metrics[part] or "per_type" in metrics[part]
                                   else metrics[part]), ""]
    if "thresholds" in metrics:
        parts += ["Per-type thresholds tuned on dev: " +
                  ", ".join(f"{k} {v:.2f}" for k, v in metrics["thresholds"].items()), ""]
    if "event_type_rule" in metrics:
        rules = metrics["event_type_rules"]
        parts += [f"Event types: rule `{metrics['event_type_rule']}` (dev micro F1: "
                  + ", ".join(f"{r} {v['dev_micro_f1']:.3f}" for r, v in rules.items()) + "), thresholds in "
                  "`event_types.json`.", ""]
    test = split.test
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
        f"- Trained on {_describe(split.train)}; tested on {_describe(test)}. Expect lower scores on other "
        "regions, outlets, periods and languages than those.",
        f"- With {len(test)} test articles, scores move by several points between seeds; compare runs with "
        "`data.cv_folds` or a multirun over seeds.",
        "- English only. Casualty numbers follow the project's conservative conventions, not the source's best estimate.",
        "",
    ]
    (out_dir / "README.md").write_text("\n".join(parts), encoding="utf-8")
