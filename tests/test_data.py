"""The bundled data: raw seeds, their annotations, and the markup they are authored in."""

import json
from pathlib import Path

import pytest

from sitrep.annotated import expand_paths, load_annotated
from sitrep.labelstudio import documents_to_export

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "data" / "raw").glob("*.txt"))


def test_three_raw_seeds():
    assert [p.stem for p in SEEDS] == ["000_80c29b2f575664a9", "001_687d2cf08bd21f35", "002_319b6507e070cbea"]


@pytest.mark.skipif(not (ROOT.parent / "shared" / "seeds").is_dir(), reason="no shared/ beside the checkout")
def test_raw_seeds_are_byte_for_byte_the_shared_ones():
    for path in SEEDS:
        assert path.read_bytes() == (ROOT.parent / "shared" / "seeds" / path.name).read_bytes()


def test_seed_export_matches_raw_text_and_is_fully_annotated():
    docs = {d.id: d for d in load_annotated([ROOT / "data" / "annotated" / "seeds.json"])}
    assert sorted(docs) == [p.stem for p in SEEDS]
    for path in SEEDS:
        doc = docs[path.stem]
        assert doc.text == path.read_bytes().decode("utf-8")
        assert 60 <= len(doc.spans) <= 75
        assert doc.meta["provenance"] == "real" and doc.meta["raw"] == f"data/raw/{path.name}"
        assert doc.meta["source"] in ("Xinhua", "BBC News") and doc.meta["form"] == "full"


@pytest.mark.parametrize("export", sorted((ROOT / "data" / "annotated").glob("*.json")), ids=lambda p: p.name)
def test_exports_are_generated_from_their_markup(export):
    """data/markup/ is where annotations are authored; data/annotated/ must be its current conversion."""
    markup_dir = ROOT / "data" / "markup" / export.stem
    assert markup_dir.is_dir(), f"no markup folder for {export.name}"
    docs = load_annotated(expand_paths([markup_dir]))
    assert json.loads(export.read_text(encoding="utf-8")) == json.loads(json.dumps(documents_to_export(docs))), \
        f"run `make data` to regenerate {export.name}"
