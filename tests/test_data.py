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


REAL = ROOT / "data" / "annotated" / "real.json"


def test_every_real_document_says_where_it_comes_from_under_an_accepted_licence():
    from sitrep.sources import LICENCES, provenance_problems

    docs = load_annotated([REAL, ROOT / "data" / "annotated" / "seeds.json"])
    assert len(docs) == 288
    for doc in docs:
        assert doc.meta["provenance"] == "real"
        assert provenance_problems(doc.meta) == [], doc.id
        assert doc.meta["licence"] in LICENCES and doc.meta["attribution"] and doc.meta["reviewed"] is True
        assert doc.meta["form"] in ("short", "full") and doc.meta["region"]


def test_an_unknown_or_non_commercial_licence_is_refused():
    from sitrep.sources import provenance_problems

    meta = {"provenance": "real", "source": "x", "url": "http://x", "date": None, "attribution": "x"}
    assert provenance_problems({**meta, "licence": "CC BY 4.0"}) == []
    (problem,) = provenance_problems({**meta, "licence": "CC BY-NC 4.0"})
    assert "is not one the project accepts" in problem and "non-commercial" in problem
    assert provenance_problems({**meta, "licence": "CC BY 4.0", "url": None}) == [
        "real document without 'url' or 'dataset' in its meta"]
    assert any("'licence'" in p for p in provenance_problems({k: v for k, v in meta.items()}))
    assert provenance_problems({"provenance": "authored"}) == []


def test_sources_table_counts_match_the_data():
    from collections import Counter

    docs = load_annotated([REAL, ROOT / "data" / "annotated" / "seeds.json"])
    table = (ROOT / "data" / "SOURCES.md").read_text()
    lines = [l for l in table.splitlines() if l.startswith("| ") and not l.startswith("| collection")
             and not l.startswith("|---")]
    by_licence = Counter((d.meta["licence"], d.meta["form"]) for d in docs)
    for line in lines:
        cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
        if cells[0] == "total":
            assert [int(c) for c in cells[1:4]] == [len(docs), sum(d.meta["form"] == "short" for d in docs),
                                                    sum(d.meta["form"] == "full" for d in docs)]
    # Per licence, the documents the table lists add up to what the data holds.
    listed = Counter()
    for line in lines:
        cells = [c.strip().strip("*") for c in line.strip("|").split("|")]
        if cells[0] != "total":
            listed[(cells[4], "short")] += int(cells[2])
            listed[(cells[4], "full")] += int(cells[3])
    assert {k: v for k, v in listed.items() if v} == dict(by_licence)


def test_the_real_split_covers_every_real_document_once_and_has_its_sizes():
    from train.splits import read_split_file

    part_of = read_split_file(ROOT / "data" / "splits" / "real.yaml")
    docs = load_annotated([REAL, ROOT / "data" / "annotated" / "seeds.json"])
    assert set(part_of) == {d.id for d in docs}
    sizes = {p: sum(v == p for v in part_of.values()) for p in ("train", "dev", "test")}
    assert sizes == {"train": 149, "dev": 57, "test": 82}
    short_test = sum(1 for d in docs if part_of[d.id] == "test" and d.meta["form"] == "short")
    assert short_test >= 40
    # Items from one source article or one event report share a part.
    groups = {}
    for d in docs:
        if "group" in d.meta:
            groups.setdefault(d.meta["group"], set()).add(part_of[d.id])
    assert all(len(parts) == 1 for parts in groups.values())
