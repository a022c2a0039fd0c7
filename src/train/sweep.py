"""Summary of a multirun sweep: mean ± sd of dev and test scores per setting, seeds pooled."""

from __future__ import annotations

import json
import os
import statistics
from collections import defaultdict
from pathlib import Path

import yaml
from hydra.experimental.callback import Callback

from sitrep.report_render import rerender

SEED_KEYS = ("seed",)


COLUMNS = {  # column -> (title, how to read its micro F1 from a job's metrics.json)
    "dev": ("dev strict", ("dev",)),
    "test": ("test strict", ("test",)),
    "test_overlap": ("test overlap", ("test", "overlap")),
    "test_short": ("test short, strict", ("test", "by_group", "real/short")),
    "test_full": ("test full, strict", ("test", "by_group", "real/full")),
    "test_short_overlap": ("test short, overlap", ("test", "by_group", "real/short", "overlap")),
    "test_full_overlap": ("test full, overlap", ("test", "by_group", "real/full", "overlap")),
    "test_types": ("test event types", ("test", "event_types")),
}
# Per-label test F1 (strict and overlap), kept in summary.json for the README's tables.
PER_LABEL = {"test_per_label": ("test",), "test_overlap_per_label": ("test", "overlap")}


def _node(metrics: dict, path: tuple) -> dict:
    node = metrics
    for key in path:
        node = node.get(key, {}) if isinstance(node, dict) else {}
    return node


def _micro_f1(metrics: dict, column: str) -> float | None:
    if "cv" in metrics:
        v = metrics["cv"].get(f"{column}_micro_f1")
        return v["mean"] if v else None
    node = _node(metrics, COLUMNS[column][1])
    # An event-type classifier's own scores sit at the top of its test block.
    if column == "test_types" and not node and "per_type" in metrics.get("test", {}):
        node = metrics["test"]
    return node.get("micro", {}).get("f1")


def _select(metrics: dict, path: str):
    node = metrics
    for key in path.split("."):
        node = node.get(key) if isinstance(node, dict) else None
    return node


def summarise_sweep(sweep_dir: str | Path, plot_x: str | None = None) -> dict:
    """Reads every job's overrides and metrics.json; groups jobs that differ only by seed."""
    sweep_dir = Path(sweep_dir)
    groups: dict[str, dict] = defaultdict(lambda: {"runs": [], "x": [], **{c: [] for c in COLUMNS},
                                                   **{c: defaultdict(list) for c in PER_LABEL}})
    jobs = sorted(sweep_dir.glob("*/metrics.json"),
                  key=lambda m: (0, int(m.parent.name), "") if m.parent.name.isdigit() else (1, 0, m.parent.name))

    def overrides_of(job: Path) -> list[str]:
        f = job / ".hydra" / "overrides.yaml"
        return yaml.safe_load(f.read_text()) if f.exists() else []

    # Overrides shared by every job describe the sweep, not a setting.
    shared = set.intersection(*(set(overrides_of(m.parent)) for m in jobs)) if jobs else set()
    for metrics_file in jobs:
        job = metrics_file.parent
        overrides = [o for o in overrides_of(job) if o not in shared]
        setting = " ".join(o for o in overrides if o.split("=")[0].lstrip("+~") not in SEED_KEYS) or "(defaults)"
        metrics = json.loads(metrics_file.read_text())
        group = groups[setting]
        group["runs"].append(job.name)
        if metrics.get("report"):
            group.setdefault("reports", []).append(os.path.relpath(metrics["report"], sweep_dir))
        if plot_x and _select(metrics, plot_x) is not None:
            group["x"].append(float(_select(metrics, plot_x)))
        for column in COLUMNS:
            value = _micro_f1(metrics, column)
            if value is not None:
                group[column].append(value)
        for column, path in PER_LABEL.items():
            for label, row in _node(metrics, path).get("per_label", {}).items():
                group[column][label].append(row["f1"])
    rows = []
    for setting, g in groups.items():
        row = {"setting": setting, "runs": len(g["runs"]), "jobs": g["runs"], "reports": g.get("reports", [])}
        if g["x"]:
            row["x"] = statistics.fmean(g["x"])
        for part in COLUMNS:
            if g[part]:
                row[part] = _mean_sd(g[part])
        for part in PER_LABEL:
            if g[part]:
                row[part] = {label: _mean_sd(vals) for label, vals in g[part].items()}
        rows.append(row)
    if plot_x:
        rows.sort(key=lambda r: r.get("x", float("inf")))
    return {"sweep_dir": str(sweep_dir), "plot_x": plot_x, "settings": rows}


