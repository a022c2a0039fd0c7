"""Inference benchmark: `python -m infer` against the Hugging Face pipeline, on short news items and long articles.

One run measures, on the same texts and checkpoint, each as a whole command with model loading included:
1. `pipeline("token-classification", aggregation_strategy="first")` at its defaults (the baseline);
2. `python -m infer` with every output (spans, event types, event records, Label Studio tasks);
3. optionally the code of earlier revisions (`--before REV`, repeatable, e.g. the last release) with their own
   checkpoints, so earlier and new figures come from one run;
4. optionally this code with other settings (`--variant OVERRIDES`, repeatable, e.g. `keep_freed_bytes=0` or
   `stride=16`), each as its own row, so a setting's cost or saving comes from the same run;
5. with `--profile`, where the time of `python -m infer` goes on the short items (cProfile), for the first
   `--before` revision and now.

Each command runs ``--repeat`` times (interleaved); the table gives the median and every run.

Usage: python bench/infer.py [--checkpoint models/ner] [--short 1600] [--long-copies 2] [--repeat 3]
                             [--before REV [--before REV2 ...] --before-checkpoint DIR [--before-classifier DIR]]
                             [--variant "OVERRIDE [OVERRIDE ...]" ...] [--profile]
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import ROOT, machine, run_measured

os.environ.setdefault("HF_HUB_OFFLINE", "1")

PIPELINE = """
import json, sys, time
started = time.perf_counter()
from transformers import pipeline
pipe = pipeline("token-classification", model=sys.argv[1], aggregation_strategy="first", device="cpu", stride=32)
texts = [json.loads(l)["text"] for l in open(sys.argv[2], encoding="utf-8")]
n = 0
with open(sys.argv[3], "w", encoding="utf-8") as out:
    for text, entities in zip(texts, pipe(texts)):
        out.write(json.dumps([[e["start"], e["end"], e["entity_group"]] for e in entities]) + "\\n")
        n += 1
