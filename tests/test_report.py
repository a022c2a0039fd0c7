"""Evaluation reports: their numbers, their files, and the HTML page as a browser shows it."""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sitrep.annotated import load_annotated
from sitrep.cli import main
from sitrep.document import Document, Span
from sitrep.report import build_report
from sitrep.report_render import write_report

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "annotated" / "seeds.json"


def perturbed(gold):
    """Predictions with known faults: every 4th span dropped, every 5th relabelled, one spurious span each."""
    out = []
    for doc in gold:
        spans = []
        for i, s in enumerate(doc.sorted_spans()):
            if i % 4 == 3:
                continue
            spans.append(Span(s.start, s.end, "LOCATION" if i % 5 == 4 and s.label == "ACTOR" else s.label, 0.9))
        spans.append(Span(0, doc.text.index(" "), "CASUALTY", 0.4)) if not any(s.start == 0 for s in spans) else None
        out.append(Document(doc.id, doc.text, spans, doc.event_types[:1], dict(doc.meta)))
    return out


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory):
    gold = load_annotated([SEEDS])
    pred = perturbed(gold)
    out = tmp_path_factory.mktemp("report")
    report = build_report(gold, pred, source="perturbed gold", gold_source=str(SEEDS),
                          extras={"windowing": {"lost_spans": 0},
                                  "learning_curve": [{"train_articles": 5, "mean": 0.3, "sd": 0.05, "runs": 3},
                                                     {"train_articles": 46, "mean": 0.7, "sd": 0.02, "runs": 3}]})
    write_report(out, report, gold, pred)
    return out


def test_report_numbers_match_the_known_faults(report_dir):
    report = json.loads((report_dir / "report.json").read_text())
    gold = load_annotated([SEEDS])
    n_gold = sum(len(d.spans) for d in gold)
    dropped = sum(1 for d in gold for i, _ in enumerate(d.spans) if i % 4 == 3)
    seqeval = report["entities"]["seqeval"]
    assert seqeval["micro"]["support"] == n_gold
    conf = report["confusion"]["matrix"]
    assert sum(conf[l]["(missed)"] for l in conf if l != "(spurious)") == dropped
    assert conf["ACTOR"]["LOCATION"] > 0
    strict = report["entities"]["nervaluate"]["strict"]["micro"]
    assert strict["f1"] == pytest.approx(seqeval["micro"]["f1"], abs=0.02)
    assert report["entities"]["nervaluate"]["ent_type"]["micro"]["f1"] >= strict["f1"]
    assert report["event_types"]["per_type"]["BATTLE"]["support"] == 3
    for article in report["per_article"]:
        for fn in article["false_negatives"]:
            assert fn["context"].count("[") >= 1 and fn["text"] in fn["context"]
    assert report["casualties"]["gold_spans"] == 5


def test_markdown_is_plain_tables(report_dir):
    md = (report_dir / "report.md").read_text()
    assert "## Entities: seqeval, strict mode, IOB2, entity level" in md
    assert "gold spans lost to windowing: 0" in md
    for block in re.findall(r"((?:^\|.*\|\n)+)", md, flags=re.M):
        widths = {row.count("|") for row in block.splitlines()}
        assert len(widths) == 1, f"ragged table:\n{block}"
    assert "| 46 | 0.700 ± 0.020 |" in md


def chromium_binary() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], env=env, capture_output=True, timeout=900)
        found = shutil.which("chromium")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("chromium is needed and could not be installed with apt-get")
        pytest.skip("chromium not installed and not installable here (needs root and apt-get)")
    return found


