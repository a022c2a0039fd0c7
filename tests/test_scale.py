"""Scale-out: the Ray engine agrees with the local one; training runs on two processes under torchrun."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from infer.job import run

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def infer_cfg(ckpts, out, *overrides):
    ner, _ = ckpts
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        return compose("infer", overrides=[f"checkpoint={ner}", f"output={out}", "progress_bar=false", "precision=fp32",
                                           *overrides])


def test_ray_engine_equals_local_engine(tiny_checkpoints, tmp_path):
    ray = pytest.importorskip("ray")
    raw = sorted((ROOT / "data" / "raw").glob("*.txt"))
    src = tmp_path / "in.jsonl"
    rows = [{"id": f"a{i}", "text": raw[i % 3].read_text(), "desk": "iraq"} for i in range(7)]
    rows[3]["text"] = "   \n "
    del rows[5]["id"]
    lines = [json.dumps(r) + "\n" for r in rows]
    lines.insert(2, '{"id": "broken", "text": \n')  # a malformed line: an error record, not an aborted run
    src.write_text("".join(lines))
    local = run(infer_cfg(tiny_checkpoints, tmp_path / "local", f"input={src}", "chunk_articles=3"))
    try:
        distributed = run(infer_cfg(tiny_checkpoints, tmp_path / "ray", f"input={src}", "engine=ray", "chunk_articles=3",
                                    "engine.num_cpus=2", "engine.num_workers=2"))
    finally:
        ray.shutdown()
    assert local["articles"] == distributed["articles"] == 8
    assert local["failures"] == distributed["failures"] == 2 and distributed["engine"] == "infer.engines.RayEngine"
    read = lambda p: [json.loads(l) for l in (p / "predictions.jsonl").read_text().splitlines()]
    a, b = read(tmp_path / "local"), read(tmp_path / "ray")
    expected_ids = ["a0", "a1", f"{src}:3", "a2", "a3", "a4", f"{src}:7", "a6"]
    assert [r["id"] for r in a] == [r["id"] for r in b] == expected_ids, "a missing id is file:line, never nan"
    for x, y in zip(a, b):
        if x["id"] == f"{src}:3":
            assert "line 3: not valid JSON" in x["error"] and x["error"] == y["error"]
            continue
        if x["id"] == "a3":
            assert x["error"].endswith("empty or whitespace-only text") and y["error"].endswith("empty or whitespace-only text")
            continue
        assert [(s["start"], s["end"], s["label"]) for s in x["spans"]] == [(s["start"], s["end"], s["label"]) for s in y["spans"]]
        assert all(abs(s["score"] - t["score"]) <= 1e-4 for s, t in zip(x["spans"], y["spans"]))
        assert [t["label"] for t in x["event_types"]] == [t["label"] for t in y["event_types"]]
        assert x["meta"] == y["meta"] == {"desk": "iraq"}
        assert x["events"] == y["events"]
    assert (tmp_path / "ray" / "events.csv").read_text() == (tmp_path / "local" / "events.csv").read_text()


def torchrun_train(tmp_path, *overrides):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SITREP_ROOT": str(ROOT), "OMP_NUM_THREADS": "1"}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_addr=127.0.0.1",
           f"--master_port={port}", "-m", "train", *overrides,
           "model=tiny", "trainer.args.learning_rate=3e-3", "trainer.args.logging_steps=2",
           "trainer.args.disable_tqdm=true", "trainer.args.report_to=[]", f"paths.models_dir={tmp_path}/models"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def test_training_on_two_processes(tmp_path):
    run_dir = tmp_path / "run"
    proc = torchrun_train(tmp_path, "trainer.args.max_steps=12", f"hydra.run.dir={run_dir}")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    training = metrics["training"]
    assert training["processes"] == 2 and training["steps"] == 12
    losses = training["loss_history"]
    assert len(losses) >= 4 and losses[-1] < losses[0], losses
    assert proc.stdout.count("== ner (tiny-bert) ==") == 1, "rank 0 alone reports"
    assert (run_dir / "checkpoint" / "model.safetensors").is_file()
    assert (run_dir / "checkpoint-report" / "report.html").is_file()
    assert (tmp_path / "models" / "ner" / "model.safetensors").is_file()


def test_sweep_on_two_processes_shares_one_process_group(tmp_path):
    # The jobs of a sweep run one after another in each rank's process, on the process group the first opened.
    sweep = tmp_path / "sweep"
    proc = torchrun_train(tmp_path, "-m", "seed=1,2", "trainer.args.max_steps=4", f"hydra.sweep.dir={sweep}")
    assert proc.stdout.count("== ner (tiny-bert) ==") == 2
    for job in ("0", "1"):
        assert json.loads((sweep / job / "metrics.json").read_text())["training"]["processes"] == 2
    assert "| (defaults) | 2 |" in (sweep / "summary.md").read_text(), "seeds are repeats of one setting"