def _mean_sd(vals: list[float]) -> dict:
    return {"mean": round(statistics.fmean(vals), 4), "sd": round(statistics.stdev(vals), 4) if len(vals) > 1 else 0.0,
            "values": vals}


def format_summary(summary: dict) -> str:
    """Micro F1 per setting, mean ± sd over seeds; columns that no job reports are left out."""
    x = summary.get("plot_x")
    columns = [c for c in COLUMNS if any(c in row for row in summary["settings"])]
    head = ["setting", *([x] if x else []), "runs", *(COLUMNS[c][0] for c in columns), "reports"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in summary["settings"]:
        cell = lambda part: f"{row[part]['mean']:.3f} ± {row[part]['sd']:.3f}" if part in row else "-"
        xs = [f"{row['x']:g}" if "x" in row else "-"] if x else []
        links = " ".join(f"[{k + 1}]({path})" for k, path in enumerate(row.get("reports", []))) or "-"
        lines.append("| " + " | ".join([row["setting"], *xs, str(row["runs"]), *map(cell, columns), links]) + " |")
    return "\n".join(lines) + "\n"


def plot_summary(summary: dict, path: Path) -> None:
    """Test micro F1 (mean ± sd over seeds) against the plotted key: a learning curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in summary["settings"] if "x" in r]
    fig, ax = plt.subplots(figsize=(6, 4))
    for column, label in (("test", "real test, strict"), ("test_overlap", "real test, overlap"), ("dev", "real dev, strict")):
        pts = [(r["x"], r[column]["mean"], r[column]["sd"]) for r in rows if column in r]
        if pts:
            xs, ms, sds = zip(*pts)
            ax.errorbar(xs, ms, yerr=sds, marker="o", capsize=3, label=label)
    ax.set_xlabel(summary["plot_x"])
    ax.set_ylabel("entity micro F1 (seqeval strict)")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_summary(sweep_dir: str | Path, plot_x: str | None = None) -> dict:
    summary = summarise_sweep(sweep_dir, plot_x)
    sweep_dir = Path(sweep_dir)
    if plot_x and any("x" in r for r in summary["settings"]):
        plot_summary(summary, sweep_dir / "learning_curve.png")
        _learning_curve_report(summary, sweep_dir)
    (sweep_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    table = format_summary(summary)
    (sweep_dir / "summary.md").write_text(table, encoding="utf-8")
    return summary


def _learning_curve_report(summary: dict, sweep_dir: Path) -> None:
    """The report of the largest setting's first run, re-rendered with the learning curve, in sweep_dir/report."""
    import shutil

    rows = [r for r in summary["settings"] if "x" in r and "test" in r]
    if not rows or not rows[-1]["reports"]:
        return
    curve = [{"train_articles": r["x"], "mean": r["test"]["mean"], "sd": r["test"]["sd"], "runs": r["runs"]}
             for r in rows]
    source = (sweep_dir / rows[-1]["reports"][0]).parent
    target = sweep_dir / "report"
    shutil.copytree(source, target, dirs_exist_ok=True)
    rerender(target, {"learning_curve": curve})


class SweepSummary(Callback):
    """Hydra callback: after the last job of a multirun, write summary.md and summary.json to the sweep dir.

    With ``plot_x`` (a path into metrics.json, e.g. ``split.train``) it also plots test F1 against it.
    """

    def __init__(self, plot_x: str | None = None):
        self.plot_x = plot_x

    def on_multirun_end(self, config, **kwargs) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        if not sweep_dir.is_dir():
            return
        summary = write_summary(sweep_dir, self.plot_x)
        print(f"\nSweep summary ({sweep_dir}/summary.md):\n" + format_summary(summary))
