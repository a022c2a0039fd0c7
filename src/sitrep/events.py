"""Event coding: tagged spans -> ACLED-style event records, one per incident.

1. Each trigger is tied to the place it is about: the first LOCATION after it
   in its clause (with the places listed with it: "hit Aleppo and Idlib" is two
   places), else the nearest one before it in its sentence. A place followed by
   its province or country ("Hroza, Kharkiv Oblast") is one place.
2. Triggers of one sentence about one place whose labels go together (BATTLE
   and TERRITORY; otherwise the same label) are one event; two places are two.
3. Events in different sentences merge when they have the same type group,
   the same place (or one names a place that holds the other's), and no
   different dates, as ACLED codes one event per place, day and type: a
   headline and its lede are one incident. An event whose sentence names no
   place takes the last place named in the two sentences before it.
4. Each event gets its date (:mod:`sitrep.dates`), place (:mod:`sitrep.places`),
   ACLED types (:mod:`sitrep.acled`), actors from its first sentence and its
   fatalities (:mod:`sitrep.fatalities`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from sitrep import acled, dates, fatalities, places
from sitrep.casualty import casualty_number
from sitrep.document import Span
from sitrep.scheme import SCHEME, LabelScheme
from sitrep.sentences import sentence_spans

COLUMNS = ["event_id", "article_id", "event_date", "date_precision", "event_type", "sub_event_type", "actor1",
           "actor2", "location", "admin1", "country", "iso3", "latitude", "longitude", "geo_precision", "fatalities",
           "notes", "triggers", "score"]
GROUPS = {"BATTLE": "fighting", "TERRITORY": "fighting"}  # labels that describe one incident together
SPEAKER = re.compile(r"^\W*(said|says|told|reported|announced|stated|claimed|added|quoted|according)\b", re.IGNORECASE)
SPEAKER_BEFORE = re.compile(r"\b(according to|quoted|cited|told)\W*$", re.IGNORECASE)
# History and cumulative tolls: the war's course ("the war, which began in 2011, has killed more than 300,000").
# Such a toll is the whole war's, not one incident's: ACLED counts it for no event.
_STARTED = r"(?:began|started|erupted|broke out)"
_SINCE_YEAR = (r"\bsince\s+(?:(?:January|February|March|April|May|June|July|August|September|October|November|"
               r"December)\s+)?(?:19|20)\d\d\b")
_TOLL = r"\b(?:killed|died|dead|deaths|displaced|fled|driven from)\b"
BACKGROUND = re.compile(
    r"\b(?:war(?!\s+monitor)|conflict|revolt|uprising|revolution|insurgency)\b[^.;]{0,120}?\b" + _STARTED + r"\b"
    r"|\bsince\s+(?:the\s+)?(?:start|beginning|outbreak)\s+of\s+the\s+(?:war|conflict|revolt|uprising|revolution)\b"
    r"|" + _SINCE_YEAR + r"(?=[^.;]*" + _TOLL + r")"   # "since 2014 ... killed"
    r"|" + _TOLL + r"[^.;]*" + _SINCE_YEAR,             # "killed ... since March 2011"
    re.IGNORECASE)
BY_AGENT = re.compile(r"^\W*(?:\w+\s+){0,3}by\s*$", re.IGNORECASE)
CIVILIANS = re.compile(r"\b(civilians?|villagers|residents|people|children|women|worshippers|mourners|protesters|"
                       r"students|families|passengers|farmers|shoppers|journalists?|aid workers|patients|refugees)\b",
                       re.IGNORECASE)
LIST_JOIN = re.compile(r"^\s*(,|and|or|,\s*and)\s*$")
CLAUSE_BREAK = re.compile(r"[;:]|\bwhile\b|\bbut\b|\bwhereas\b|\bafter\b|\bbefore\b", re.IGNORECASE)


def span_record(text: str, span: Span, scheme: LabelScheme = SCHEME) -> dict:
    """A span as predictions.jsonl writes it; casualty spans carry their number."""
    record = {"start": span.start, "end": span.end, "text": text[span.start : span.end], "label": span.label}
    if span.score is not None:
        record["score"] = round(float(span.score), 4)
    if span.label == scheme.casualty_label:
        record["number"] = casualty_number(record["text"])
    return record


@dataclass
class _Event:
    triggers: list[Span]
    group: str
    place_key: str | None
    location: Span | None
    place: places.Place | None
    sentences: list[int]
    date: dates.EventDate | None  # from the text; None: none said
    share: tuple[int, int] = (0, 1)  # one trigger, several places: (this place's index, the number of places)


class EventCoder:
    """Turns one article's spans into event records; the gazetteer is opened once per coder."""

    def __init__(self, scheme: LabelScheme = SCHEME, gazetteer: places.Gazetteer | None = None):
        self.scheme = scheme
        self._gazetteer = gazetteer

    @property
    def gazetteer(self) -> places.Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = places.gazetteer()
        return self._gazetteer

    def code(self, article_id: str, text: str, spans: list[Span], meta: dict | None = None) -> list[dict]:
        spans = sorted(spans)
        triggers = [s for s in spans if s.label in self.scheme.trigger_labels]
        if not triggers:
            return []
        sentences = sentence_spans(text) or [(0, len(text))]
        starts = [a for a, _ in sentences]

        def sentence_of(pos: int) -> int:
            return max(0, bisect_right(starts, pos) - 1)

        by_label = lambda label: [s for s in spans if s.label == label]
        sch = self.scheme
        locations, actors, casualties = (by_label(sch.location_label), by_label(sch.actor_label),
                                         by_label(sch.casualty_label))
        context = self._context(text, locations + actors)
        anchor = self._anchor(text, locations, context)
        resolved = {(s.start, s.end): self._place(text, s, context, anchor) for s in locations}
        article_date = dates.article_date((meta or {}).get("date"), text)

        # The spec annotates what "happened", history included, so a background sentence still gives its event;
        # its cumulative toll is no event's fatalities.
        background = {k for k, (a, b) in enumerate(sentences) if BACKGROUND.search(text[a:b])}
        casualties = [c for c in casualties if sentence_of(c.start) not in background]

        events: list[_Event] = []
        carried: dates.EventDate | None = None
        last_sentence = -1
        for trig in triggers:
            k = sentence_of(trig.start)
            if k != last_sentence:
                # A date said in an earlier sentence carries to the later ones about the same incidents.
                for j in range(last_sentence + 1, k + 1):
                    said = dates.resolve(text[sentences[j][0]:sentences[j][1]], article_date)
                    carried = said or carried
                last_sentence = k
            s_start, s_end = sentences[k]
            its_places = self._places_of(text, trig, [l for l in locations if s_start <= l.start < s_end], resolved)
            if its_places == [None]:  # no place in its sentence: the last one named just before
                earlier = [l for l in locations if sentences[max(0, k - 2)][0] <= l.start < s_start]
                its_places = [earlier[-1]] if earlier else [None]
            for n_place, loc in enumerate(its_places):
                place = resolved.get((loc.start, loc.end)) if loc else None
                key = self._place_key(text, loc, place)
                group = GROUPS.get(trig.label, trig.label)
                same = next((e for e in events if e.sentences[-1] == k and e.group == group and e.place_key == key), None)
                if same:
                    same.triggers.append(trig)
                else:
                    events.append(_Event([trig], group, key, loc, place, [k], carried, (n_place, len(its_places))))
        events = self._merge(events)
        # A place the gazetteer does not know is still in the country the article is about.
        main_country = anchor.iso2 if anchor is not None else (next(iter(context)) if len(context) == 1 else None)
        return [self._record(article_id, i + 1, e, text, sentences, actors, casualties, article_date, main_country)
                for i, e in enumerate(events)]

    # ---- places ---------------------------------------------------------------------

    def _context(self, text: str, locations: list[Span]) -> set[str]:
        """ISO2 codes of the countries the article is about: the countries its spans name ("France raises ...",
        "in Syria"), and its demonyms ('Syrian')."""
        out = set()
        for s in locations:
            iso2 = self.gazetteer.country_of_name(text[s.start:s.end])
            if iso2:
                out.add(iso2)
        for word in set(re.findall(r"\b[A-Z][a-z]+(?:an|i|ese|ish)\b", text)):
            iso2 = self.gazetteer.country_of_name(word)
            if iso2:
                out.add(iso2)
        return out

    def _place(self, text: str, span: Span, context: set[str], anchor: places.Place | None = None) -> places.Place | None:
        return self.gazetteer.resolve(text[span.start:span.end], frozenset(context), places.region_hint(text, span.end),
                                      anchor)

    def _anchor(self, text: str, locations: list[Span], context: set[str]) -> places.Place | None:
        """The article's main place: its first sizeable town or region in its countries (ties same-named places)."""
        for s in locations:
            p = self._place(text, s, context)
            if p is not None and p.kind != places.COUNTRY and (not context or p.iso2 in context) and \
                    (p.kind == places.REGION or p.population >= 50_000):
                return p
        return None

    @staticmethod
    def _place_key(text: str, loc: Span | None, place: places.Place | None) -> str | None:
        if loc is None:
            return None
        if place is not None:
            return f"{place.kind}:{place.iso2}:{place.name}"
        return "text:" + places.fold(text[loc.start:loc.end])

    def _places_of(self, text: str, trig: Span, locs: list[Span], resolved: dict) -> list[Span | None]:
        """The places a trigger is about: the first after it in its clause and those listed with it."""
        after = [l for l in locs if l.start >= trig.end]
        if after and not CLAUSE_BREAK.search(text[trig.end:after[0].start]):
            chosen = [after[0]]
            for nxt in after[1:]:
                gap = text[chosen[-1].end:nxt.start]
                if not LIST_JOIN.match(gap):
                    break
                if self._contains(resolved.get((nxt.start, nxt.end)), resolved.get((chosen[0].start, chosen[0].end))):
                    continue  # "Hroza, Kharkiv Oblast": the second names where the first is
                chosen.append(nxt)
            return chosen
        before = [l for l in locs if l.end <= trig.start]
        if before:
            k = len(before) - 1  # "in Hroza, Kharkiv Oblast, with a missile": the town, not its region
            while k > 0 and LIST_JOIN.match(text[before[k - 1].end:before[k].start]) and self._contains(
                    resolved.get((before[k].start, before[k].end)), resolved.get((before[k - 1].start, before[k - 1].end))):
                k -= 1
            return [before[k]]
        return [after[0]] if after else [None]

    @staticmethod
    def _contains(outer: places.Place | None, inner: places.Place | None) -> bool:
        if outer is None or inner is None or outer.kind == places.TOWN:
            return outer is not None and inner is None and outer.kind != places.TOWN
        if outer.kind == places.COUNTRY:
            return inner.iso2 == outer.iso2
        return inner.iso2 == outer.iso2 and inner.admin1 == outer.admin1 and inner.kind == places.TOWN

    # ---- merging across sentences -----------------------------------------------------

    def _merge(self, events: list[_Event]) -> list[_Event]:
        """Events of nearby sentences (a headline and its lede; a sentence and the next) that are one incident."""
        out: list[_Event] = []
        for e in events:
            near = [o for o in out if o.group == e.group and self._same_day(o.date, e.date)]
            target = next((o for o in near if o.place_key == e.place_key or self._contains(o.place, e.place)
                           or self._contains(e.place, o.place)), None)
            if target is None and e.place_key is None:
                located = [o for o in near]
                target = located[-1] if len(located) == 1 else None
            if target is None and e.place_key is not None:
                unlocated = [o for o in near if o.place_key is None]
                target = unlocated[-1] if len(unlocated) == 1 else None
            if target is None:
                out.append(e)
                continue
            target.triggers += e.triggers
            target.sentences += [k for k in e.sentences if k not in target.sentences]
            if self._more_specific(e, target):
                target.place, target.location, target.place_key = e.place, e.location, e.place_key
            target.date = target.date or e.date
        return out

    @staticmethod
    def _same_day(a: dates.EventDate | None, b: dates.EventDate | None) -> bool:
        """No different dates said. A month-only date ("since June 2014") marks background: never merged."""
        if (a is not None and a.precision == dates.MONTH) != (b is not None and b.precision == dates.MONTH):
            return False
        return a is None or b is None or a.date is None or b.date is None or a.date == b.date

    @staticmethod
    def _more_specific(a: _Event, b: _Event) -> bool:
        """Does ``a`` name its place more precisely than ``b``? A name the gazetteer lacks counts as a town."""
        rank = {places.TOWN: 0, places.REGION: 1, places.COUNTRY: 2}
        level = lambda e: 3 if e.location is None else rank[e.place.kind] if e.place is not None else 0
        return level(a) < level(b)

    # ---- the record -----------------------------------------------------------------

    def _record(self, article_id: str, n: int, e: _Event, text: str, sentences: list[tuple[int, int]],
                actors: list[Span], casualties: list[Span], article_date: dates.EventDate,
                main_country: str | None = None) -> dict:
        actor1 = actor2 = None
        for k in sorted(e.sentences):  # the first of the event's sentences that names a side
            trig = min((t for t in e.triggers if sentences[k][0] <= t.start < sentences[k][1]), key=lambda t: t.start)
            a1, a2 = self._actors(text, trig, [a for a in actors if sentences[k][0] <= a.start < sentences[k][1]],
                                  sentences[k])
            actor1, actor2 = actor1 or a1, actor2 or a2
            if actor1 and actor2:
                break
        s_start, s_end = sentences[e.sentences[0]]
        labels = [t.label for t in e.triggers]
        label = acled.main_label(labels)
        words = [text[t.start:t.end] for t in e.triggers if t.label == label]
        date = e.date or dates.fallback(article_date)
        counts = []
        all_triggers = [t for t in e.triggers]
        for j in e.sentences:
            a, b = sentences[j]
            in_sentence = [c for c in casualties if a <= c.start < b]
            for c in in_sentence:
                count = fatalities.classify(text, c.start, c.end, (a, b),
                                            [(o.start, o.end) for o in in_sentence if o is not c], j)
                if count is not None:
                    counts.append(count)
        deaths = fatalities.event_fatalities(counts, [text[sentences[j][0]:sentences[j][1]] for j in e.sentences])
        index, parts = e.share
        if deaths and parts > 1:  # one toll for several places: shared out, none counted twice (ACLED)
            deaths = deaths // parts + (deaths % parts if index == 0 else 0)
        place = e.place
        location_text = text[e.location.start:e.location.end] if e.location else ""
        country = place if place is not None else (self.gazetteer.country(main_country) if main_country else None)
        scores = [t.score for t in all_triggers if t.score is not None]
        record = {
            "event_id": f"{article_id}-{n}",
            "article_id": article_id,
            "event_date": date.iso(),
            "date_precision": date.precision,
            "event_type": acled.event_type(label),
            "sub_event_type": acled.sub_event_type(label, words, text[actor1.start:actor1.end] if actor1 else "",
                                                   text[actor2.start:actor2.end] if isinstance(actor2, Span) else ""),
            "actor1": text[actor1.start:actor1.end] if actor1 else "",
            "actor2": (text[actor2.start:actor2.end] if isinstance(actor2, Span) else actor2) or "",
            "location": location_text,
            "admin1": place.admin1 if place else "",
            "country": country.country if country else "",
            "iso3": country.iso3 if country else "",
            "latitude": place.latitude if place else None,
            "longitude": place.longitude if place else None,
            "geo_precision": place.kind if place else "",
            "fatalities": deaths,
            "notes": " ".join(text[s_start:s_end].split())[:400],
            "triggers": "; ".join(text[t.start:t.end] for t in sorted(all_triggers)),
            "score": round(sum(scores) / len(scores), 4) if scores else None,
            "spans": {
                "triggers": [span_record(text, t) for t in sorted(all_triggers)],
                "actors": [span_record(text, a) for a in (actor1, actor2) if isinstance(a, Span)],
                "location": span_record(text, e.location) if e.location else None,
                "casualties": [span_record(text, c) for j in e.sentences for c in casualties
                               if sentences[j][0] <= c.start < sentences[j][1]],
            },
        }
        return record

    @staticmethod
    def _actors(text: str, trig: Span, actors: list[Span], sentence: tuple[int, int]) -> tuple[Span | None, Span | str | None]:
        """actor1 acts (before the trigger, or after it as 'by X'), actor2 is acted on (after it); civilians as written."""
        def speaker(a: Span) -> bool:
            return bool(SPEAKER.match(text[a.end:a.end + 30]) or SPEAKER_BEFORE.search(text[max(sentence[0], a.start - 20):a.start]))

        candidates = [a for a in actors if not speaker(a)]
        clause_end = CLAUSE_BREAK.search(text, trig.end, sentence[1])
        limit = clause_end.start() if clause_end else sentence[1]
        after = [a for a in candidates if trig.end <= a.start < limit]
        before = [a for a in candidates if a.end <= trig.start]
        agent = next((a for a in after if BY_AGENT.match(text[trig.end:a.start])), None)
        actor1 = agent or (before[-1] if before else None)
        rest = [a for a in after if a is not agent]
        actor2: Span | str | None = rest[0] if rest else None
        if actor2 is None:
            victims = CIVILIANS.search(text[trig.end:sentence[1]]) or CIVILIANS.search(text[sentence[0]:trig.start])
            actor2 = victims.group(0) if victims else None
        return actor1, actor2


def event_records(article_id: str, text: str, spans: list[Span], meta: dict | None = None,
                  coder: EventCoder | None = None) -> list[dict]:
    return (coder or EventCoder()).code(article_id, text, spans, meta)


def csv_row(record: dict) -> list:
    """An event record as one row of events.csv (ACLED's column names, no span offsets)."""
    return ["" if record.get(c) is None else record[c] for c in COLUMNS]


def event_types_from_triggers(spans: list[Span], scheme: LabelScheme = SCHEME) -> list[dict]:
    """Article event types read off the triggers found, each scored by its best trigger."""
    best: dict[str, float] = {}
    for span in spans:
        if span.label in scheme.trigger_labels:
            best[span.label] = max(best.get(span.label, 0.0), float(span.score if span.score is not None else 1.0))
    if not best:
        return [{"label": scheme.none_choice, "score": None}]
    return [{"label": t, "score": round(best[t], 4)} for t in scheme.trigger_labels if t in best]