print(json.dumps({"articles": n, "seconds": time.perf_counter() - started}))
"""
# Where the time goes: the functions whose cumulative time the profile reports, by stage.
STAGES = {
    "tokenisation": ["tokenize_text", "tokenize_texts"],
    "model forward (incl. padding; now with the article head)": ["run"],
    "second model pass (event-type classifier)": ["probabilities"],
    "decoding and whole-word snapping": ["_decode", "snap_spans"],
    "event records (now: dates, places, actors, fatalities)": ["code", "event_records"],
    "reading input": ["_jsonl_items"],
    "writing outputs": ["append", "write_events", "write_events_csv", "write_labelstudio", "write_derived"],
}
RUNNERS = ("windows.py", "tagger.py")  # where WindowRunner.run lives, then and now


def short_items(texts: list[str], n: int) -> list[str]:
    """Briefs of one to three sentences, cut from the bundled articles (headline-sized news items)."""
    from sitrep.sentences import sentence_spans

    out, size = [], 1
    while len(out) < n:
        for text in texts:
            spans = sentence_spans(text)
            for i in range(0, len(spans), size):
                piece = spans[i : i + size]
                brief = text[piece[0][0] : piece[-1][1]]
                if len(brief.split()) >= 8:
                    out.append(brief)
        size = size % 3 + 1
    return out[:n]


def write_jsonl(path: Path, texts: list[str]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i, t in enumerate(texts):
            fh.write(json.dumps({"id": f"t{i}", "text": t}) + "\n")


def count_tokens(checkpoint: str, texts: list[str]) -> int:
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(checkpoint)
    return sum(len(ids) for ids in tok(texts, add_special_tokens=False)["input_ids"])


def run_pipeline(checkpoint: str, src: Path, tmp: Path) -> float:
    script = tmp / "pipeline_run.py"
    script.write_text(PIPELINE)
    wall, _ = run_measured([sys.executable, str(script), checkpoint, str(src), str(tmp / "pipeline.jsonl")],
                           tmp / "pipeline.log")
    return wall


def run_infer(checkpoint: str, src: Path, out: Path, log: Path, cwd: Path = ROOT, extra: list[str] = (),
              env_path: str | None = None) -> float:
    cmd = [sys.executable, "-m", "infer", f"input={src}", f"output={out}", f"checkpoint={checkpoint}",
           "progress_bar=false", *extra]
    if env_path:  # an earlier revision's code, from its own worktree
        started = time.perf_counter()
        env = {**os.environ, "PYTHONPATH": env_path, "HF_HUB_OFFLINE": "1"}
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
        if proc.returncode not in (0, 1):
            sys.exit(f"the earlier revision's infer failed:\n{proc.stderr[-2000:]}")
        return time.perf_counter() - started
    wall, _ = run_measured(cmd, log)
    return wall


def profile(title: str, checkpoint: str, src: Path, tmp: Path, cwd: Path = ROOT, extra: list[str] = (),
            pythonpath: str | None = None) -> None:
    """Where the time of one `python -m infer` goes, by stage (cumulative cProfile times)."""
    safe = re.sub(r"\W+", "-", title).strip("-")  # a Hydra override value cannot hold spaces or brackets
    prof = tmp / f"{safe}.prof"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **({"PYTHONPATH": pythonpath} if pythonpath else {})}
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(prof), "-m", "infer", f"input={src}",
                    f"output={tmp / (safe + '-prof-out')}", f"checkpoint={checkpoint}", "progress_bar=false", *extra],
                   cwd=cwd, env=env, capture_output=True, text=True)
    if not prof.exists() or proc.returncode not in (0, 1):
        sys.exit(f"the profiled run of {title} failed:\n{proc.stderr[-2000:]}")
    wall = time.perf_counter() - started
    stats = pstats.Stats(str(prof)).stats
    best: dict[str, float] = {}
    for (filename, _, name), (_, _, _, ct, _) in stats.items():
        if name == "run" and not filename.endswith(RUNNERS):
            continue
        best[name] = max(best.get(name, 0.0), ct)
    loop = max((ct for (f, _, n), (_, _, _, ct, _) in stats.items() if n == "tag" and "infer" in f), default=0.0)
    print(f"\nprofile of {title} on the short items: {wall:.1f} s wall under cProfile")
    print(f"  {'start-up, reading, loading, outputs (outside tagging)':<52} {wall - loop:6.1f} s")
    for stage, names in STAGES.items():
        print(f"  {stage:<52} {sum(best.get(n, 0.0) for n in names):6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "models" / "ner"))
    parser.add_argument("--short", type=int, default=1600, help="short items (one to three sentences)")
    parser.add_argument("--long-copies", type=int, default=2, help="copies of the long bundled articles")
    parser.add_argument("--before", action="append", default=[],
                        help="a git revision whose `python -m infer` to measure alongside (repeatable)")
    parser.add_argument("--before-checkpoint", help="the tagger checkpoint of those revisions")
    parser.add_argument("--before-classifier", help="their separate event-type classifier, if they had one")
    parser.add_argument("--variant", action="append", default=[],
                        help="Hydra overrides of `python -m infer` (now) measured as a row of their own, e.g. "
                             "keep_freed_bytes=0; several in one row separated by spaces (repeatable)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved runs of each command; the median counts")
    args = parser.parse_args()
    for key in ("checkpoint", "before_checkpoint", "before_classifier"):  # the earlier revision runs elsewhere
        if getattr(args, key):
            setattr(args, key, str(Path(getattr(args, key)).resolve()))

    from sitrep.annotated import load_annotated

    docs = load_annotated([ROOT / "data" / "annotated"])
    long_texts = [d.text for d in docs if len(d.text.split()) >= 250] * args.long_copies
    sets = {"short items": short_items([d.text for d in docs], args.short), "long articles": long_texts}
    tmp = Path(tempfile.mkdtemp(prefix="sitrep-bench-infer-"))
    if args.before and not args.before_checkpoint:
        sys.exit("--before needs --before-checkpoint (the tagger those revisions load)")
    befores: dict[str, Path] = {}  # revision -> its worktree
    try:
        for n, rev in enumerate(args.before):
            befores[rev] = tmp / f"before-{n}"
            subprocess.run(["git", "worktree", "add", "--detach", str(befores[rev]), rev], cwd=ROOT, check=True,
                           capture_output=True)
        print(f"machine: {machine()}; checkpoint {args.checkpoint}")
        rows = []
        for name, texts in sets.items():
            src = tmp / f"{name.split()[0]}.jsonl"
            write_jsonl(src, texts)
            tokens = count_tokens(args.checkpoint, texts)
            commands = {"HF pipeline (first, defaults)": lambda: run_pipeline(args.checkpoint, src, tmp)}
            extra = [f"classifier={args.before_classifier}"] if args.before_classifier else []
            for rev, before_src in befores.items():
                commands[f"python -m infer at {rev}"] = lambda before_src=before_src: run_infer(
                    args.before_checkpoint, src, tmp / f"{before_src.name}-{name[:5]}", tmp / "before.log",
                    cwd=before_src, extra=extra, env_path=str(before_src / "src"))
            commands["python -m infer (now)"] = lambda: run_infer(args.checkpoint, src, tmp / f"ours-{name[:5]}",
                                                                  tmp / "ours.log")
            for n, variant in enumerate(args.variant):
                commands[f"python -m infer {variant}"] = lambda n=n, variant=variant: run_infer(
                    args.checkpoint, src, tmp / f"variant{n}-{name[:5]}", tmp / "variant.log", extra=variant.split())
            # Interleaved repeats, then the median of each: a noisy neighbour on a shared machine slows one
            # round of all commands, not one command in every round.
            walls: dict[str, list[float]] = {what: [] for what in commands}
            for _ in range(args.repeat):
                for what, command in commands.items():
                    walls[what].append(command())
            base = statistics.median(walls["HF pipeline (first, defaults)"])
            for what, runs in walls.items():
                wall = statistics.median(runs)
                rows.append((name, what, len(texts), tokens, wall, base / wall, runs))
        print(f"\nmedian of {args.repeat} interleaved run(s) each; every run's seconds in the last column")
        print("\n| texts | command | articles | tokens | seconds | tokens/s | articles/s | vs pipeline | runs |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---|")
        for name, what, n, tokens, wall, ratio, runs in rows:
            print(f"| {name} | {what} | {n:,} | {tokens:,} | {wall:.1f} | {tokens / wall:,.0f} | {n / wall:.1f} | "
                  f"{ratio:.2f}x | {' / '.join(f'{r:.1f}' for r in runs)} |")
        if args.profile:
            if befores:
                rev, before_src = next(iter(befores.items()))
                extra = [f"classifier={args.before_classifier}"] if args.before_classifier else []
                profile(f"python -m infer at {rev}", args.before_checkpoint, tmp / "short.jsonl", tmp,
                        before_src, extra, str(before_src / "src"))
            profile("python -m infer (now)", args.checkpoint, tmp / "short.jsonl", tmp)
    finally:
        for before_src in befores.values():
            subprocess.run(["git", "worktree", "remove", "--force", str(before_src)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
