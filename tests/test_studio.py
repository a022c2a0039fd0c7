"""The annotation loop against a real Label Studio server on 127.0.0.1 (installed in its own venv)."""

import json
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir

from label_studio_server import start
from sitrep.annotated import load_annotated
from sitrep.cli import main
from sitrep.labelstudio import spans_to_results

ROOT = Path(__file__).resolve().parent.parent
# The seeds as an export: their meta (provenance, source, licence) must travel through push and pull.
SEEDS = ROOT / "data" / "annotated" / "seeds.json"
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start(tmp_path_factory.mktemp("label-studio"))
    yield srv
    srv.stop()


@pytest.fixture
def env(server, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", server.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", server.token)
    return server


def run(capsys, *args):
    code = main(["studio", *args])
    out, err = capsys.readouterr()
    return code, out, err


def client(server):
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=server.url, api_key=server.token)


def test_setup_is_idempotent(env, capsys):
    code, out, _ = run(capsys, "setup", "--project=conflict")
    assert code == 0 and "created project 'conflict'" in out
    code, out, _ = run(capsys, "setup", "--project=conflict")
    assert code == 0 and "is up to date; nothing changed" in out


def test_push_pull_and_train_on_what_came_back(env, capsys, tiny_checkpoints, tmp_path):
    ner, _ = tiny_checkpoints
    outputs = []
    code, out, err = run(capsys, "push", "--project=conflict", f"--input={SEEDS}", f"--checkpoint={ner}",
                         "--precision=fp32")
    outputs += [out, err]
    assert code == 0 and "imported 3 task(s) into 'conflict' with predictions, least confident first" in out
    code, out, err = run(capsys, "push", "--project=conflict", f"--input={SEEDS}")
    outputs += [out, err]
    assert code == 0 and "imported 0 task(s)" in out and "skipped 3 already in the project" in out

    ls = client(env)
    project = next(p for p in ls.projects.list() if p.title == "conflict")
    tasks = sorted(ls.tasks.list(project=project.id, fields="all"), key=lambda t: t.id)
    assert len(tasks) == 3
    raw = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "data" / "raw").glob("*.txt")}
    for task in tasks:
        assert task.data["text"] == raw[task.meta["doc_id"]], "the text must arrive untouched"
        assert task.meta["provenance"] == "real"
        assert task.meta["licence"] == "Project seed (supplied with the brief)"
    field = lambda obj, key: obj[key] if isinstance(obj, dict) else getattr(obj, key)
    scores = [field(t.predictions[0], "score") for t in tasks]
    assert scores == sorted(scores), "least confident first"
    assert all(field(t.predictions[0], "model_version") == "ner" for t in tasks)

    # An annotator annotates one article: the gold annotation of that seed.
    gold = {d.id: d for d in load_annotated([ROOT / "data" / "annotated" / "seeds.json"])}
    first = tasks[0]
    ls.annotations.create(id=first.id, result=spans_to_results(gold[first.meta["doc_id"]]), lead_time=12.5)

    pulled_dir = tmp_path / "annotated"
    code, out, err = run(capsys, "pull", "--project=conflict", f"--output={pulled_dir}")
    outputs += [out, err]
    assert code == 0, err
    (pulled,) = pulled_dir.glob("conflict-*.json")
    assert "wrote 1 annotated task(s)" in out and "first pull of this project" in out
    assert f"ACTOR {sum(s.label == 'ACTOR' for s in gold[first.meta['doc_id']].spans)}" in out
    assert main(["validate", str(pulled)]) == 0
    (doc,) = load_annotated([pulled])
    assert doc.id == first.meta["doc_id"] and doc.sorted_spans() == gold[doc.id].sorted_spans()

    # A second pull reports what changed.
    second = tasks[1]
    ls.annotations.create(id=second.id, result=spans_to_results(gold[second.meta["doc_id"]]))
    code, out, _ = run(capsys, "pull", "--project=conflict", f"--output={pulled_dir}")
    assert code == 0 and "1 new task(s)" in out

    # Train two steps on the pulled annotations. The seeds are real test documents, so the split file
    # refuses them as training data, naming one; a project without a split file trains on them.
    from train.splits import SplitError
    from train.training import train

    overrides = ["model=tiny", "trainer.args.max_steps=2", "trainer.args.report_to=[]", "trainer.args.disable_tqdm=true",
                 f"data.train=[{pulled}]", "data.dev=[]", "data.test=[]", "publish=false", f"paths.log_dir={tmp_path / 'out'}"]
    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        guarded = compose("train", overrides=overrides)
        cfg = compose("train", overrides=overrides + ["data.split_file=null"])
    with pytest.raises(SplitError, match=f"puts 1 document\\(s\\) into train.*{doc.id} is in test"):
        train(guarded, run_dir=tmp_path / "refused")
    metrics = train(cfg, run_dir=tmp_path / "run")
    assert metrics["training"]["steps"] == 2 and metrics["split"]["train"] == 1

    for text in outputs + [pulled.read_text()] + [p.read_text(errors="replace") for p in (tmp_path / "run").rglob("*.yaml")]:
        assert env.token not in text, "the API key must never be printed or written"


