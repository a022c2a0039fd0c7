"""Summary of a multirun sweep: mean ± sd of dev and test scores per setting, seeds pooled."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path

import yaml
from hydra.experimental.callback import Callback

SEED_KEYS = ("seed",)


def _micro_f1(metrics: dict, part: str) -> float | None:
    if "cv" in metrics:
        v = metrics["cv"].get(f"{part}_micro_f1")
        return v["mean"] if v else None
    return metrics.get(part, {}).get("micro", {}).get("f1")


def summarise_sweep(sweep_dir: str | Path) -> dict:
    """Reads every job's overrides and metrics.json; groups jobs that differ only by seed."""
    sweep_dir = Path(sweep_dir)
    groups: dict[str, dict] = defaultdict(lambda: {"runs": [], "dev": [], "test": []})
    for metrics_file in sorted(sweep_dir.glob("*/metrics.json")):
        job = metrics_file.parent
        overrides_file = job / ".hydra" / "overrides.yaml"
        overrides = yaml.safe_load(overrides_file.read_text()) if overrides_file.exists() else []
        setting = " ".join(o for o in overrides if o.split("=")[0].lstrip("+~") not in SEED_KEYS) or "(defaults)"
        metrics = json.loads(metrics_file.read_text())
        group = groups[setting]
        group["runs"].append(job.name)
        for part in ("dev", "test"):
            value = _micro_f1(metrics, part)
            if value is not None:
                group[part].append(value)
    rows = []
    for setting, g in groups.items():
        row = {"setting": setting, "runs": len(g["runs"]), "jobs": g["runs"]}
        for part in ("dev", "test"):
            vals = g[part]
            if vals:
                row[part] = {"mean": round(statistics.fmean(vals), 4),
                             "sd": round(statistics.stdev(vals), 4) if len(vals) > 1 else 0.0, "values": vals}
        rows.append(row)
    return {"sweep_dir": str(sweep_dir), "settings": rows}


def format_summary(summary: dict) -> str:
    lines = ["| setting | runs | dev micro F1 | test micro F1 |", "|---|---|---|---|"]
    for row in summary["settings"]:
        cell = lambda part: f"{row[part]['mean']:.3f} ± {row[part]['sd']:.3f}" if part in row else "-"
        lines.append(f"| {row['setting']} | {row['runs']} | {cell('dev')} | {cell('test')} |")
    return "\n".join(lines) + "\n"


def write_summary(sweep_dir: str | Path) -> dict:
    summary = summarise_sweep(sweep_dir)
    sweep_dir = Path(sweep_dir)
    (sweep_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    table = format_summary(summary)
    (sweep_dir / "summary.md").write_text(table, encoding="utf-8")
    return summary


class SweepSummary(Callback):
    """Hydra callback: after the last job of a multirun, write summary.md and summary.json to the sweep dir."""

    def on_multirun_end(self, config, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        summary = write_summary(sweep_dir)
        print(f"\nSweep summary ({sweep_dir}/summary.md):\n" + format_summary(summary))
