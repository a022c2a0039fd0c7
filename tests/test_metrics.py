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


# SemEval-2013 schemes on three articles, by hand. Gold: 5 spans; predicted: 4.
#   d0 "Quiet day."  gold none; predicted LOCATION "Quiet" (spurious). Listed first on purpose:
#      nervaluate reads its input format off the first gold document.
#   d1 ACTOR "Rebels" exact; BATTLE "attacked" predicted as AIRSTRIKE (right boundaries, wrong type);
#      LOCATION "Aleppo" predicted as "Alep" (same type, boundary overlap); LOCATION "Homs" missed.
#   d2 ACTOR "Troops": the article has no prediction at all (missed).
def _semeval_case():
    t0, t1, t2 = "Quiet day.", "Rebels attacked Aleppo and Homs.", "Troops fled."
    gold = [Document("d0", t0, []),
            Document("d1", t1, [Span(0, 6, "ACTOR"), Span(7, 15, "BATTLE"), Span(16, 22, "LOCATION"),
                                Span(27, 31, "LOCATION")]),
            Document("d2", t2, [Span(0, 6, "ACTOR")])]
    pred = [Document("d0", t0, [Span(0, 5, "LOCATION")]),
            Document("d1", t1, [Span(0, 6, "ACTOR"), Span(7, 15, "AIRSTRIKE"), Span(16, 20, "LOCATION")])]
    return gold, pred


def _counts(row):
    return {k: row[k] for k in ("correct", "incorrect", "partial", "missed", "spurious", "possible", "actual")}


def test_nervaluate_scores_by_hand():
    from sitrep.metrics import nervaluate_scores

    s = nervaluate_scores(*_semeval_case())
    assert s["scheme"].startswith("SemEval-2013 (nervaluate): strict = exact boundaries and type")
    # strict: Rebels right; attacked (type) and Alep (boundary) incorrect; Homs, Troops missed; Quiet spurious.
    assert s["strict"]["micro"] == {"precision": 0.25, "recall": 0.2, "f1": 0.2222, "correct": 1, "incorrect": 2,
                                    "partial": 0, "missed": 2, "spurious": 1, "possible": 5, "actual": 4}
    # exact (boundaries only): attacked now counts; Alep is still wrong.
    assert _counts(s["exact"]["micro"]) == {"correct": 2, "incorrect": 1, "partial": 0, "missed": 2, "spurious": 1,
                                            "possible": 5, "actual": 4}
    assert (s["exact"]["micro"]["precision"], s["exact"]["micro"]["recall"]) == (0.5, 0.4)
    # partial: Alep counts half: (2 + 0.5) / 4 and (2 + 0.5) / 5.
    assert s["partial"]["micro"]["partial"] == 1
    assert (s["partial"]["micro"]["precision"], s["partial"]["micro"]["recall"], s["partial"]["micro"]["f1"]) == \
        (0.625, 0.5, 0.5556)
    # ent_type (any overlap, same type): Rebels and Alep right; attacked has the wrong type.
    assert (s["ent_type"]["micro"]["correct"], s["ent_type"]["micro"]["incorrect"]) == (2, 1)
    assert s["ent_type"]["micro"]["f1"] == 0.4444
    # Per label, strict: ACTOR 1 of 1 predicted, 1 of 2 gold; LOCATION 0 right of 2 gold.
    actor = s["strict"]["per_label"]["ACTOR"]
    assert (actor["precision"], actor["recall"], actor["f1"], actor["possible"]) == (1.0, 0.5, 0.6667, 2)
    assert s["strict"]["per_label"]["LOCATION"]["f1"] == 0.0 and s["strict"]["per_label"]["LOCATION"]["missed"] == 1
    # A label neither side has: zeros, nothing possible.
    assert s["strict"]["per_label"]["DISPLACEMENT"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "correct": 0,
                                                         "incorrect": 0, "partial": 0, "missed": 0, "spurious": 0,
                                                         "possible": 0, "actual": 0}
    # Macro over labels with something possible (ACTOR 2, BATTLE 1, LOCATION 2): precision (1 + 0 + 0) / 3.
    assert s["strict"]["macro"] == {"precision": 0.3333, "recall": 0.1667, "f1": 0.2222}
    assert s["ent_type"]["macro"]["recall"] == 0.3333  # ACTOR 0.5, BATTLE 0, LOCATION 0.5