def test_a_prediction_accepted_unchanged_passes_pull(env, capsys, tmp_path):
    """What an annotator does who agrees with the model: submit the pre-annotation as it is."""
    ls = client(env)
    project = next(p for p in ls.projects.list() if p.title == "conflict")
    task = sorted(ls.tasks.list(project=project.id, fields="all"), key=lambda t: t.id)[1]
    prediction = task.predictions[0]
    result = prediction["result"] if isinstance(prediction, dict) else prediction.result
    choices = [r for r in result if r["type"] == "choices"]
    triggers = {label for r in result if r["type"] == "labels" for label in r["value"]["labels"]} & {
        "BATTLE", "TERRITORY", "AIRSTRIKE", "EXPLOSION", "CIVILIAN_HARM", "DISPLACEMENT"}
    assert choices and set(choices[0]["value"]["choices"]) == (triggers or {"NONE"}), \
        "the pre-ticked event types are the predicted trigger labels"
    ls.annotations.create(id=task.id, result=result)
    code, out, err = run(capsys, "pull", "--project=conflict", f"--output={tmp_path / 'p'}")
    assert code == 0, err
    assert "wrote 2 annotated task(s)" in out


def test_invalid_annotation_is_not_written(env, capsys, tmp_path):
    ls = client(env)
    project = next(p for p in ls.projects.list() if p.title == "conflict")
    task = sorted(ls.tasks.list(project=project.id), key=lambda t: t.id)[2]
    text = task.data["text"]
    bad = [{"id": "x1", "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": 0, "end": 8, "text": text[:8], "labels": ["ACTOR"]}},
           {"id": "x2", "from_name": "label", "to_name": "text", "type": "labels",
            "value": {"start": 3, "end": 12, "text": text[3:12], "labels": ["LOCATION"]}}]
    ls.annotations.create(id=task.id, result=bad)
    out_dir = tmp_path / "annotated"
    code, out, err = run(capsys, "pull", "--project=conflict", f"--output={out_dir}")
    assert code == 1
    assert err.startswith("error: ") and "problem(s) in the export of 'conflict'; nothing written" in err
    # Both ids: the document's, and the task id the Label Studio UI shows.
    assert f"(Label Studio task {task.id})" in err and "overlaps span 0-8 ACTOR" in err
    assert "--partial" in err
    assert not out_dir.exists()
    code, out, err = run(capsys, "pull", "--project=conflict", f"--output={out_dir}", "--partial")
    assert code == 0, err
    assert "wrote 2 annotated task(s)" in out and "left out 1 task(s) with problems" in out
    assert f"(Label Studio task {task.id})" in out
    (written,) = out_dir.glob("conflict-*.json")
    assert len(json.loads(written.read_text())) == 2


def test_errors_are_one_line_and_keep_the_key_secret(env, capsys, monkeypatch):
    code, _, err = run(capsys, "pull", "--project=nope")
    assert code == 1 and err.strip() == (f"error: no project named 'nope' at {env.url}; run "
                                          "`python -m sitrep studio setup --project nope`")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "0123456789abcdef0123456789abcdef01234567")
    code, _, err = run(capsys, "setup", "--project=conflict")
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "refused the API key (401 Unauthorized)" in err and "0123456789abcdef" not in err
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    code, _, err = run(capsys, "setup")
    assert code == 1 and "LABEL_STUDIO_API_KEY is not set" in err


def test_server_stopped_midway_is_a_one_line_error(env, capsys):
    """Runs last in this module: it stops the server."""
    env.stop()
    code, out, err = run(capsys, "pull", "--project=conflict")
    assert code == 1 and out == ""
    assert err.strip() == f"error: cannot reach Label Studio at {env.url} (is it running? check LABEL_STUDIO_URL)"
    assert env.token not in err
