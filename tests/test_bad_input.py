"""Bad input, bad settings and bad checkpoints: one line, the right exit code, nothing good lost, nothing earlier damaged.

Each case runs the real command line. The infer cases share one output folder holding a finished earlier run,
and every failing case must leave it byte for byte as it was.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from infer.outputs import iter_records

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # real command lines, one process each
RAW = sorted((ROOT / "data" / "raw").glob("*.txt"))
ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def cli(module, *args, stdin=None, timeout=300):
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=ROOT, env=ENV, input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def one_line(proc) -> str:
    """The error line; the command printed no traceback."""
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr[-3000:]
    lines = [l for l in proc.stderr.splitlines() if l.startswith(("error:", "stopped:"))]
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


def snapshot(folder: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")}


@pytest.fixture(scope="module")
def earlier(tiny_checkpoints, tmp_path_factory):
    """An output folder holding a finished run on the seeds: the thing no failed run may damage."""
    out = tmp_path_factory.mktemp("earlier")
    ner, _ = tiny_checkpoints
    proc = cli("infer", f"checkpoint={ner}", f"input={ROOT / 'data' / 'raw'}", f"output={out}", "progress_bar=false",
               "precision=fp32")
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def broken(tiny_checkpoints, tmp_path_factory):
    """Copies of the tiny checkpoint, each with one file missing or corrupt."""
    ner, _ = tiny_checkpoints
    base = tmp_path_factory.mktemp("broken")
    cases = {
        "config_json": lambda d: (d / "config.json").write_text("{not json"),
        "weights": lambda d: (d / "model.safetensors").write_bytes(b"\x00" * 64),
        "config_yaml": lambda d: (d / "config.yaml").write_text("data: [unclosed"),
        "scheme": lambda d: (d / "label_scheme.json").write_text("[1, 2"),
        "tokenizer": lambda d: [(d / n).unlink() for n in ("tokenizer.json", "tokenizer_config.json", "vocab.txt")
                                if (d / n).exists()],
        "decision": lambda d: (d / "event_types.json").write_text("{"),
    }
    out = {}
    for name, spoil in cases.items():
        d = base / name
        shutil.copytree(ner, d)
        spoil(d)
        out[name] = d
    return out


INFER_FAILS = [
    # (case, extra args, exit code, words in the one error line)
    ("input typo", ["input={tmp}/no_such_dir"], 2, "no such file or folder"),
    ("empty glob", ["input={tmp}/nothing*.txt"], 2, "no file matches it as a glob"),
    ("missing input", [], 2, "input= is required"),
    ("input inside output", ["input={earlier}/predictions.jsonl"], 2, "inside output="),
    ("empty JSONL", ["input={tmp}/empty.jsonl"], 2, "holds no articles"),
    ("batch_size=-1", ["input={seed}", "batch_size=-1"], 2, "batch_size=-1: Input should be greater than or equal to 1"),
    ("batch_size=0", ["input={seed}", "batch_size=0"], 2, "batch_size=0"),
    ("batch_size=abc", ["input={seed}", "batch_size=abc"], 2, "batch_size=abc"),
    ("chunk_articles=0", ["input={seed}", "chunk_articles=0"], 2, "chunk_articles=0"),
    ("chunk_chars=0", ["input={seed}", "chunk_chars=0"], 2, "chunk_chars=0: Input should be greater than or equal to 1"),
    ("runtime=onnx", ["input={seed}", "runtime=onnx"], 2, "runtime=onnx: Input should be 'auto', 'transformers' or 'native'"),
    ("negative stride", ["input={seed}", "stride=-5"], 2, "stride=-5"),
    ("num_threads=-1", ["input={seed}", "num_threads=-1"], 2, "num_threads=-1"),
    ("keep_freed_bytes=-1", ["input={seed}", "keep_freed_bytes=-1"], 2,
     "keep_freed_bytes=-1: must be 0 (malloc as it is) or 33554432 (32 MiB) to 2147483647 bytes"),
    ("keep_freed_bytes above a C int", ["input={seed}", "keep_freed_bytes=4294967296"], 2,
     "keep_freed_bytes=4294967296: must be 0 (malloc as it is) or 33554432 (32 MiB) to 2147483647 bytes"),
    ("keep_freed_bytes under 32 MiB", ["input={seed}", "keep_freed_bytes=1000"], 2,
     "keep_freed_bytes=1000: must be 0 (malloc as it is) or 33554432 (32 MiB) to 2147483647 bytes"),
    ("keep_freed_bytes=abc", ["input={seed}", "keep_freed_bytes=abc"], 2, "keep_freed_bytes=abc: Input should be a valid integer"),
    ("resume=maybe", ["input={seed}", "resume=maybe"], 2, "resume=maybe"),
    ("device=cuda", ["input={seed}", "device=cuda"], 2, "no CUDA device"),
    ("max_length above the model", ["input={seed}", "max_length=100000"], 2, "exceeds what the model"),
    ("no checkpoint", ["input={seed}", "checkpoint={tmp}/nowhere"], 2, "no checkpoint folder here"),
    ("corrupt config.json", ["input={seed}", "checkpoint={broken[config_json]}"], 2, "config.json: corrupt"),
    ("corrupt weights", ["input={seed}", "checkpoint={broken[weights]}"], 2, "model.safetensors: cannot load the weights"),
    ("corrupt config.yaml", ["input={seed}", "checkpoint={broken[config_yaml]}"], 2, "config.yaml: corrupt"),
    ("corrupt label scheme", ["input={seed}", "checkpoint={broken[scheme]}"], 2, "label_scheme.json: corrupt"),
    ("no tokenizer files", ["input={seed}", "checkpoint={broken[tokenizer]}"], 2, "no tokenizer files"),
    ("corrupt event_types.json", ["input={seed}", "checkpoint={broken[decision]}"], 2, "event_types.json: corrupt"),
    ("resume on another input", ["input={tmp}/other.jsonl", "resume=true"], 2, "resume=true"),
]


@pytest.mark.parametrize("case, args, code, words", INFER_FAILS, ids=[c[0] for c in INFER_FAILS])
def test_infer_refuses_with_one_line_and_touches_no_earlier_output(case, args, code, words, tiny_checkpoints, earlier,
                                                                    broken, tmp_path):
    ner, _ = tiny_checkpoints
    (tmp_path / "empty.jsonl").write_text("\n")
    (tmp_path / "other.jsonl").write_text(json.dumps({"id": "x", "text": "Rebels seized Goma."}) + "\n")
    before = snapshot(earlier)
    filled = [a.format(tmp=tmp_path, earlier=earlier, seed=RAW[0], broken=broken) for a in args]
    proc = cli("infer", f"checkpoint={ner}", f"output={earlier}", "progress_bar=false", *filled)
    assert proc.returncode == code, proc.stderr[-3000:]
    assert words in one_line(proc)
    assert snapshot(earlier) == before, "an earlier run's outputs were changed"
    assert (ROOT / "data" / "raw").is_dir() and (earlier / "predictions.jsonl").stat().st_size > 0


def test_output_that_is_a_file_or_cannot_be_written(tiny_checkpoints, tmp_path):
    ner, _ = tiny_checkpoints
    target = tmp_path / "out.txt"
    target.write_text("keep me")
    proc = cli("infer", f"checkpoint={ner}", f"input={RAW[0]}", f"output={target}")
    assert proc.returncode == 2 and "is a file" in one_line(proc) and target.read_text() == "keep me"
    proc = cli("infer", f"checkpoint={ner}", f"input={RAW[0]}", "output=/proc/sitrep-out")
    assert proc.returncode == 2 and "cannot write there" in one_line(proc)


def run_infer(tiny_checkpoints, input_path, out, *args):
    ner, _ = tiny_checkpoints
    return cli("infer", f"checkpoint={ner}", f"input={input_path}", f"output={out}", "progress_bar=false",
               "precision=fp32", *args)


def records(out: Path) -> list[dict]:
    return list(iter_records(out))


def test_a_lone_surrogate_is_an_error_record_and_the_rest_is_tagged(tiny_checkpoints, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "good1", "text": "Rebels seized Goma."}\n'
                   '{"id": "bad", "text": "Heavy fighting \\ud83d in Idlib."}\n'
                   '{"id": "good2", "text": "Dozens fled their homes in Mosul."}\n'
                   '{"id": "badmeta", "text": "Clashes in Aden.", "source": "\\udc00"}\n', encoding="utf-8")
    proc = run_infer(tiny_checkpoints, src, tmp_path / "out")
    assert proc.returncode == 1, proc.stderr[-3000:]
    got = {r["id"]: r for r in records(tmp_path / "out")}
    assert list(got) == ["good1", "bad", "good2", "badmeta"]
    assert "spans" in got["good1"] and "spans" in got["good2"]
    assert "lone surrogate (U+D83D at character 15)" in got["bad"]["error"]
    assert "cannot be written as UTF-8 JSON" in got["badmeta"]["error"]
    again = run_infer(tiny_checkpoints, src, tmp_path / "out", "resume=true")
    assert again.returncode == 1 and [r["id"] for r in records(tmp_path / "out")] == list(got)


def test_resume_refuses_changed_texts_and_resume_no_means_false(tiny_checkpoints, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": f"a{i}", "text": f"Rebels seized town {i}."}) + "\n" for i in range(3)))
    assert run_infer(tiny_checkpoints, src, tmp_path / "out").returncode == 0
    # Same size, other words: the per-record check catches it.
    src.write_text("".join(json.dumps({"id": f"a{i}", "text": f"Rebels seized burg {i}."}) + "\n" for i in range(3)))
    proc = run_infer(tiny_checkpoints, src, tmp_path / "out", "resume=true")
    assert proc.returncode == 2 and "record 1 in" in one_line(proc) and "with another text" in one_line(proc)
    # Another size: the input fingerprint catches it.
    src.write_text("".join(json.dumps({"id": f"a{i}", "text": f"Rebels seized village {i}."}) + "\n" for i in range(3)))
    proc = run_infer(tiny_checkpoints, src, tmp_path / "out", "resume=true")
    assert proc.returncode == 2 and "was written for input_bytes" in one_line(proc)
    proc = run_infer(tiny_checkpoints, src, tmp_path / "out", "resume=no")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert records(tmp_path / "out")[0]["text"] == "Rebels seized village 0."


def test_ids_are_unique_strings(tiny_checkpoints, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 7, "text": "Rebels seized Goma."}\n{"id": "7", "text": "Clashes in Aden."}\n'
                   '{"id": "x", "text": "Dozens fled."}\n{"id": "x", "text": "Dozens fled again."}\n'
                   '{"id": [1], "text": "Shelling in Idlib."}\n')
    proc = run_infer(tiny_checkpoints, src, tmp_path / "out")
    assert proc.returncode == 1
    got = records(tmp_path / "out")
    assert [r["id"] for r in got] == ["7", "7", "x", "x", f"{src}:5"]
    assert "spans" in got[0] and "spans" in got[2]
    assert f"duplicate id '7', also at {src} line 1" in got[1]["error"]
    assert f"duplicate id 'x', also at {src} line 3" in got[3]["error"]
    assert "id must be a string or an integer, not list" in got[4]["error"]


def test_boms_json_arrays_exports_and_folders(tiny_checkpoints, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_bytes("\ufeffRebels seized Goma.".encode("utf-8"))
    (folder / "B.TXT").write_text("Clashes in Aden.")
    (folder / "sub").mkdir()
    (folder / "notes.md").write_text("x")
    (folder / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    proc = run_infer(tiny_checkpoints, folder, tmp_path / "o1")
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = records(tmp_path / "o1")
    assert [(r["id"], r["text"]) for r in got] == [("B", "Clashes in Aden."), ("a", "Rebels seized Goma.")]
    assert "skipped 1 subfolders, 1 other files, 1 broken links" in proc.stdout
    jsonl = tmp_path / "bom.jsonl"
    jsonl.write_bytes('\ufeff{"id": "b1", "text": "Rebels seized Goma."}\n\n'.encode("utf-8"))
    assert run_infer(tiny_checkpoints, jsonl, tmp_path / "o2").returncode == 0
    assert [r["id"] for r in records(tmp_path / "o2")] == ["b1"]
    array = tmp_path / "arr.json"
    array.write_text(json.dumps([{"id": "j1", "text": "Rebels seized Goma."}, {"id": "j2", "text": "Clashes."}]))
    assert run_infer(tiny_checkpoints, array, tmp_path / "o3").returncode == 0
    assert [r["id"] for r in records(tmp_path / "o3")] == ["j1", "j2"]
    export = ROOT / "data" / "annotated" / "seeds.json"
    assert run_infer(tiny_checkpoints, export, tmp_path / "o4").returncode == 0
    assert [r["id"] for r in records(tmp_path / "o4")] == [p.stem for p in RAW]


def test_ctrl_c_says_how_to_resume_and_keeps_earlier_outputs(tiny_checkpoints, earlier, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(earlier, out)
    before = snapshot(out)
    text = RAW[0].read_text()
    lines = [json.dumps({"id": f"n{i}", "text": text}) + "\n" for i in range(400)]
    ner, _ = tiny_checkpoints
    # The articles come on stdin, 8 of them before Ctrl-C: the run is then waiting for the 9th, so the
    # interrupt always lands mid-run, however fast tagging is.
    proc = subprocess.Popen([sys.executable, "-m", "infer", f"checkpoint={ner}", "input=-", f"output={out}",
                             "progress_bar=false", "chunk_articles=4"], cwd=ROOT, env=ENV, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # A suite started in the background (`cmd &` in a script) runs with SIGINT ignored, and
                            # a child would inherit that: give it the terminal's default, as a user's shell does.
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    proc.stdin.write("".join(lines[:8]))
    proc.stdin.flush()
    partial = out / ".predictions.jsonl.partial"
    deadline = time.time() + 240
    while time.time() < deadline and not (partial.exists() and partial.read_text().count("\n") >= 8):
        time.sleep(0.05)
    assert proc.poll() is None  # still running, waiting for input
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=120)
    stdout, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr and "resume=true" in stderr
    assert "interrupted after 8 article(s)" in stderr
    assert snapshot(out) == before
    finished = cli("infer", f"checkpoint={ner}", "input=-", f"output={out}", "progress_bar=false",
                   "chunk_articles=4", "resume=true", stdin="".join(lines))
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert "resumed: 8 article(s) were already done" in finished.stdout
    assert [r["id"] for r in records(out)] == [f"n{i}" for i in range(400)]


def test_train_errors_are_one_line(tmp_path):
    common = ["model=tiny", "trainer.args.max_steps=1", "trainer.args.report_to=[]", f"hydra.run.dir={tmp_path}/run"]
    proc = cli("train", *common, "data.mix=real", "data.limit.real=0")
    assert proc.returncode == 2 and "no training articles" in one_line(proc)
    proc = cli("train", *common, "trainer.keep_freed_bytes=1000")
    assert proc.returncode == 2 and one_line(proc).startswith("error: keep_freed_bytes=1000: must be 0 (malloc as it is)")
    proc = cli("train", *common, f"data.split_file={tmp_path}/none.yaml")
    assert proc.returncode == 2 and "cannot read the split file" in one_line(proc)
    bad = tmp_path / "bad.json"
    bad.write_text("[{]")
    proc = cli("train", *common, f"data.train=[authored,{bad}]")
    assert proc.returncode == 2 and f"{bad}: not valid JSON" in proc.stderr and "Traceback" not in proc.stderr


def test_evaluate_refuses_other_texts_and_duplicate_ids_and_accepts_absent_labels(earlier, tmp_path):
    gold = ROOT / "data" / "annotated" / "seeds.json"
    preds = (earlier / "predictions.jsonl").read_text(encoding="utf-8")
    lines = preds.splitlines()
    bom = json.loads(lines[0])
    bom["text"] = "\ufeff" + bom["text"]
    (tmp_path / "bom.jsonl").write_text("\n".join([json.dumps(bom), *lines[1:]]) + "\n")
    proc = cli("sitrep", "evaluate", f"--data={gold}", f"--predictions={tmp_path / 'bom.jsonl'}", f"--output={tmp_path / 'e1'}")
    assert proc.returncode == 1 and "has another text than the gold one (they differ from character 0" in one_line(proc)
    (tmp_path / "dup.jsonl").write_text(preds + lines[0] + "\n")
    proc = cli("sitrep", "evaluate", f"--data={gold}", f"--predictions={tmp_path / 'dup.jsonl'}", f"--output={tmp_path / 'e2'}")
    assert proc.returncode == 1 and "again (first at line 1)" in one_line(proc)
    (tmp_path / "blank.jsonl").write_text(preds + "\n\n")
    proc = cli("sitrep", "evaluate", f"--data={gold}", f"--predictions={tmp_path / 'blank.jsonl'}", f"--output={tmp_path / 'e3'}")
    assert proc.returncode == 0, proc.stderr[-3000:]
    # One article, labels that neither side has: scored as zero, not a KeyError.
    one = tmp_path / "one.json"
    one.write_text(json.dumps([{"id": 1, "data": {"text": "Rebels seized Goma."}, "meta": {"doc_id": "g1"},
                                "annotations": [{"result": [{"id": "r1", "from_name": "event_types", "to_name": "text",
                                                             "type": "choices", "value": {"choices": ["NONE"]}}]}]}]))
    (tmp_path / "one.jsonl").write_text(json.dumps({"id": "g1", "text": "Rebels seized Goma.", "spans": [],
                                                    "event_types": [{"label": "NONE", "score": 1.0}]}) + "\n")
    proc = cli("sitrep", "evaluate", f"--data={one}", f"--predictions={tmp_path / 'one.jsonl'}", f"--output={tmp_path / 'e4'}")
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_convert_keeps_unsafe_ids_inside_the_target_folder(tmp_path):
    export = json.loads((ROOT / "data" / "annotated" / "seeds.json").read_text())
    export[0]["meta"]["doc_id"] = "../escaped"
    export[1]["meta"]["doc_id"] = "a/b"
    src = tmp_path / "x.json"
    src.write_text(json.dumps(export))
    proc = cli("sitrep", "convert", src, "-o", tmp_path / "markup")
    assert proc.returncode == 0, proc.stderr[-3000:]
    written = sorted(p.name for p in (tmp_path / "markup").iterdir())
    assert len(written) == 3 and not (tmp_path / "escaped.txt").exists()
    assert any(n.startswith("escaped-") for n in written) and any(n.startswith("a_b-") for n in written)
    back = cli("sitrep", "convert", tmp_path / "markup", "-o", tmp_path / "back.json")
    assert back.returncode == 0
    assert {t["meta"]["doc_id"] for t in json.loads((tmp_path / "back.json").read_text())} >= {"../escaped", "a/b"}


def test_validate_checks_ids_across_files_and_markup_ids_stay_strings(tmp_path):
    for name in ("a", "b"):
        (tmp_path / f"{name}.txt").write_text("---\nid: 007\n---\n[Iraq](LOCATION) forces.\n")
    proc = cli("sitrep", "validate", tmp_path)
    assert proc.returncode == 1
    assert f"{tmp_path / 'b.txt'}: task 007: duplicate task id: also in {tmp_path / 'a.txt'}" in proc.stdout


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(texts=st.lists(st.text(alphabet=st.one_of(
    st.characters(codec="utf-8"), st.sampled_from(["\ud83d", "\udc00", "\ufeff", "\x00", "\x07", "\u0301", "\n", " "])),
    max_size=60), min_size=1, max_size=6))
@example(texts=["0\x85", "a\u2028b"])  # line separators other than "\n" inside a text, found by a CI run
def test_every_id_comes_back_exactly_once_whatever_the_unicode(texts, tiny_checkpoints, tmp_path_factory):
    from hydra import compose, initialize_config_dir

    from infer.job import run

    tmp = tmp_path_factory.mktemp("fuzz")
    src = tmp / "in.jsonl"
    # ensure_ascii keeps lone surrogates as \\u escapes, as a JSON file from elsewhere would have them.
    src.write_text("".join(json.dumps({"id": f"i{k}", "text": t}) + "\n" for k, t in enumerate(texts)))
    ner, _ = tiny_checkpoints
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        cfg = compose("infer", overrides=[f"checkpoint={ner}", f"input={src}", f"output={tmp / 'out'}",
                                          "progress_bar=false", "precision=fp32"])
    summary = run(cfg)
    got = [r["id"] for r in iter_records(tmp / "out")]  # JSON Lines: a raw U+0085 in a text is no line break
    assert got == [f"i{k}" for k in range(len(texts))]
    assert summary["articles"] == len(texts)
