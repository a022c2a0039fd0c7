"""Training benchmark: throughput, peak memory and wall time of the default run.

Runs, in this order, each as its own `python -m train` process on the bundled data:
1. the tagger for a fixed number of steps in fp32, then the same in bf16 autocast
   (the baseline and the ratio, measured in the same run);
2. the default run: both tasks with the default config, as `make train` does,
   except that nothing is published to models/.

Prints training tokens/s (optimiser steps only), the bf16/fp32 ratio, peak RSS
of each process and wall times. Usage: python bench/train.py [--steps N] [--skip-default]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from measure import machine, run_measured


def run_train(overrides: list[str], out: Path) -> tuple[dict, float, float]:
    """Metrics, wall seconds and peak RSS (MiB) of one `python -m train` process."""
    cmd = [sys.executable, "-m", "train", *overrides, "publish=false", "report=false",
           "trainer.args.disable_tqdm=true", "trainer.args.report_to=[]", f"hydra.run.dir={out}"]
    wall, rss = run_measured(cmd, out / "train.log")
    return json.loads((out / "metrics.json").read_text()), wall, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="optimiser steps of the fp32/bf16 comparison")
    parser.add_argument("--skip-default", action="store_true", help="only the fp32/bf16 comparison")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="sitrep-bench-"))
    print(f"machine: {machine()}; torch threads default; outputs in {tmp}")

    rows = []
    for precision in ("false", "true"):
        m, wall, rss = run_train([f"trainer.args.max_steps={args.steps}", f"trainer.bf16={precision}"], tmp / f"ner-{precision}")
        t = m["training"]
        rows.append((t["precision"], t["tokens_per_second"], rss, wall))
        print(f"ner {args.steps} steps {t['precision']:>4}: {t['tokens_per_second']:>8.0f} tokens/s  "
              f"peak RSS {rss:6.0f} MiB  wall {wall:5.1f} s")
    print(f"bf16 / fp32 training throughput: {rows[1][1] / rows[0][1]:.2f}x")

    if not args.skip_default:
        m, wall, rss = run_train([], tmp / "default-ner")
        t = m["training"]
        print(f"default tagger + article head: {t['epochs']} epochs, {t['tokens_per_second']:.0f} tokens/s "
              f"({t['precision']}), peak RSS {rss:.0f} MiB, wall {wall:.1f} s ({wall / 60:.1f} min)")


if __name__ == "__main__":
    main()
