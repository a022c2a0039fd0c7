"""Inference benchmark: this tagger against the Hugging Face pipeline, bf16 against fp32, memory at scale.

All in one run, on the same texts and the same checkpoint (models/ner, from `make train`):
1. tokens/s of `pipeline("token-classification", aggregation_strategy="simple")` (the baseline),
   of this tagger in fp32 and in bf16 autocast, and the ratios;
2. entity micro F1 (seqeval strict) of bf16 and fp32 on the annotated test data (the seeds);
3. peak RSS of `python -m infer` on 1,000 and on 100,000 short articles (input is streamed,
   so the two should match).

Usage: python bench/infer.py [--checkpoint models/ner] [--copies 3] [--rss-articles 1000,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from measure import ROOT, run_measured

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def timed(fn, *args):
    started = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=str(ROOT / "models" / "ner"))
    parser.add_argument("--copies", type=int, default=3, help="copies of the bundled articles in the speed set")
    parser.add_argument("--rss-articles", default="1000,100000", help="article counts of the memory runs")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    from sitrep.runtime.tagger import SpanTagger
    from sitrep.runtime.windows import cpu_has_bf16
    from sitrep.annotated import load_annotated
    from sitrep.checkpoint import check_checkpoint
    from sitrep.document import Document
    from sitrep.metrics import entity_scores

    try:
        check_checkpoint(args.checkpoint, "ner")
    except Exception as exc:  # noqa: BLE001 - one line for the user
        sys.exit(f"error: {exc} (run `make train` first)")
    docs = load_annotated([ROOT / "data" / "annotated"])
    texts = [d.text for d in docs] * args.copies
    tokenizer = AutoTokenizer.from_pretrained(args.checkpoint)
    model = AutoModelForTokenClassification.from_pretrained(args.checkpoint).eval()
    n_tokens = sum(len(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts)
    print(f"machine: {os.cpu_count()} cores, torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"native bf16: {cpu_has_bf16()}")
    print(f"speed set: {len(texts)} articles, {n_tokens:,} tokens; checkpoint {args.checkpoint}")

    pipe = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="simple",
                    device="cpu", stride=32)
    pipe(texts[:2])  # warm-up
    _, pipe_s = timed(pipe, texts)
    base = n_tokens / pipe_s
    print(f"HF pipeline (simple, stride 32): {base:8.0f} tokens/s  ({pipe_s:.1f} s)")

    taggers = {}
    for precision in ("fp32", "bf16"):
        tagger = SpanTagger(model, tokenizer, max_length=128, stride=16, batch_size=args.batch_size, precision=precision)
        tagger.tag(texts[:4])  # warm-up
        _, secs = timed(tagger.tag, texts)
        taggers[precision] = tagger
        print(f"sitrep tagger {precision}:              {n_tokens / secs:8.0f} tokens/s  ({secs:.1f} s)  "
              f"{n_tokens / secs / base:.2f}x the pipeline")

    test = load_annotated([ROOT / "data" / "annotated" / "seeds.json"])
    f1 = {}
    for precision, tagger in taggers.items():
        spans = tagger.tag([d.text for d in test])
        pred = [Document(d.id, d.text, s) for d, s in zip(test, spans)]
        f1[precision] = entity_scores(test, pred)["micro"]["f1"]
    print(f"seed-test entity micro F1: fp32 {f1['fp32']:.4f}, bf16 {f1['bf16']:.4f} "
          f"(difference {100 * (f1['bf16'] - f1['fp32']):+.2f} points)")

    brief = ("Gunmen attacked a checkpoint near Kirkuk on Monday, killing two policemen, officials said. "
             "Iraqi security forces later clashed with the attackers.")
    tmp = Path(tempfile.mkdtemp(prefix="sitrep-bench-infer-"))
    for count in [int(c) for c in args.rss_articles.split(",")]:
        src = tmp / f"in-{count}.jsonl"
        with open(src, "w") as fh:
            for i in range(count):
                fh.write(json.dumps({"id": f"b{i}", "text": brief}) + "\n")
        out = tmp / f"out-{count}"
        cmd = [sys.executable, "-m", "infer", f"input={src}", f"output={out}", f"checkpoint={args.checkpoint}",
               "progress_bar=false", "chunk_articles=256", "batch_size=64"]
        wall, rss = run_measured(cmd, tmp / f"infer-{count}.log")
        summary = json.loads((out / "summary.json").read_text())
        print(f"python -m infer on {count:>7,} short articles: peak RSS {rss:6.0f} MiB, wall {wall:6.1f} s, "
              f"{summary['articles_per_second']} articles/s")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    main()
