"""The out-of-fold event-type filter experiment (bench/event_type_filter.py): its scoring and cut choice."""

import importlib.util

import numpy as np
import pytest


@pytest.fixture(scope="module")
def bench(root):
    spec = importlib.util.spec_from_file_location("event_type_filter", root / "bench" / "event_type_filter.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def row(type_, found, gold, best):
    return {"type": type_, "found": found, "gold": gold, "best": best, "mean": best, "n": int(found),
            "evidence": best, "head": 0.0, "n_types": 1, "n_tokens": 50, "other_best": 0.0}


ROWS = [row("BATTLE", True, True, 0.9),    # true
        row("BATTLE", True, False, 0.3),   # false: a filter can drop it
        row("AIRSTRIKE", False, True, 0.0),  # missed: no filter brings it back
        row("AIRSTRIKE", False, False, 0.0)]


def test_score_counts_true_false_and_missed_types(bench):
    assert bench.score(ROWS, [r["found"] for r in ROWS]) == (0.5, 1, 1, 1)  # 2*1 / (2*1 + 1 + 1)
    assert bench.score(ROWS, [True, False, False, False]) == (pytest.approx(2 / 3), 1, 0, 1)


def test_best_cut_takes_the_lowest_cut_of_the_best_f1(bench):
    # Cuts 0.35 to 0.9 all drop the false type and keep the true one (F1 2/3); 0.35 is the lowest on the grid.
    assert bench.best_cut(ROWS, np.array([0.9, 0.3, 0.0, 0.0])) == pytest.approx(0.35)


def test_a_filter_never_adds_a_type_the_tagger_did_not_find(bench):
    keep = bench.filters(["BATTLE", "AIRSTRIKE"])["per-type threshold on the best trigger score"](ROWS)
    assert keep(ROWS) == [True, False, False, False]
    unseen = [row("AIRSTRIKE", False, True, 0.99)]
    assert keep(unseen) == [False]
