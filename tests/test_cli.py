import json
import subprocess
import sys

import pytest

from sitrep.cli import main

SUBCOMMANDS = ["validate", "stats", "convert", "labelconfig"]


def test_help_lists_subcommands():
    out = subprocess.run([sys.executable, "-m", "sitrep", "--help"], capture_output=True, text=True, check=True).stdout
    for name in SUBCOMMANDS:
        assert name in out


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_subcommand_has_help(name, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([name, "--help"])
    assert exit_.value.code == 0
    assert "usage: python -m sitrep " + name in capsys.readouterr().out


def test_stats_prints_per_label_counts(root, capsys):
    assert main(["stats", str(root / "data" / "annotated" / "seeds.json")]) == 0
    out = capsys.readouterr().out
    assert "articles: 3" in out
    for label in ["ACTOR", "LOCATION", "CASUALTY", "DISPLACEMENT", "NONE"]:
        assert label in out
    assert main(["stats", "--json", str(root / "data" / "annotated" / "seeds.json")]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["articles"] == 3 and stats["spans"] == sum(stats["spans_per_label"].values())


def test_convert_both_ways(tmp_path, root, capsys):
    export = tmp_path / "seeds.json"
    assert main(["convert", str(root / "data" / "markup" / "seeds"), "-o", str(export)]) == 0
    assert main(["convert", str(export), "-o", str(tmp_path / "markup")]) == 0
    for path in (root / "data" / "markup" / "seeds").glob("*.txt"):
        assert (tmp_path / "markup" / path.name).read_text(encoding="utf-8") == path.read_text(encoding="utf-8")


def test_convert_refuses_bad_input_and_writes_nothing(tmp_path, capsys):
    (tmp_path / "bad.txt").write_text("---\nid: b\n---\n[oops](GUN)", encoding="utf-8")
    assert main(["convert", str(tmp_path / "bad.txt"), "-o", str(tmp_path / "out.json")]) == 1
    err = capsys.readouterr().err
    assert "bad.txt: line 4, col 6: unknown label 'GUN'" in err and "nothing written" in err
    assert not (tmp_path / "out.json").exists()


def test_labelconfig_prints_xml(capsys):
    assert main(["labelconfig"]) == 0
    assert capsys.readouterr().out.startswith("<View>")
