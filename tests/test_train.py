"""`python -m train` end to end on the real configs, shrunk: tiny BERT, a few steps."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import open_dict

from sitrep.checkpoint import CheckpointError, check_checkpoint, publish
from train.training import train
from train.splits import SplitError, cv_splits, load_split, read_split_file

ROOT = Path(__file__).resolve().parent.parent
FAST = ["model=tiny", "trainer.args.max_steps=3", "trainer.args.per_device_train_batch_size=8", "trainer.args.report_to=[]",
        "trainer.args.disable_tqdm=true", "trainer.args.logging_steps=1"]


def make_cfg(tmp_path, *overrides):
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        cfg = compose("train", overrides=[*FAST, f"paths.root_dir={ROOT}", f"paths.models_dir={tmp_path}/models",
                                          f"paths.log_dir={tmp_path}/outputs", *overrides])
    return cfg


@pytest.mark.parametrize(
    "override, key, expected",
    [
        ("task=event_types", "task.name", "event_types"),
        ("seed=7", "seed", 7),
        ("trainer.args.max_steps=5", "trainer.args.max_steps", 5),
        ("trainer.args.num_train_epochs=2", "trainer.args.num_train_epochs", 2),
        ("data.mix=real", "data.train", ["real:train"]),
        ("data.mix=authored", "data.train", ["authored"]),
        ("task.article_head.enabled=false", "task.article_head.enabled", False),
        ("data.cv_folds=3", "data.cv_folds", 3),
        ("experiment=smoke", "model._target_", "train.backbones.tiny_bert"),
        ("model=minilm", "model._target_", "train.backbones.packaged_minilm"),
        ("model=conflibert", "model.name", "snowood1/ConfliBERT-scr-cased"),
        ("model=bert-base-cased", "model.name", "bert-base-cased"),
        ("trainer=gpu", "trainer.args.use_cpu", False),
        ("data.augment.rate=0.0", "data.augment.rate", 0.0),
        ("hparams_search=optuna", "seeds", [1, 2]),
        ("hparams_search=optuna", "evaluate_test", False),
    ],
)
def test_overrides_compose(tmp_path, override, key, expected):
    from omegaconf import OmegaConf

    cfg = make_cfg(tmp_path, override)
    value = OmegaConf.select(cfg, key)
    assert (OmegaConf.to_container(value) if OmegaConf.is_config(value) else value) == expected


def test_minilm_with_fewer_layers_keeps_its_first_pretrained_layers(tmp_path):
    import torch
    from hydra.utils import instantiate
    from transformers import AutoModelForTokenClassification

    from train.backbones import packaged_minilm

    assert instantiate(make_cfg(tmp_path, "model=minilm").model).overrides == {}
    full, shallow = packaged_minilm(), instantiate(make_cfg(tmp_path, "model=minilm", "model.layers=2").model)
    tokenizer = full.load_tokenizer()
    a = full.load_model(AutoModelForTokenClassification, tokenizer, num_labels=3)
    b = shallow.load_model(AutoModelForTokenClassification, tokenizer, num_labels=3)
    assert (a.config.num_hidden_layers, b.config.num_hidden_layers) == (6, 2)
    assert len(b.bert.encoder.layer) == 2
    for name, weight in b.bert.state_dict().items():  # every kept weight is the pretrained one
        assert torch.equal(weight, a.bert.state_dict()[name]), name
    assert shallow.name == "all-MiniLM-L6-v2, first 2 layers"
    with pytest.raises(ValueError, match="model.layers must be 1 to 6"):
        packaged_minilm(layers=7)


def test_ner_trains_saves_a_standard_checkpoint_and_publishes(tmp_path, monkeypatch):
    from transformers import AutoModelForTokenClassification

    from sitrep.runtime.tagger import SpanTagger

    kept = []
    monkeypatch.setattr("train.training.keep_freed_memory", kept.append)
    cfg = make_cfg(tmp_path)
    metrics = train(cfg, run_dir=tmp_path / "run")
    assert kept == [2**30]  # configs/trainer/cpu.yaml: freed memory kept for the next step
    ckpt = tmp_path / "run" / "checkpoint"
    for name in ("model.safetensors", "config.json", "tokenizer.json", "label_scheme.json", "metrics.json",
                 "config.yaml", "README.md", "article_head.safetensors", "article_head.json", "event_types.json"):
        assert (ckpt / name).is_file(), name
    assert metrics["windowing"]["lost_spans"] == 0
    assert set(metrics["test"]["per_label"]) == {"ACTOR", "LOCATION", "CASUALTY", "BATTLE", "TERRITORY", "AIRSTRIKE",
                                                 "EXPLOSION", "CIVILIAN_HARM", "DISPLACEMENT"}
    assert metrics["test"]["scheme"].startswith("seqeval strict")
    assert metrics["test"]["overlap"]["scheme"].startswith("overlap")
    assert metrics["test"]["by_group"].keys() == {"real", "real/short", "real/full"}
    assert metrics["test"]["by_group"]["real/short"]["articles"] == 43
    # authored + real train, the real split file's dev and test (with the three seeds).
    assert metrics["split"] == {"name": "main", "train": 213, "dev": 57, "test": 82, "train_real": 149}
    assert set(metrics["event_type_rules"]) == {"triggers", "head", "combined"}
    decision = json.loads((ckpt / "event_types.json").read_text())
    assert decision["rule"] == metrics["event_type_rule"] and decision["tuned_on"] == "dev (57 articles)"
    assert metrics["training"]["steps"] == 3
    assert "Scores: test" in (ckpt / "README.md").read_text()
    assert "max_steps: 3" in (ckpt / "config.yaml").read_text()
    published = tmp_path / "models" / "ner"
    assert (published / "model.safetensors").is_file()
    model = AutoModelForTokenClassification.from_pretrained(published)
    assert model.config.id2label[1] == "B-ACTOR"
    tagger = SpanTagger.load(published, precision="fp32")
    # Windows as trained (config.yaml beside the weights), unless a caller overrides them.
    assert (tagger.runner.max_length, tagger.runner.stride) == (128, 32)
    assert SpanTagger.load(published, precision="fp32", stride=16, max_length=None).runner.stride == 16
    spans = tagger.tag(["Iraqi forces seized Ramadi."])[0]
    assert all(0 <= s.start < s.end <= 27 for s in spans)


@pytest.mark.slow
def test_event_types_tunes_thresholds_and_reloads(tmp_path):
    from sitrep.runtime.classifier import EventTypeClassifier

    cfg = make_cfg(tmp_path, "task=event_types")
    metrics = train(cfg, run_dir=tmp_path / "run")
    assert set(metrics["thresholds"]) == {"BATTLE", "TERRITORY", "AIRSTRIKE", "EXPLOSION", "CIVILIAN_HARM", "DISPLACEMENT"}
    assert set(metrics["test"]["per_type"]) == set(metrics["thresholds"])
    config = json.loads((tmp_path / "models" / "event_types" / "config.json").read_text())
    assert config["sitrep_thresholds"] == metrics["thresholds"]
    assert config["problem_type"] == "multi_label_classification"
    clf = EventTypeClassifier.load(tmp_path / "models" / "event_types", precision="fp32")
    assert clf.thresholds == metrics["thresholds"]
    (types,) = clf.predict(["The parliament met on Tuesday."])
    assert types and all(0.0 <= s <= 1.0 for _, s in types)
    always_none = clf.decide(clf.probabilities(["x"]) * 0)
    assert always_none[0][0][0] == "NONE"


@pytest.mark.slow
def test_cross_validation_reports_mean_and_sd_and_publishes_nothing(tmp_path):
    cfg = make_cfg(tmp_path, "data.cv_folds=2", "trainer.args.max_steps=2")
    metrics = train(cfg, run_dir=tmp_path / "run")
    assert metrics["cv_folds"] == 2 and len(metrics["folds"]) == 2
    assert metrics["cv"]["dev_micro_f1"]["n"] == 2 and "sd" in metrics["cv"]["test_micro_f1"]
    assert {f["split"]["dev"] for f in metrics["folds"]} == {135}  # (213 train + 57 dev) / 2
    assert not (tmp_path / "models").exists()


def test_splits_follow_the_split_file_and_are_disjoint(tmp_path):
    cfg = make_cfg(tmp_path)
    a, b = load_split(cfg.data, 1), load_split(cfg.data, 2)
    part_of = read_split_file(ROOT / "data" / "splits" / "real.yaml")
    # The real split is a file, not a seed: dev and test do not move with the seed.
    assert [d.id for d in a.dev] == [d.id for d in b.dev] and [d.id for d in a.test] == [d.id for d in b.test]
    assert all(part_of[d.id] == "dev" for d in a.dev) and all(part_of[d.id] == "test" for d in a.test)
    assert all(part_of.get(d.id, "train") == "train" for d in a.train)
    assert {d.meta["provenance"] for d in a.test} == {"real"} and {"000_80c29b2f575664a9"} <= {d.id for d in a.test}
    assert not {d.id for d in a.train} & {d.id for d in a.dev + a.test}
    with open_dict(cfg):
        cfg.data.limit.real = 25
    limited = load_split(cfg.data, 1)
    assert sum(d.meta["provenance"] == "real" for d in limited.train) == 25 and limited.test == a.test
    folds = cv_splits(a, 4, seed=1)
    dev_ids = [d.id for f in folds for d in f.dev]
    assert sorted(dev_ids) == sorted(d.id for d in a.train + a.dev)


def test_a_document_in_two_parts_of_the_split_file_is_refused(tmp_path):
    split = (ROOT / "data" / "splits" / "real.yaml").read_text()
    doubled = tmp_path / "real.yaml"
    doubled.write_text(split.replace("dev:  #", "dev:  #\n  - 000_80c29b2f575664a9\n  #", 1))
    with pytest.raises(SplitError, match="document 000_80c29b2f575664a9 is in both dev and test"):
        read_split_file(doubled)
    cfg = make_cfg(tmp_path, f"data.split_file={doubled}")
    with pytest.raises(SplitError, match="in both dev and test"):
        load_split(cfg.data, 1)


def test_an_entry_cannot_move_a_document_out_of_its_part(tmp_path):
    cfg = make_cfg(tmp_path, "data.train=[authored,seeds]")  # the seeds are test documents
    with pytest.raises(SplitError, match=r"puts 3 document\(s\) into train, but the split file has them elsewhere "
                                         r"\(e.g. 000_80c29b2f575664a9 is in test\)"):
        load_split(cfg.data, 1)


def test_scheme_mismatch_is_a_clear_error(tmp_path):
    from sitrep.runtime.tagger import SpanTagger

    cfg = make_cfg(tmp_path, "trainer.args.max_steps=1", "publish=false")
    train(cfg, run_dir=tmp_path / "run")
    ckpt = tmp_path / "run" / "checkpoint"
    scheme = json.loads((ckpt / "label_scheme.json").read_text())
    scheme["span_labels"].append("PROTEST")
    (ckpt / "label_scheme.json").write_text(json.dumps(scheme))
    with pytest.raises(CheckpointError, match=r"different label scheme \(span_labels differ.*retrain"):
        SpanTagger.load(ckpt)
    with pytest.raises(CheckpointError, match="a ner checkpoint, but a event_types checkpoint is needed"):
        scheme["span_labels"].pop()
        (ckpt / "label_scheme.json").write_text(json.dumps(scheme))
        check_checkpoint(ckpt, "event_types")


def test_pickle_only_checkpoint_is_refused(tmp_path):
    (tmp_path / "pytorch_model.bin").write_bytes(b"\x80\x04")
    with pytest.raises(CheckpointError, match="only pickle weights \\(pytorch_model.bin\\); sitrep loads safetensors only"):
        check_checkpoint(tmp_path, "ner")


def test_publish_is_atomic(tmp_path, monkeypatch):
    import shutil

    old, new = tmp_path / "models" / "ner", tmp_path / "new"
    old.mkdir(parents=True)
    (old / "model.safetensors").write_text("old")
    new.mkdir()
    (new / "model.safetensors").write_text("new")

    def broken_copy(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(shutil, "copytree", broken_copy)
    with pytest.raises(OSError):
        publish(new, old)
    assert (old / "model.safetensors").read_text() == "old"
    assert sorted(p.name for p in old.parent.iterdir()) == ["ner"], "no temporary folder left behind"
    monkeypatch.undo()
    publish(new, old)
    assert (old / "model.safetensors").read_text() == "new"
    assert sorted(p.name for p in old.parent.iterdir()) == ["ner"]


@pytest.mark.slow
def test_multirun_sweep_writes_a_summary_and_hydra_dirs(tmp_path):
    """The real command line: a 2-run sweep over seeds ends with a mean ± sd table in the sweep dir."""
    sweep = tmp_path / "sweep"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "SITREP_ROOT": str(ROOT)}
    cmd = [sys.executable, "-m", "train", "-m", *FAST, "trainer.args.max_steps=2", "seed=1,2",
           f"paths.models_dir={tmp_path}/models", f"hydra.sweep.dir={sweep}"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((sweep / "summary.json").read_text())
    (row,) = summary["settings"]
    assert row["runs"] == 2 and len(row["test"]["values"]) == 2
    table = (sweep / "summary.md").read_text()
    assert "| setting | runs | dev strict | test strict | test overlap |" in table and " ± " in table
    for job in ("0", "1"):
        assert (sweep / job / ".hydra" / "config.yaml").is_file()
        assert (sweep / job / "checkpoint" / "config.yaml").is_file()
    assert not (tmp_path / "models").exists(), "sweeps publish nothing"
    assert "Sweep summary" in proc.stdout


def test_sweep_summary_table_and_learning_curve(tmp_path):
    from train.sweep import format_summary, write_summary

    for job, (limit, seed, real, authored) in enumerate([(5, 1, 0.2, 0.3), (5, 2, 0.4, 0.5), (40, 1, 0.6, 0.7), (40, 2, 0.8, 0.9)]):
        d = tmp_path / str(job)
        (d / ".hydra").mkdir(parents=True)
        (d / ".hydra" / "overrides.yaml").write_text(f"- data.train_limit={limit}\n- seed={seed}\n")
        f1 = lambda v: {"micro": {"f1": v}}
        (d / "metrics.json").write_text(json.dumps({
            "split": {"train": limit}, "dev": f1(real), "test": {**f1((real + authored) / 2), "overlap": f1(authored),
            "by_group": {"real/short": f1(real)}, "per_label": {"ACTOR": {"f1": real}}}}))
    summary = write_summary(tmp_path, plot_x="split.train")
    rows = summary["settings"]
    assert [r["setting"] for r in rows] == ["data.train_limit=5", "data.train_limit=40"]
    assert rows[0]["test_short"]["mean"] == pytest.approx(0.3) and rows[0]["test_short"]["sd"] == pytest.approx(0.1414, abs=1e-4)
    assert rows[0]["test_per_label"]["ACTOR"]["mean"] == pytest.approx(0.3)
    assert rows[1]["x"] == 40
    table = format_summary(summary)
    assert "| setting | split.train | runs | dev strict | test strict | test overlap | test short, strict | reports |" in table
    assert "| data.train_limit=40 | 40 | 2 | 0.700 ± 0.141 | 0.750 ± 0.141 | 0.800 ± 0.141 | 0.700 ± 0.141 |" in table
    assert (tmp_path / "learning_curve.png").stat().st_size > 5000


def test_event_type_windows_are_labelled_by_the_triggers_they_hold(tmp_path, tiny_tokenizer):
    from sitrep.document import Document, Span
    from train.tasks import EventTypesTask

    text = "Rebels clashed with troops. " + "The market reopened on Monday. " * 12 + "Families fled."
    spans = [Span(7, 14, "BATTLE"), Span(len(text) - 5, len(text) - 1, "DISPLACEMENT")]
    doc = Document("d", text, spans, ["BATTLE", "DISPLACEMENT"])
    data = EventTypesTask(max_length=24, stride=4).windows([doc], tiny_tokenizer)
    targets = [row["labels"] for row in data.rows]
    assert len(targets) > 3 and data.lost_spans == []
    assert targets[0] == [1.0, 0, 0, 0, 0, 0]
    assert targets[-1] == [0, 0, 0, 0, 0, 1.0]
    assert [0.0] * 6 in targets  # windows that report no event teach "no event"
    assert [max(col) for col in zip(*targets)] == [1.0, 0, 0, 0, 0, 1.0]  # pooled = the article label
