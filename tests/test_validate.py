"""`sitrep validate` on broken exports: one line per problem, naming file, task and span."""

import json

import pytest

from sitrep.cli import main

TEXT = "Iraqi forces seized Ramadi after clashes with IS militants."


def _task(results, text=TEXT, doc_id="t1", choices=("BATTLE", "TERRITORY")):
    region = lambda s, e, label, txt=None: {
        "id": f"r{s}", "from_name": "label", "to_name": "text", "type": "labels",
        "value": {"start": s, "end": e, "text": text[s:e] if txt is None else txt, "labels": [label]},
    }
    res = [region(*r) for r in results]
    if choices is not None:
        res.append({"id": "c", "from_name": "event_types", "to_name": "text", "type": "choices",
                    "value": {"choices": list(choices)}})
    return {"id": 1, "data": {"text": text}, "meta": {"doc_id": doc_id}, "annotations": [{"id": 9, "result": res}]}


GOOD = [(0, 12, "ACTOR"), (13, 19, "TERRITORY"), (20, 26, "LOCATION"), (33, 40, "BATTLE"), (46, 58, "ACTOR")]


def run_validate(tmp_path, capsys, content, name="export.json"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    code = main(["validate", str(path)])
    out = capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == before, "validate must write nothing"
    return code, [line for line in out.splitlines() if line.startswith("error:")], out


def test_good_export_passes(tmp_path, capsys):
    code, errors, _ = run_validate(tmp_path, capsys, [_task(GOOD)])
    assert code == 0 and errors == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda t: t.pop("data"), "task t1: missing data.text"),
        (lambda t: t["data"].update(text=42), "task t1: data.text must be a string"),
        (lambda t: t["annotations"][0]["result"][0]["value"].update(start="0"), "task t1: result 0 (id r0): value.start and value.end must be integers"),
        (lambda t: t["annotations"][0]["result"][0]["value"].update(end=999), "task t1: span 0-999 ACTOR '': offsets outside the text"),
        (lambda t: t["annotations"][0]["result"][0]["value"].update(labels=["WEAPON"]), "task t1: span 0-12 WEAPON 'Iraqi forces': unknown label"),
        (lambda t: t["annotations"][0]["result"][0]["value"].update(text="Iraqi troops"), "value.text 'Iraqi troops' differs from the text"),
        (lambda t: t["annotations"][0]["result"][-1]["value"].update(choices=["RIOT"]), "unknown event_types ['RIOT']"),
        (lambda t: t["annotations"][0]["result"][-1]["value"].update(choices=["NONE"]), "disagree with the triggers marked"),
        (lambda t: t["annotations"][0].update(result="x"), "annotation result must be a list"),
        (lambda t: t["annotations"][0]["result"][0].pop("value"), "result 0 (id r0): missing 'value' object"),
    ],
)
def test_broken_task_is_named(tmp_path, capsys, mutate, expected):
    task = _task(GOOD)
    mutate(task)
    code, errors, _ = run_validate(tmp_path, capsys, [task])
    assert code == 1
    assert any(expected in e for e in errors), errors
    assert all("export.json" in e for e in errors)


@pytest.mark.parametrize(
    "spans, expected",
    [
        (GOOD + [(6, 19, "BATTLE")], "span 6-19 BATTLE 'forces seized': overlaps span 0-12 ACTOR"),
        ([(0, 13, "ACTOR")], "span 0-13 ACTOR 'Iraqi forces ': leading or trailing whitespace"),
        ([(1, 12, "ACTOR")], "span 1-12 ACTOR 'raqi forces': starts inside a word"),
        ([(20, 25, "LOCATION")], "span 20-25 LOCATION 'Ramad': ends inside a word"),
        ([(46, 59, "ACTOR")], "span 46-59 ACTOR 'IS militants.': trailing punctuation"),
    ],
)
def test_bad_spans_are_named(tmp_path, capsys, spans, expected):
    code, errors, _ = run_validate(tmp_path, capsys, [_task(spans, choices=None)])
    assert code == 1
    assert any(expected in e for e in errors), errors


def test_empty_text(tmp_path, capsys):
    code, errors, _ = run_validate(tmp_path, capsys, [_task([], text="  ", choices=["NONE"])])
    assert code == 1 and any("task t1: empty text" in e for e in errors)


def test_not_utf8(tmp_path, capsys):
    code, errors, _ = run_validate(tmp_path, capsys, b'[{"data": {"text": "caf\xe9"}}]')
    assert code == 1 and errors == [f"error: {tmp_path / 'export.json'}: not UTF-8 (bad byte at offset 23); save the export as UTF-8"]


def test_truncated_json(tmp_path, capsys):
    full = json.dumps([_task(GOOD)])
    code, errors, _ = run_validate(tmp_path, capsys, full[: len(full) // 2])
    assert code == 1 and len(errors) == 1 and "not valid JSON at line 1" in errors[0] and "truncated" in errors[0]


def test_not_a_list(tmp_path, capsys):
    code, errors, _ = run_validate(tmp_path, capsys, {"data": {}})
    assert code == 1 and "a Label Studio JSON export is a list of tasks" in errors[0]


def test_duplicate_task_ids(tmp_path, capsys):
    code, errors, _ = run_validate(tmp_path, capsys, [_task(GOOD), _task(GOOD)])
    assert code == 1 and any("task t1: duplicate task id" in e for e in errors)


def test_several_annotations_say_which_is_used(tmp_path, capsys):
    task = _task(GOOD)
    older = {"id": 4, "updated_at": "2020-01-01", "result": []}
    task["annotations"][0]["updated_at"] = "2021-01-01"
    task["annotations"].insert(0, older)
    code, errors, out = run_validate(tmp_path, capsys, [task])
    assert code == 0 and errors == []
    assert "note: " in out and "2 annotations; using annotation 9" in out


def test_missing_file(tmp_path, capsys):
    code = main(["validate", str(tmp_path / "nope.json")])
    assert code == 1
    assert "nope.json: cannot read" in capsys.readouterr().out


def test_markup_files_validate_too(tmp_path, capsys):
    (tmp_path / "a.txt").write_text("---\nid: a\n---\n[ IS](ACTOR) fled.", encoding="utf-8")
    code = main(["validate", str(tmp_path / "a.txt")])
    out = capsys.readouterr().out
    assert code == 1 and "a.txt: task a: span 0-3 ACTOR ' IS': leading or trailing whitespace" in out
