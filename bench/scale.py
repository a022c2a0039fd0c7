"""Scale-out benchmark: articles/s of the local engine and of the Ray engine with 1 and 2 workers.

Same JSONL input, same checkpoints (models/, from `make train`), one run each; the Ray figures
include starting a local Ray instance and loading the checkpoints in each actor.
Usage: python bench/scale.py [--copies 9]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from measure import ROOT, run_measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=9, help="copies of the bundled articles in the input")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from sitrep.annotated import load_annotated

    tmp = Path(tempfile.mkdtemp(prefix="sitrep-bench-scale-"))
    docs = load_annotated([ROOT / "data" / "annotated"])
    src = tmp / "in.jsonl"
    with open(src, "w") as fh:
        for k in range(args.copies):
            for d in docs:
                fh.write(json.dumps({"id": f"{d.id}-{k}", "text": d.text}) + "\n")
    n = args.copies * len(docs)
    print(f"input: {n} articles; outputs in {tmp}")
    runs = {
        "local engine (2 torch threads)": ["engine=local", "num_threads=2"],
        "ray, 1 worker x 2 CPUs": ["engine=ray", "engine.num_cpus=2", "engine.num_workers=1", "engine.cpus_per_worker=2"],
        "ray, 2 workers x 1 CPU": ["engine=ray", "engine.num_cpus=2", "engine.num_workers=2", "engine.cpus_per_worker=1"],
    }
    for i, (name, overrides) in enumerate(runs.items()):
        out = tmp / f"out-{i}"
        cmd = [sys.executable, "-m", "infer", f"input={src}", f"output={out}", "progress_bar=false", *overrides]
        wall, rss = run_measured(cmd, out.with_suffix(".log"))
        summary = json.loads((out / "summary.json").read_text())
        print(f"{name:<32} {n / wall:6.1f} articles/s (wall {wall:5.1f} s, in-run {summary['articles_per_second']} "
              f"articles/s, {summary['tokens_per_second']:.0f} tokens/s, peak RSS of the driver {rss:.0f} MiB)")


if __name__ == "__main__":
    main()
