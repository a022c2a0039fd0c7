"""The README's real-news tables, printed from the sweeps that measured them (nothing is typed by hand).

Usage:
  python bench/real_figures.py data-mix multirun/data_mix/<time>         # experiment=data_mix
  python bench/real_figures.py curve multirun/learning_curve/<time> [multirun/data_mix/<time>] [docs/learning_curve.png]
  python bench/real_figures.py optuna multirun/optuna/<time>             # hparams_search=optuna
  python bench/real_figures.py classifier multirun/<classifier sweep>    # task=event_types, seed=1,2,3
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import yaml

from sitrep.scheme import SCHEME

LABELS = list(SCHEME.names)


def jobs(sweep: Path) -> list[tuple[dict[str, str], dict]]:
    out = []
    for m in sorted(sweep.glob("*/metrics.json"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0):
        overrides = yaml.safe_load((m.parent / ".hydra" / "overrides.yaml").read_text())
        out.append((dict(o.lstrip("+").split("=", 1) for o in overrides), json.loads(m.read_text())))
    return out


def ms(values: list[float]) -> str:
    if not values:
        return "-"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.3f} ± {sd:.3f}"


def get(m: dict, *path):
    for key in path:
        m = m.get(key, {}) if isinstance(m, dict) else {}
    return m if m != {} else None


def by_setting(sweep: Path, key: str) -> dict[str, list[dict]]:
    groups = defaultdict(list)
    for overrides, metrics in jobs(sweep):
        groups[overrides.get(key, "default")].append(metrics)
    return groups


def data_mix(sweep: Path) -> None:
    groups = by_setting(sweep, "variant")
    print("| training data | strict micro F1 | overlap micro F1 | short: strict / overlap | full: strict / overlap | event types micro F1 |")
    print("|---|---|---|---|---|---|")
    for name, runs in groups.items():
        f = lambda *p: [v for r in runs if (v := get(r, "test", *p, "micro", "f1")) is not None]
        print(f"| {name} ({len(runs)} seeds) | {ms(f())} | {ms(f('overlap'))} | "
              f"{ms(f('by_group', 'real/short'))} / {ms(f('by_group', 'real/short', 'overlap'))} | "
              f"{ms(f('by_group', 'real/full'))} / {ms(f('by_group', 'real/full', 'overlap'))} | {ms(f('event_types'))} |")
    for name, runs in groups.items():
        print(f"\nper label, {name}: strict / overlap F1 on real test")
        print("| label | strict | overlap | support |\n|---|---|---|---:|")
        for label in LABELS:
            strict = [r["test"]["per_label"][label]["f1"] for r in runs]
            overlap = [r["test"]["overlap"]["per_label"][label]["f1"] for r in runs]
            print(f"| {label} | {ms(strict)} | {ms(overlap)} | {runs[0]['test']['per_label'][label]['support']} |")
    print("\nevent types with the rule dev chose, micro and macro F1, all / short / full")
    print("| training data | micro: all / short / full | macro: all / short / full |\n|---|---|---|")
    for name, runs in groups.items():
        cell = lambda avg: " / ".join(
            ms([v for r in runs if (v := get(r, "test", *grp, "event_types", avg, "f1")) is not None])
            for grp in ((), ("by_group", "real/short"), ("by_group", "real/full")))
        print(f"| {name} | {cell('micro')} | {cell('macro')} |")
    print("\nevent types by rule on real test (micro F1; dev picks the rule), all / short / full; trigger_labels is the"
          " baseline, the set of trigger labels found, untuned:")
    print("| training data | rule | all | short | full | dev micro F1 |\n|---|---|---|---|---|---|")
    for name, runs in groups.items():
        for rule in ("trigger_labels", "triggers", "head", "combined"):
            vals = lambda *p: [v for r in runs if (v := get(r, "test", "event_types_by_rule", rule, *p, "micro", "f1")) is not None]
            dev = [v for r in runs if (v := get(r, "dev", "event_types_by_rule", rule, "micro", "f1")) is not None]
            print(f"| {name} | {rule} | {ms(vals())} | {ms(vals('by_group', 'real/short'))} | "
                  f"{ms(vals('by_group', 'real/full'))} | {ms(dev)} |")
        print(f"| {name} | chosen: {', '.join(r.get('event_type_rule', '?') for r in runs)} | | | | |")
    one_event_items(sweep)


def one_event_items(sweep: Path) -> None:
    """On short real test items whose gold has one event type: how many types the chosen rule gives."""
    groups = defaultdict(list)
    for job in sorted(sweep.glob("*/checkpoint-report/documents.json")):
        overrides = yaml.safe_load((job.parents[1] / ".hydra" / "overrides.yaml").read_text())
        variant = dict(o.lstrip("+").split("=", 1) for o in overrides).get("variant", "default")
        saved = json.loads(job.read_text())
        pred = {d["id"]: d for d in saved["predicted"]}
        for g in saved["gold"]:
            if g["meta"].get("form") == "short" and len(g["event_types"]) == 1 and g["event_types"] != ["NONE"]:
                groups[variant].append(len([t for t in pred[g["id"]]["event_types"] if t != "NONE"]))
    print("\none-event short items of real test (gold: one type), the chosen rule; items of all seeds pooled")
    print("| training data | items x seeds | exactly one type | mean types per item |\n|---|---:|---:|---:|")
    for variant, counts in groups.items():
        print(f"| {variant} | {len(counts)} | {sum(c == 1 for c in counts)} ({sum(c == 1 for c in counts) / len(counts):.0%}) "
              f"| {statistics.fmean(counts):.2f} |")


def curve(*sweeps: Path) -> None:
    """Points from learning-curve sweeps; a data-mix sweep adds its no-augmentation ends (authored only: 0
    real articles, authored + real: all of them), which are the same runs. A last argument ending in .png
    is where the plot goes."""
    plot = sweeps[-1] if sweeps and sweeps[-1].suffix == ".png" else None
    sweeps = sweeps[:-1] if plot is not None else sweeps
    points = defaultdict(list)
    for sweep in sweeps:
        for overrides, metrics in jobs(sweep):
            if "variant" in overrides and overrides["variant"] not in ("authored", "authored_real"):
                continue
            points[metrics["split"]["train_real"]].append(metrics)
    print("| real training articles (authored held fixed) | runs | strict micro F1 | overlap micro F1 | event types micro F1 |")
    print("|---:|---:|---|---|---|")
    series = defaultdict(list)
    for x, runs in sorted(points.items()):
        f = lambda *p: [get(r, "test", *p, "micro", "f1") for r in runs]
        print(f"| {x} | {len(runs)} | {ms(f())} | {ms(f('overlap'))} | {ms(f('event_types'))} |")
        for name, values in (("strict", f()), ("overlap", f("overlap")), ("event types", f("event_types"))):
            series[name].append((x, statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0))
    if plot is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        for name, pts in series.items():
            xs, ys, sds = zip(*pts)
            ax.errorbar(xs, ys, yerr=sds, marker="o", capsize=3, label=name)
        ax.set_xlabel("real training documents (64 authored always)")
        ax.set_ylabel("micro F1 on real test")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(plot, dpi=120)
        print(f"\nplot: {plot}")


def optuna(sweep: Path) -> None:
    print("| trial | learning rate | epochs | batch | head loss weight | augmentation | real-dev strict F1 (mean of 2 seeds) | overlap | event types |")
    print("|---:|---:|---:|---:|---:|---:|---|---|---|")
    best = None
    for i, (o, m) in enumerate(jobs(sweep)):
        s = m["over_seeds"]
        row = (float(o["trainer.args.learning_rate"]), o["trainer.args.num_train_epochs"],
               o["trainer.args.per_device_train_batch_size"], o["task.article_head.loss_weight"], o["data.augment.rate"])
        print(f"| {i} | {row[0]:.2e} | {row[1]} | {row[2]} | {row[3]} | {row[4]} | "
              f"{s['dev_micro_f1']['mean']:.3f} ± {s['dev_micro_f1']['sd']:.3f} | "
              f"{s['dev_overlap_micro_f1']['mean']:.3f} | {s['dev_event_types_micro_f1']['mean']:.3f} |")
        if best is None or s["dev_micro_f1"]["mean"] > best[1]:
            best = (i, s["dev_micro_f1"]["mean"], row)
    lr, epochs, batch, weight, aug = best[2]
    print(f"\nBest: trial {best[0]} (learning rate {lr:.2e}, {epochs} epochs, batch {batch}, head loss weight "
          f"{weight}, augmentation {aug}), real-dev strict micro F1 {best[1]:.3f}.")


def classifier(sweep: Path) -> None:
    runs = [m for _, m in jobs(sweep)]
    f = lambda *p: [get(r, "test", *p, "micro", "f1") for r in runs]
    print(f"separate classifier (c), {len(runs)} seeds: all {ms(f())}, short {ms(f('by_group', 'real/short'))}, "
          f"full {ms(f('by_group', 'real/full'))}; dev-tuned thresholds")


if __name__ == "__main__":
    {"data-mix": data_mix, "curve": curve, "optuna": optuna, "classifier": classifier}[sys.argv[1]](
        *map(Path, sys.argv[2:]))
