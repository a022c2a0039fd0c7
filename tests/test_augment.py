import random

from omegaconf import OmegaConf

from sitrep.annotated import load_annotated
from sitrep.document import Document, Span
from sitrep.validate import check_document
from sitrep.scheme import SCHEME
from train.augment import augment_documents, mention_pool, replace_mentions, trigger_form, trigger_pool


def _doc():
    text = "Iraqi forces seized Ramadi, killing 12 IS militants."
    at = lambda s, label: Span(text.index(s), text.index(s) + len(s), label)
    spans = [at("Iraqi forces", "ACTOR"), at("seized", "TERRITORY"), at("Ramadi", "LOCATION"),
             at("12", "CASUALTY"), at("IS militants", "ACTOR")]
    return Document("d", text, spans, ["TERRITORY"], {"provenance": "authored"})


def test_replacement_keeps_labels_on_the_new_text():
    pool = {"ACTOR": ["Boko Haram"], "LOCATION": ["Maiduguri"], "CASUALTY": ["dozens"]}
    out = replace_mentions(_doc(), pool, rate=1.0, rng=random.Random(0), suffix="~a")
    assert out.text == "Boko Haram seized Maiduguri, killing dozens Boko Haram."
    assert [(out.text[s.start:s.end], s.label) for s in out.spans] == [
        ("Boko Haram", "ACTOR"), ("seized", "TERRITORY"), ("Maiduguri", "LOCATION"), ("dozens", "CASUALTY"),
        ("Boko Haram", "ACTOR")]
    assert out.id == "d~a" and out.meta["provenance"] == "augmented" and out.event_types == ["TERRITORY"]
    assert replace_mentions(_doc(), pool, 0.0, random.Random(0), "~b").text == _doc().text


def test_augmented_corpus_is_seeded_and_valid(root):
    docs = load_annotated([root / "data" / "annotated" / "authored.json"])[:8]
    cfg = OmegaConf.create({"rate": 0.5, "copies": 2, "gazetteer": True})
    a, b = augment_documents(docs, cfg, 3), augment_documents(docs, cfg, 3)
    assert len(a) == 24 and [d.text for d in a] == [d.text for d in b]
    assert [d.text for d in augment_documents(docs, cfg, 4)] != [d.text for d in a]
    changed = sum(x.text != y.text for x, y in zip(a[8:16], docs))
    assert changed >= 6
    for doc in a:
        assert check_document(doc, "aug") == []
    assert len(mention_pool(docs, gazetteer=True)["LOCATION"]) > 10_000


def test_trigger_swap_keeps_label_form_and_capital():
    triggers = {("TERRITORY", "ed"): ["captured"], ("TERRITORY", "ing"): ["retaking"]}
    out = replace_mentions(_doc(), {"ACTOR": ["Boko Haram"]}, rate=0.0, rng=random.Random(0), suffix="~t",
                           triggers=triggers, trigger_rate=1.0)
    assert out.text == "Iraqi forces captured Ramadi, killing 12 IS militants."
    assert [(out.text[s.start:s.end], s.label) for s in out.spans] == [
        ("Iraqi forces", "ACTOR"), ("captured", "TERRITORY"), ("Ramadi", "LOCATION"), ("12", "CASUALTY"),
        ("IS militants", "ACTOR")]
    capital = Document("c", "Seized: Ramadi.", [Span(0, 6, "TERRITORY")], ["TERRITORY"])
    assert replace_mentions(capital, {}, 0.0, random.Random(0), "~t", triggers, 1.0).text == "Captured: Ramadi."
    # No trigger of the same word form: the original stays.
    only_ing = {("TERRITORY", "ing"): ["retaking"]}
    assert replace_mentions(_doc(), {}, 0.0, random.Random(0), "~t", only_ing, 1.0).text == _doc().text
    assert replace_mentions(_doc(), {}, 0.0, random.Random(0), "~t", triggers, 0.0).text == _doc().text


def test_trigger_pool_leaves_out_words_of_two_labels():
    text = "Rebels attacked a post. Jets attacked a town. Troops seized it and shelling went on.\nClashes"
    at = lambda s, label, k=0: Span(text.index(s, k), text.index(s, k) + len(s), label)
    doc = Document("p", text, [at("attacked", "BATTLE"), at("attacked", "AIRSTRIKE", 20), at("seized", "TERRITORY"),
                               at("shelling", "EXPLOSION"), at("on.\nClashes", "BATTLE")], [])
    assert trigger_pool([doc]) == {("TERRITORY", "ed"): ["seized"], ("EXPLOSION", "ing"): ["shelling"]}
    assert [trigger_form(w) for w in ("air strikes", "Shelled", "bombing", "blast")] == ["s", "ed", "ing", ""]


def test_trigger_rate_zero_is_the_old_augmentation(root):
    docs = load_annotated([root / "data" / "annotated" / "authored.json"])[:6]
    old = OmegaConf.create({"rate": 0.3, "copies": 1, "gazetteer": False})
    zero = OmegaConf.create({"rate": 0.3, "copies": 1, "gazetteer": False, "trigger_rate": 0.0})
    swapped = OmegaConf.create({"rate": 0.3, "copies": 1, "gazetteer": False, "trigger_rate": 1.0})
    assert [d.text for d in augment_documents(docs, zero, 5)] == [d.text for d in augment_documents(docs, old, 5)]
    out = augment_documents(docs, swapped, 5)
    for doc in out:
        assert check_document(doc, "aug") == []
    pool = {w for words in trigger_pool(docs).values() for w in words}
    new_triggers = [d.text[s.start:s.end].lower() for d in out[6:] for s in d.spans if s.label in SCHEME.trigger_labels]
    assert new_triggers and all(w in pool or w in _ambiguous(docs) for w in new_triggers)


def _ambiguous(docs):
    seen = {}
    for d in docs:
        for s in d.spans:
            if s.label in SCHEME.trigger_labels:
                seen.setdefault(d.text[s.start:s.end].lower(), set()).add(s.label)
    return {w for w, labels in seen.items() if len(labels) > 1 or "\n" in w}


def test_a_replacement_that_fuses_with_its_neighbour_keeps_the_original():
    # "Mar." before the full stop reads as an abbreviation (March): the span would end inside a word.
    text = "Troops reached Ramadi. Fighting went on."
    doc = Document("f", text, [Span(15, 21, "LOCATION"), Span(23, 31, "BATTLE")], ["BATTLE"])
    out = replace_mentions(doc, {"LOCATION": ["Roquetas de Mar"]}, 1.0, random.Random(0), "~f")
    assert out.text == text and out.spans == doc.spans
    fine = replace_mentions(doc, {"LOCATION": ["Mosul"]}, 1.0, random.Random(0), "~f")
    assert fine.text == "Troops reached Mosul. Fighting went on."
    assert [(fine.text[s.start:s.end], s.label) for s in fine.spans] == [("Mosul", "LOCATION"), ("Fighting", "BATTLE")]
    assert check_document(out, "aug") == [] and check_document(fine, "aug") == []
