"""`python -m infer` on the real configs with a tiny trained checkpoint."""

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from hydra import compose, initialize_config_dir

from infer.job import run
from sitrep.runtime.tagger import SpanTagger
from sitrep.labelstudio import parse_export
from sitrep.validate import check_document
from sitrep.events import COLUMNS
from sitrep.scheme import SCHEME

ROOT = Path(__file__).resolve().parent.parent
RAW = sorted((ROOT / "data" / "raw").glob("*.txt"))


def infer_cfg(ckpts, out, *overrides):
    ner, _ = ckpts
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return compose("infer", overrides=[f"checkpoint={ner}", f"output={out}", "progress_bar=false",
                                           "precision=fp32", *overrides])


def infer_cli(ckpts, *args, stdin=None, timeout=300):
    ner, _ = ckpts
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "infer", f"checkpoint={ner}", "progress_bar=false", "precision=fp32",
                           *args], cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=timeout)


def lines(path):
    with open(path, encoding="utf-8") as fh:  # line by line at "\n", as JSON Lines are (not str.splitlines)
        return [json.loads(l) for l in fh]


def test_all_outputs_on_the_raw_seeds(tiny_checkpoints, tmp_path):
    summary = run(infer_cfg(tiny_checkpoints, tmp_path, f"input={ROOT / 'data' / 'raw'}"))
    records = lines(tmp_path / "predictions.jsonl")
    assert [r["id"] for r in records] == [p.stem for p in RAW]
    n_events = 0
    for record, path in zip(records, RAW):
        text = path.read_text(encoding="utf-8")
        assert set(record) >= {"id", "spans", "event_types", "events", "meta"}
        assert record["meta"]["source"].endswith(path.name)
        for span in record["spans"]:
            assert text[span["start"]:span["end"]] == span["text"]
            assert span["label"] in SCHEME.names and 0.0 <= span["score"] <= 1.0
            assert ("number" in span) == (span["label"] == "CASUALTY")
        assert record["event_types"] and all(t["label"] in SCHEME.event_type_choices for t in record["event_types"])
        triggers = {(s["start"], s["end"]) for s in record["spans"] if s["label"] in SCHEME.trigger_labels}
        # Every trigger is coded into an event (two places, two events) and no event is invented.
        coded = {(t["start"], t["end"]) for e in record["events"] for t in e["spans"]["triggers"]}
        assert coded == triggers
        for event in record["events"]:
            assert event["article_id"] == record["id"] and event["event_id"].startswith(record["id"] + "-")
            for t in event["spans"]["triggers"]:
                assert text[t["start"]:t["end"]] == t["text"] and t["text"] in event["triggers"]
        n_events += len(record["events"])
    with open(tmp_path / "events.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = list(reader)
    assert len(rows) == n_events == summary["events"]
    assert reader.fieldnames == COLUMNS
    # What an analyst does with it: pandas reads ACLED's column names, numbers as numbers.
    import pandas as pd

    frame = pd.read_csv(tmp_path / "events.csv")
    assert list(frame.columns) == COLUMNS and len(frame) == n_events
    for column in ("latitude", "longitude", "fatalities", "score"):
        assert frame[column].dtype.kind == "f" or frame[column].isna().all(), column
    assert frame["event_id"].is_unique
    tasks = json.loads((tmp_path / "labelstudio.json").read_text(encoding="utf-8"))
    assert len(tasks) == 3
    for task in tasks:
        (pred,) = task["predictions"]
        assert pred["model_version"] == "ner"
        assert all("score" in r for r in pred["result"] if r["type"] == "labels")
        # The same result format as annotations: accepted unchanged, it passes the checks of `studio pull`.
        as_annotation = {**task, "annotations": [{"result": pred["result"]}]}
        parsed = parse_export([as_annotation], "labelstudio.json")
        assert not parsed.problems
        assert check_document(parsed.documents[0], "labelstudio.json") == []
    saved = json.loads((tmp_path / "summary.json").read_text())
    assert saved["articles"] == 3 and saved["failures"] == 0 and saved["tokens"] > 1000
    assert saved["tokens_per_second"] > 0


def test_event_types_come_from_the_same_pass_by_the_checkpoints_rule(tiny_checkpoints, tmp_path):
    ner, _ = tiny_checkpoints
    decision = json.loads((ner / "event_types.json").read_text())
    run(infer_cfg(tiny_checkpoints, tmp_path, f"input={ROOT / 'data' / 'raw'}"))
    for record in lines(tmp_path / "predictions.jsonl"):
        found = {s["label"] for s in record["spans"]} & set(SCHEME.trigger_labels)
        types = {t["label"] for t in record["event_types"]}
        suggested = {t["label"] for t in record["suggested_event_types"]}
        assert suggested == types - found - {"NONE"}, "suggestions are the types no predicted trigger supports"
        if decision["rule"] == "triggers":
            assert types <= (found or {"NONE"})


def test_without_an_article_head_event_types_are_the_triggers_found(tiny_checkpoints, tmp_path):
    import shutil

    ner, _ = tiny_checkpoints
    bare = tmp_path / "bare"
    shutil.copytree(ner, bare)
    for name in ("article_head.safetensors", "article_head.json", "event_types.json"):
        (bare / name).unlink()
    run(infer_cfg((bare, None), tmp_path / "out", f"input={ROOT / 'data' / 'raw'}"))
    for record in lines(tmp_path / "out" / "predictions.jsonl"):
        found = {s["label"] for s in record["spans"]} & set(SCHEME.trigger_labels)
        assert {t["label"] for t in record["event_types"]} == (found or {"NONE"})
        assert record["suggested_event_types"] == []


@pytest.mark.slow
def test_an_old_classifier_folder_still_works_with_a_deprecation_line(tiny_checkpoints, tiny_classifier, tmp_path):
    event_types = tiny_classifier
    proc = infer_cli(tiny_checkpoints, f"input={RAW[0]}", f"output={tmp_path}", f"classifier={event_types}")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "a separate event-type classifier is deprecated" in proc.stdout + proc.stderr
    (record,) = lines(tmp_path / "predictions.jsonl")
    assert record["event_types"] and all(t["label"] in SCHEME.event_type_choices for t in record["event_types"])


@pytest.mark.slow
def test_inputs_glob_jsonl_and_stdin(tiny_checkpoints, tmp_path):
    run(infer_cfg(tiny_checkpoints, tmp_path / "glob", f"input='{ROOT}/data/raw/00[12]_*.txt'"))
    assert [r["id"] for r in lines(tmp_path / "glob" / "predictions.jsonl")] == [p.stem for p in RAW[1:]]
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text("".join(json.dumps({"id": f"a{i}", "text": p.read_text(), "source": "wire"}) + "\n"
                             for i, p in enumerate(RAW)))
    run(infer_cfg(tiny_checkpoints, tmp_path / "jsonl", f"input={jsonl}"))
    from_file = lines(tmp_path / "jsonl" / "predictions.jsonl")
    assert [r["id"] for r in from_file] == ["a0", "a1", "a2"] and from_file[0]["meta"] == {"source": "wire"}
    proc = infer_cli(tiny_checkpoints, "input=-", f"output={tmp_path / 'stdin'}", stdin=jsonl.read_text())
    assert proc.returncode == 0, proc.stderr[-2000:]
    from_stdin = lines(tmp_path / "stdin" / "predictions.jsonl")
    assert [(r["id"], r["spans"]) for r in from_stdin] == [(r["id"], r["spans"]) for r in from_file]
    assert "tagged 3 article(s)" in proc.stdout


@pytest.mark.slow
def test_bad_items_get_error_records_and_the_run_goes_on(tiny_checkpoints, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_good.txt").write_text("Iraqi forces seized Ramadi after clashes with IS militants.")
    (folder / "b_empty.txt").write_text("")
    (folder / "c_blank.txt").write_text("  \n\t \n")
    (folder / "d_latin1.txt").write_bytes("Caf\xe9 bombing".encode("latin-1"))
    (folder / "e_binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "f_big.txt").write_text("word " * 400)
    (folder / "g_good.txt").write_text("Dozens fled their homes in Mosul.")
    proc = infer_cli(tiny_checkpoints, f"input={folder}", f"output={tmp_path / 'out'}", "max_chars=1000")
    assert proc.returncode == 1
    records = lines(tmp_path / "out" / "predictions.jsonl")
    assert [r["id"] for r in records] == ["a_good", "b_empty", "c_blank", "d_latin1", "e_binary", "f_big", "g_good"]
    errors = {r["id"]: r.get("error") for r in records}
    assert errors["a_good"] is None and errors["g_good"] is None
    assert "b_empty.txt: empty or whitespace-only text" in errors["b_empty"]
    assert "c_blank.txt: empty or whitespace-only text" in errors["c_blank"]
    assert "d_latin1.txt: not UTF-8 (bad byte at offset 3)" in errors["d_latin1"]
    assert "e_binary.txt: binary content" in errors["e_binary"]
    assert "f_big.txt: text of 2,000 characters exceeds the limit max_chars=1,000" in errors["f_big"]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["failures"] == 5 and summary["articles"] == 7
    for name in ("b_empty", "e_binary"):
        assert f"failed: {name}: " in proc.stdout
    assert len(json.loads((tmp_path / "out" / "labelstudio.json").read_text())) == 2


def test_bad_jsonl_lines(tiny_checkpoints, tmp_path):
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text('{"id": "ok", "text": "Rebels seized Goma."}\n{"id": "x", "text": \n[1, 2]\n{"id": "n"}\n'
                     '{"id": "t", "text": 42}\n')
    summary = run(infer_cfg(tiny_checkpoints, tmp_path / "out", f"input={jsonl}"))
    errors = [r.get("error") for r in lines(tmp_path / "out" / "predictions.jsonl")]
    assert errors[0] is None
    assert "line 2: not valid JSON" in errors[1] and "line 3: expected a JSON object" in errors[2]
    assert "line 4: no 'text' field" in errors[3] and "line 5: text must be a string" in errors[4]
    assert summary["failures"] == 4


PROBE = """
import atexit, gc, json, os, sys
phases, frozen = {"start-up": 0, "run": 0, "freezes": 0}, [0]
def count(phase, info):
    if phase == "start" and "hydra" in sys.modules:  # infer's own start-up has begun
        n = gc.get_freeze_count()  # only gc.freeze() adds to it; freed frozen objects leave it
        phases["run" if n else "start-up"] += 1
        phases["freezes"] += n > frozen[-1]
        frozen.append(n)
gc.callbacks.append(count)
atexit.register(lambda: open(os.environ["GC_PROBE"], "w").write(json.dumps(
    {**phases, "enabled": gc.isenabled(), "left at exit": len(gc.get_objects())})))
"""


@pytest.mark.slow
def test_no_garbage_collection_during_start_up_but_as_usual_during_the_run(tiny_checkpoints, tmp_path):
    """`python -m infer` collects nothing while it imports (those objects live to the end), freezes them once (not
    again per job of a multirun, which would keep earlier jobs' garbage for good), then collects the run's garbage
    as usual, and freezes everything before the collection at exit; importing its module leaves the collector
    alone."""
    import gc
    import importlib

    importlib.import_module("infer.__main__")
    assert gc.isenabled()
    (tmp_path / "sitecustomize.py").write_text(PROBE)
    report = tmp_path / "gc.json"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "GC_PROBE": str(report),
           "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    ner, _ = tiny_checkpoints
    proc = subprocess.run([sys.executable, "-m", "infer", "-m", f"checkpoint={ner}", "progress_bar=false",
                           f"input={RAW[0]},{RAW[1]}", f"output={tmp_path}/out/${{hydra:job.num}}",
                           f"hydra.sweep.dir={tmp_path / 'sweep'}"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert [len(lines(tmp_path / "out" / job / "predictions.jsonl")) for job in ("0", "1")] == [1, 1]
    probe = json.loads(report.read_text())
    assert probe["start-up"] == 0 and probe["run"] > 0 and probe["enabled"] is True
    assert probe["freezes"] == 1
    assert probe["left at exit"] < 100  # all frozen: the collection at exit has nothing to traverse


@pytest.mark.slow
def test_missing_or_pickle_checkpoint_is_one_line_error(tiny_checkpoints, tmp_path):
    pickle_dir = tmp_path / "pickled"
    pickle_dir.mkdir()
    (pickle_dir / "pytorch_model.bin").write_bytes(b"\x80\x04")
    proc = infer_cli((pickle_dir, "null"), f"input={RAW[0]}", f"output={tmp_path / 'o'}")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1].startswith(f"error: {pickle_dir}: only pickle weights")
    proc = infer_cli(tiny_checkpoints, f"input={tmp_path / 'nothing*.txt'}", f"output={tmp_path / 'o'}")
    assert proc.returncode == 2 and "no such file or folder, and no file matches it as a glob" in proc.stderr


@pytest.mark.slow
def test_resume_after_sigkill_writes_every_article_exactly_once(tiny_checkpoints, tmp_path):
    texts = [p.read_text() for p in RAW]
    jsonl = tmp_path / "many.jsonl"
    jsonl.write_text("".join(json.dumps({"id": f"n{i:04d}", "text": texts[i % 3]}) + "\n" for i in range(240)))
    args = [f"input={jsonl}", f"output={tmp_path / 'out'}", "chunk_articles=4", "resume=true", "precision=fp32"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    ner, _ = tiny_checkpoints
    proc = subprocess.Popen([sys.executable, "-m", "infer", f"checkpoint={ner}", "progress_bar=false", *args],
                            cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = tmp_path / "out" / ".predictions.jsonl.partial"
    predictions = tmp_path / "out" / "predictions.jsonl"
    deadline = time.time() + 240
    while time.time() < deadline:
        if partial.exists() and partial.read_text().count("\n") >= 20:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    done_before = partial.read_text().count("\n")
    assert 20 <= done_before < 240, "the kill must land mid-run"
    assert not (tmp_path / "out" / "summary.json").exists() and not predictions.exists()
    finished = infer_cli(tiny_checkpoints, *args)
    assert finished.returncode == 0, finished.stderr[-2000:]
    ids = [r["id"] for r in lines(predictions)]
    assert ids == [f"n{i:04d}" for i in range(240)]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["articles"] == 240 and summary["resumed_from"] >= done_before - 4
    tasks = json.loads((tmp_path / "out" / "labelstudio.json").read_text())
    assert [t["meta"]["doc_id"] for t in tasks] == ids
    with open(tmp_path / "out" / "events.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    per_article = {}
    for r in rows:
        per_article[r["article_id"]] = per_article.get(r["article_id"], 0) + 1
    expected = {r["id"]: len(r["events"]) for r in lines(predictions) if r["events"]}
    assert per_article == expected


class TokenIdentityModel(torch.nn.Module):
    """A context-free 'tagger': each token's tag depends on its id alone, so any windowing must agree."""

    def __init__(self, table):
        super().__init__()
        from transformers import PretrainedConfig

        self.config = PretrainedConfig(id2label=SCHEME.id2label, label2id=SCHEME.label2id)
        self.table = table

    def forward(self, input_ids, attention_mask=None):
        from types import SimpleNamespace

        logits = torch.full((*input_ids.shape, len(SCHEME.bio_tags)), -5.0)
        logits[..., 0] = 0.0
        for tid, tag in self.table.items():
            logits[input_ids == tid] = torch.nn.functional.one_hot(torch.tensor(SCHEME.label2id[tag]),
                                                                    len(SCHEME.bio_tags)).float() * 10
        return SimpleNamespace(logits=logits)


def test_entity_across_window_edges_comes_out_whole_on_a_20000_word_article(tiny_tokenizer):
    vocab = tiny_tokenizer.get_vocab()
    table = {vocab["islamic"]: "B-ACTOR", vocab["state"]: "I-ACTOR", vocab["militants"]: "I-ACTOR"}
    tagger = SpanTagger(TokenIdentityModel(table), tiny_tokenizer, max_length=24, stride=6, batch_size=64,
                        precision="fp32")
    unit = "the islamic state militants attacked the town of mosul on monday and "
    text = unit * 1700  # about 20,000 words, thousands of windows with edges everywhere
    spans = tagger.tag([text])[0]
    assert len(text.split()) > 20_000
    assert len(spans) == 1700
    assert all(text[s.start:s.end] == "islamic state militants" and s.label == "ACTOR" for s in spans)


def test_spans_equal_the_hf_pipeline_first_strategy(tiny_checkpoints):
    """Same checkpoint, windows the pipeline handles (paragraphs): the same spans once the pipeline's are made
    whole-word. Inner-word joiners are spaced out first, so that the tokenizer's words and the project's agree."""
    import re

    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    from sitrep.document import Span
    from sitrep.words import snap_spans

    ner, _ = tiny_checkpoints
    model = AutoModelForTokenClassification.from_pretrained(ner)
    tokenizer = AutoTokenizer.from_pretrained(ner)
    pipe = pipeline("token-classification", model=model, tokenizer=tokenizer, aggregation_strategy="first",
                    device="cpu")
    tagger = SpanTagger(model, tokenizer, max_length=512, stride=64, precision="fp32")
    paragraphs = [re.sub(r"(?<=\w)[-'’./](?=\w)", " ", p) for path in RAW for p in path.read_text().split("\n\n")
                  if p.strip()]
    ours = tagger.tag(paragraphs)
    compared = 0
    for text, spans in zip(paragraphs, ours):
        raw = [Span(e["start"], e["end"], e["entity_group"], float(e["score"])) for e in pipe(text)]
        theirs = snap_spans(text, raw)
        assert [(s.start, s.end, s.label) for s in spans] == [(e.start, e.end, e.label) for e in theirs]
        untrimmed = {(r.start, r.end): r.score for r in raw}
        for s in spans:  # where snapping changed nothing, the scores agree too
            if (s.start, s.end) in untrimmed:
                assert s.score == pytest.approx(untrimmed[(s.start, s.end)], abs=1e-4)
        compared += len(spans)
    assert compared > 20, "the tiny model must predict something to compare"


class EdgeBlindModel(torch.nn.Module):
    """A 'tagger' that sees a name only away from its window's edges, as real models see less context there:
    any windowing must give each token the prediction of the window in which it sits most centrally."""

    def __init__(self, token_id, margin=3):
        super().__init__()
        from transformers import PretrainedConfig

        self.config = PretrainedConfig(id2label=SCHEME.id2label, label2id=SCHEME.label2id)
        self.token_id, self.margin = token_id, margin

    def forward(self, input_ids, attention_mask=None):
        from types import SimpleNamespace

        batch, width = input_ids.shape
        logits = torch.full((batch, width, len(SCHEME.bio_tags)), -5.0)
        logits[..., 0] = 5.0
        lengths = attention_mask.sum(dim=1)
        for b in range(batch):
            for p in range(int(lengths[b])):
                central = min(p, int(lengths[b]) - 1 - p) >= self.margin
                if central and int(input_ids[b, p]) == self.token_id:
                    logits[b, p, 0] = -5.0
                    logits[b, p, SCHEME.label2id["B-LOCATION"]] = 5.0
        return SimpleNamespace(logits=logits)


def test_window_merge_takes_the_most_central_window(tiny_tokenizer):
    vocab = tiny_tokenizer.get_vocab()
    tagger = SpanTagger(EdgeBlindModel(vocab["mosul"]), tiny_tokenizer, max_length=16, stride=8, batch_size=8,
                        precision="fp32")
    text = " ".join(["the army said"] * 3 + ["mosul"] + ["the town of mosul"] * 12 + ["the army said"] * 2)
    spans = tagger.tag([text])[0]
    # Every "mosul" sits near an edge in some window and centrally in another: all of them come out.
    assert [text[s.start:s.end] for s in spans] == ["mosul"] * 13
    assert all(s.label == "LOCATION" for s in spans)


def test_no_predicted_span_on_the_real_dev_set_cuts_a_word_or_crosses_a_line(tiny_ner):
    """Whatever the model says, every span it returns is whole words on one line."""
    from sitrep.annotated import load_annotated
    from sitrep.words import Words, span_problems
    from train.splits import read_split_file

    part_of = read_split_file(ROOT / "data" / "splits" / "real.yaml")
    dev = [d for d in load_annotated([ROOT / "data" / "annotated" / "real.json"]) if part_of[d.id] == "dev"]
    tagger = SpanTagger.load(tiny_ner, precision="fp32")
    n = 0
    for doc, spans in zip(dev, tagger.tag([d.text for d in dev])):
        words = Words(doc.text)
        for s in spans:
            assert span_problems(words, s.start, s.end) == [], (doc.id, doc.text[s.start:s.end])
            n += 1
    assert len(dev) == 57 and n > 100


def test_chunks_hold_at_most_n_articles_and_the_character_budget():
    from infer.job import _chunks
    from sitrep.articles import Item

    items = [Item(f"a{i}", "x" * n, {}) for i, n in enumerate([5, 5, 5, 20, 1, 1, 1, 1, 30])]
    sizes = [[len(it.text) for it in chunk] for chunk in _chunks(items, 3, 12)]
    # A chunk closes at 3 articles or before passing 12 characters; an article longer than the budget
    # goes alone, so nothing is ever dropped.
    assert sizes == [[5, 5], [5], [20], [1, 1, 1], [1], [30]]
    assert [it.id for chunk in _chunks(items, 100, 10**6) for it in chunk] == [it.id for it in items]
    assert list(_chunks([], 3, 12)) == []
    pulled = []

    def stream():  # articles arriving one by one, as on stdin
        for it in items:
            pulled.append(it.id)
            yield it

    first = next(_chunks(stream(), 2, 10**6))
    assert [it.id for it in first] == ["a0", "a1"] and pulled == ["a0", "a1"]  # out before a2 is read
