import random

from omegaconf import OmegaConf

from sitrep.annotated import load_annotated
from sitrep.document import Document, Span
from sitrep.validate import check_document
from train.augment import augment_documents, mention_pool, replace_mentions


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