def test_nervaluate_scores_when_the_gold_data_has_no_span():
    from sitrep.metrics import nervaluate_scores

    gold = [Document("a", "Quiet day in Homs.", [])]
    pred = [Document("a", "Quiet day in Homs.", [Span(13, 17, "LOCATION"), Span(0, 5, "LOCATION"),
                                                   Span(6, 9, "ACTOR")])]
    s = nervaluate_scores(gold, pred)
    assert s["scheme"] == "SemEval-2013 (nervaluate); the gold data has no span"
    for mode in ("strict", "exact", "partial", "ent_type"):
        assert _counts(s[mode]["micro"]) == {"correct": 0, "incorrect": 0, "partial": 0, "missed": 0,
                                             "spurious": 3, "possible": 0, "actual": 3}
        assert s[mode]["per_label"]["LOCATION"]["spurious"] == 2 and s[mode]["per_label"]["ACTOR"]["actual"] == 1
        assert s[mode]["per_label"]["BATTLE"]["spurious"] == 0
        assert s[mode]["macro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
        assert s[mode]["micro"]["precision"] == 0.0


def test_overlap_scores_is_nervaluate_ent_type():
    s = overlap_scores(*_semeval_case())
    assert s["scheme"].startswith("overlap: same label, any character overlap")
    assert s["micro"] == {"precision": 0.5, "recall": 0.4, "f1": 0.4444, "support": 5}
    # Macro over labels with gold: ACTOR (1, 0.5, 0.6667), BATTLE (0, 0, 0), LOCATION (1 of 2, 1 of 2: 0.5).
    assert s["macro"] == {"precision": 0.5, "recall": 0.3333, "f1": 0.3889}
    assert s["per_label"]["ACTOR"] == {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2}
    assert s["per_label"]["LOCATION"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert s["per_label"]["CASUALTY"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}


def test_event_type_scores_whole_result_by_hand():
    # a: BATTLE right; b: AIRSTRIKE predicted, none in gold; c: no prediction at all (EXPLOSION missed);
    # DISPLACEMENT appears on neither side and must score zeros, not an undefined 1.
    gold = [Document("a", "", [], ["BATTLE"]), Document("b", "", [], ["NONE"]), Document("c", "", [], ["EXPLOSION"])]
    pred = [Document("a", "", [], ["BATTLE"]), Document("b", "", [], ["AIRSTRIKE"])]
    s = event_type_scores(gold, pred)
    assert s["scheme"] == "article level, multi-label"
    assert s["micro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2}
    assert s["macro"] == {"precision": 0.5, "recall": 0.5, "f1": 0.5}  # BATTLE 1, EXPLOSION 0
    assert s["per_type"]["DISPLACEMENT"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert s["per_type"]["AIRSTRIKE"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert s["per_type"]["EXPLOSION"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert s["exact_match"] == 0.3333  # only a has the whole set right


def test_event_type_scores_with_nothing_predicted_or_nothing_to_find():
    gold = [Document("a", "", [], ["BATTLE"])]
    nothing = event_type_scores(gold, [Document("a", "", [], ["NONE"])])
    assert nothing["micro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}
    assert nothing["exact_match"] == 0.0
    none_in_gold = event_type_scores([Document("a", "", [], ["NONE"])], [Document("a", "", [], ["NONE"])])
    assert none_in_gold["macro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert none_in_gold["exact_match"] == 1.0  # both say no type
    empty = event_type_scores([], [])
    assert empty["exact_match"] == 0.0 and empty["micro"]["support"] == 0


def test_entity_scores_whole_result_by_hand():
    s = entity_scores([GOLD], [PRED])
    zero = {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert s == {
        "scheme": "seqeval strict, IOB2, entity level",
        "micro": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 6},
        # Over the labels with gold support: ACTOR, LOCATION, CASUALTY, BATTLE.
        "macro": {"precision": 0.5833, "recall": 0.5, "f1": 0.5167},
        "per_label": {
            "ACTOR": {"precision": 0.3333, "recall": 0.5, "f1": 0.4, "support": 2},
            "LOCATION": {"precision": 1.0, "recall": 0.5, "f1": 0.6667, "support": 2},
            "CASUALTY": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 1},
            "BATTLE": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},  # never predicted: 0, not 1
            "TERRITORY": zero, "AIRSTRIKE": zero, "EXPLOSION": zero,
            "CIVILIAN_HARM": zero,  # "killing" predicted, no gold: precision 0
            "DISPLACEMENT": zero,
        },
    }
    # An article with no prediction at all counts as all missed: 3 right of 7 gold, 6 predicted.
    other = doc("b", [("Ramadi", "LOCATION")])
    s2 = entity_scores([GOLD, other], [PRED])
    assert s2["micro"] == {"precision": 0.5, "recall": 0.4286, "f1": 0.4615, "support": 7}
    # Nothing to find and nothing found: zeros everywhere, no error.
    quiet = Document("q", "Quiet day.", [])
    s3 = entity_scores([quiet], [quiet])
    assert s3["micro"] == zero and s3["macro"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_event_type_scores_on_no_articles_is_all_zeros():
    zero = {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert event_type_scores([], []) == {
        "scheme": "article level, multi-label", "micro": {**zero, "support": 0}, "macro": zero,
        "per_type": {t: {**zero, "support": 0} for t in ("BATTLE", "TERRITORY", "AIRSTRIKE", "EXPLOSION",
                                                          "CIVILIAN_HARM", "DISPLACEMENT")},
        "exact_match": 0.0}


@pytest.mark.parametrize("span, tags", [
    ((0, 12), ["B-X", "I-X", "O", "O", "O"]),       # two words
    ((5, 12), ["O", "B-X", "O", "O", "O"]),         # starts on the space before a word
    ((12, 19), ["O", "O", "B-X", "O", "O"]),        # starts where the previous word ends
    ((8, 10), ["O", "B-X", "O", "O", "O"]),         # inside a word: the whole word
    ((20, 24), ["O", "O", "O", "B-X", "O"]),        # ends where the next token (",") starts
    ((13, 40), ["O", "O", "B-X", "I-X", "I-X"]),    # runs past the last token
])
def test_spans_to_tags_covers_every_token_a_span_overlaps(span, tags):
    from sitrep.metrics import spans_to_tags

    tokens = [(0, 5), (6, 12), (13, 19), (20, 24), (24, 25)]  # "Iraqi forces seized Homs,"
    assert spans_to_tags(tokens, [Span(*span, "X")]) == tags


def test_spans_to_tags_first_span_keeps_a_token():
    from sitrep.metrics import spans_to_tags

    tokens = [(0, 5), (6, 12), (13, 19)]
    # Spans go in start order: A takes its two words, B starts afresh on the first word left to it.
    assert spans_to_tags(tokens, [Span(6, 19, "B"), Span(0, 12, "A")]) == ["B-A", "I-A", "B-B"]
