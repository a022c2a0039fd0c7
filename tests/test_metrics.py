"""Scores on small cases computed by hand: the numbers, not just the keys."""

import pytest

from sitrep.document import Document, Span
from sitrep.metrics import entity_scores, event_type_scores, overlap_scores
from sitrep.report import casualty_accuracy

TEXT = "Iraqi forces seized Ramadi and Hit after clashes with IS militants, killing 12 people."


def doc(id_, spans, types=()):
    return Document(id_, TEXT, [Span(TEXT.index(t), TEXT.index(t) + len(t), label) for t, label in spans], list(types))


GOLD = doc("a", [("Iraqi forces", "ACTOR"), ("Ramadi", "LOCATION"), ("Hit", "LOCATION"), ("clashes", "BATTLE"),
                 ("IS militants", "ACTOR"), ("12", "CASUALTY")])
# One exact hit per kind of error: a boundary error (forces), a wrong label (Hit), a miss (clashes), a spurious span.
PRED = doc("a", [("forces", "ACTOR"), ("Ramadi", "LOCATION"), ("Hit", "ACTOR"), ("IS militants", "ACTOR"),
                 ("12", "CASUALTY"), ("killing", "CIVILIAN_HARM")])


def test_entity_scores_strict_by_hand():
    s = entity_scores([GOLD], [PRED])
    # Strict: Ramadi, IS militants, 12 right (3 of 6 predicted, 3 of 6 gold).
    assert (s["micro"]["precision"], s["micro"]["recall"], s["micro"]["f1"]) == (0.5, 0.5, 0.5)
    assert s["per_label"]["ACTOR"] == {"precision": 0.3333, "recall": 0.5, "f1": 0.4, "support": 2}
    assert s["per_label"]["LOCATION"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert s["per_label"]["BATTLE"]["recall"] == 0.0 and s["per_label"]["CASUALTY"]["f1"] == 1.0
    # Macro over the labels with gold support (ACTOR 0.4, LOCATION 0.6667, CASUALTY 1, BATTLE 0).
    assert s["macro"]["f1"] == pytest.approx((0.4 + 0.6667 + 1 + 0) / 4, abs=1e-4)


def test_overlap_scores_by_hand():
    s = overlap_scores([GOLD], [PRED])
    # Overlap counts "forces" for "Iraqi forces": 4 of 6 predicted, 4 of 6 gold.
    assert (s["micro"]["precision"], s["micro"]["recall"]) == (0.6667, 0.6667)
    assert s["per_label"]["ACTOR"]["recall"] == 1.0 and s["per_label"]["LOCATION"]["recall"] == 0.5


def test_event_type_scores_by_hand():
    gold = [Document("a", "", [], ["BATTLE", "AIRSTRIKE"]), Document("b", "", [], ["NONE"]),
            Document("c", "", [], ["EXPLOSION"])]
    pred = [Document("a", "", [], ["BATTLE"]), Document("b", "", [], ["AIRSTRIKE"]),
            Document("c", "", [], ["EXPLOSION"])]
    s = event_type_scores(gold, pred)
    # tp: BATTLE(a), EXPLOSION(c) = 2; fp: AIRSTRIKE(b) = 1; fn: AIRSTRIKE(a) = 1.
    assert (s["micro"]["precision"], s["micro"]["recall"], s["micro"]["f1"]) == (0.6667, 0.6667, 0.6667)
    assert s["per_type"]["AIRSTRIKE"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert s["per_type"]["BATTLE"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1}
    assert s["macro"]["f1"] == pytest.approx((1 + 0 + 1) / 3, abs=1e-4)
    assert s["exact_match"] == pytest.approx(1 / 3, abs=1e-4)  # only c has the whole set right
    # Swapping false positives and negatives changes precision and recall apart.
    swapped = event_type_scores(pred, gold)
    assert swapped["per_type"]["AIRSTRIKE"]["support"] == 1 and swapped["micro"]["f1"] == 0.6667


def test_casualty_accuracy_compares_the_predicted_number_with_the_gold_one():
    text = "At least nine were killed and dozens wounded; 3 more died."
    g = Document("a", text, [Span(0, 13, "CASUALTY"), Span(29, 35, "CASUALTY"), Span(46, 47, "CASUALTY")])
    p = Document("a", text, [Span(9, 13, "CASUALTY"), Span(29, 35, "CASUALTY")])  # "nine", "dozens"; "3" missed
    acc = casualty_accuracy([g], [p])
    assert (acc["gold_spans"], acc["matched"]) == (3, 2)
    assert acc["exact_number_accuracy"] == 1.0 and acc["mean_absolute_error"] == 0.0
    p2 = Document("a", text, [Span(0, 13, "CASUALTY"), Span(36, 43, "CASUALTY")])  # "wounded" has no number
    acc2 = casualty_accuracy([g], [p2])
    assert acc2["matched"] == 1 and acc2["exact_number_accuracy"] == 1.0