def headless(page: Path, tmp: Path, *flags: str) -> subprocess.CompletedProcess:
    cmd = [chromium_binary(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp / 'profile'}",
           "--enable-logging=stderr", "--v=0", *flags, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def console_errors(stderr: str) -> list[str]:
    return [l for l in stderr.splitlines() if "CONSOLE" in l or "Uncaught" in l or "Failed to load resource" in l]


@pytest.mark.slow
def test_html_renders_in_headless_chromium(report_dir, tmp_path):
    page = report_dir / "report.html"
    shot = tmp_path / "shot.png"
    proc = headless(page, tmp_path, "--window-size=1280,3000", f"--screenshot={shot}")
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    assert console_errors(proc.stderr) == []
    dom = headless(page, tmp_path, "--dump-dom").stdout
    assert "<h1>Evaluation report</h1>" in dom
    gold_marks = re.findall(r'class="doc gold">(.*?)</div>', dom, flags=re.S)
    pred_marks = re.findall(r'class="doc predicted">(.*?)</div>', dom, flags=re.S)
    assert len(gold_marks) == len(pred_marks) == 3
    assert gold_marks[0].count('<mark class="span" data-label="ACTOR"') >= 10
    assert '<mark class="span" data-label="LOCATION"' in pred_marks[0]
    assert dom.count("data:image/png;base64,") == 3  # F1 bars, confusion heatmap, learning curve


@pytest.mark.slow
def test_console_error_detector_can_fail(tmp_path):
    broken = tmp_path / "broken.html"
    broken.write_text("<!doctype html><html><body><script>console.error('boom'); undefined_fn();</script></body></html>")
    assert console_errors(headless(broken, tmp_path, "--dump-dom").stderr)


def test_evaluate_from_predictions_file_and_compare(tmp_path, capsys):
    gold = load_annotated([SEEDS])
    pred = perturbed(gold)
    preds = tmp_path / "predictions.jsonl"
    with open(preds, "w") as fh:
        for d in pred:
            fh.write(json.dumps({"id": d.id, "text": d.text, "spans": [
                {"start": s.start, "end": s.end, "label": s.label, "score": s.score} for s in d.spans],
                "event_types": [{"label": t, "score": 0.9} for t in d.event_types], "events": [], "meta": {}}) + "\n")
        fh.write(json.dumps({"id": "broken", "error": "empty text"}) + "\n")
    assert main(["evaluate", f"--predictions={preds}", f"--data={SEEDS}", f"--output={tmp_path / 'a'}"]) == 0
    assert "## Entities: seqeval" in capsys.readouterr().out
    perfect = tmp_path / "perfect.jsonl"
    perfect.write_text("".join(json.dumps({"id": d.id, "text": d.text, "spans": [
        {"start": s.start, "end": s.end, "label": s.label} for s in d.spans],
        "event_types": [{"label": t} for t in d.event_types], "events": []}) + "\n" for d in gold))
    assert main(["evaluate", f"--predictions={perfect}", f"--data={SEEDS}", f"--output={tmp_path / 'b'}"]) == 0
    assert json.loads((tmp_path / "b" / "report.json").read_text())["entities"]["seqeval"]["micro"]["f1"] == 1.0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    row = next(l for l in out.splitlines() if l.startswith("| micro |"))
    assert row.endswith("| 1.000 | " + row.split("|")[4].strip() + " |")
    assert float(row.split("|")[4]) > 0
    assert (tmp_path / "b" / "compare.md").exists()


def test_evaluate_with_a_checkpoint(tiny_checkpoints, tmp_path, capsys):
    ner, _ = tiny_checkpoints
    code = main(["evaluate", f"--checkpoint={ner}", f"--data={SEEDS}", f"--output={tmp_path}", "--precision=fp32"])
    assert code == 0
    report = json.loads((tmp_path / "report.json").read_text())
    assert "entities" in report and "event_types" in report and report["articles"] == 3


@pytest.mark.parametrize("args, message", [
    (["--data=x.json", "--output=o"], "evaluate needs --checkpoint DIR or --predictions FILE"),
    (["--predictions=nope.jsonl", f"--data={SEEDS}", "--output=o"], "nope.jsonl: cannot read"),
])
def test_evaluate_errors_are_one_line(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["evaluate", *args]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_evaluate_without_required_flags_is_argparse_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--predictions=p.jsonl"])
    assert exc.value.code == 2 and "the following arguments are required: --data, --output" in capsys.readouterr().err


def test_evaluate_with_a_checkpoint_gives_the_spans_infer_gives(tiny_ner, tmp_path, capsys):
    """One loader for both: the same checkpoint gives the same spans and event types in evaluate and infer."""
    from hydra import compose, initialize_config_dir

    from infer.job import run

    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        cfg = compose("infer", overrides=[f"checkpoint={tiny_ner}", f"input={SEEDS}", f"output={tmp_path / 'tagged'}",
                                          "progress_bar=false", "precision=fp32"])
    run(cfg)
    tagged = {r["id"]: r for r in map(json.loads, (tmp_path / "tagged" / "predictions.jsonl").read_text().splitlines())}
    assert main(["evaluate", f"--checkpoint={tiny_ner}", f"--data={SEEDS}", f"--output={tmp_path / 'eval'}",
                 "--precision=fp32"]) == 0
    scored = json.loads((tmp_path / "eval" / "documents.json").read_text())["predicted"]
    assert len(scored) == 3
    for d in scored:
        assert [tuple(s[:3]) for s in d["spans"]] == [(s["start"], s["end"], s["label"]) for s in tagged[d["id"]]["spans"]]
        assert d["event_types"] == [t["label"] for t in tagged[d["id"]]["event_types"]]
