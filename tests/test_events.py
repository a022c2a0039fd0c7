"""Event coding: dates, places, fatalities, merging, and event records against gold ones."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from sitrep import acled, dates
from sitrep.document import Span
from sitrep.event_scores import read_events, score_events
from sitrep.events import EventCoder
from sitrep.places import gazetteer

ROOT = Path(__file__).resolve().parent.parent
SAT = dates.EventDate(dt.date(2016, 5, 28), "day")  # a Saturday
MON = dates.EventDate(dt.date(2016, 5, 30), "day")


@pytest.mark.parametrize("sentence, article, expected", [
    ("On 9 May 2020 a car bomb exploded in Kabul.", dates.EventDate(dt.date(2020, 5, 12), "day"), ("2020-05-09", "day")),
    ("Troops seized the town on May 23.", SAT, ("2016-05-23", "day")),
    ("Iraqi forces on Saturday pushed into Fallujah.", SAT, ("2016-05-28", "day")),
    ("Iraqi forces on Saturday pushed into Fallujah.", MON, ("2016-05-28", "day")),
    ("Militants attacked a checkpoint on Monday.", SAT, ("2016-05-23", "day")),
    ("Militants attacked a checkpoint on Monday.", MON, ("2016-05-30", "day")),
    ("Clashes broke out yesterday.", MON, ("2016-05-29", "day")),
    ("Earlier in the day rockets hit the market.", MON, ("2016-05-30", "day")),
    ("IS seized the city in June 2014.", MON, ("2014-06-01", "month")),
])
def test_event_dates(sentence, article, expected):
    got = dates.resolve(sentence, article)
    assert (got.iso(), got.precision) == expected


def test_no_date_cue_or_no_article_date():
    assert dates.resolve("Rebels shelled the town.", SAT) is None
    assert dates.resolve("Rebels shelled the town on Saturday.", dates.NO_DATE) is None  # nothing to resolve against
    assert dates.fallback(SAT) == dates.EventDate(dt.date(2016, 5, 28), "week")
    assert dates.fallback(dates.NO_DATE) == dates.NO_DATE


@pytest.mark.parametrize("meta, text, expected", [
    ("2016-10-04", "", ("2016-10-04", "day")),
    ("2016-10", "", ("2016-10-01", "month")),
    (None, "Date of publication 4 October 2016 The bomber blew himself up", ("2016-10-04", "day")),
    (None, "01.10.2014Get short URL 4016 At least 12 civilians", ("2014-10-01", "day")),
    (None, "Iraqi forces pushed into Fallujah.", ("", "")),
])
def test_article_dates_from_meta_or_dateline(meta, text, expected):
    got = dates.article_date(meta, text)
    assert (got.iso(), got.precision) == expected


@pytest.mark.parametrize("name, context, expected", [
    ("Tripoli", {"LY"}, ("LBY", "town")),
    ("Tripoli", {"LB"}, ("LBN", "town")),
    ("Fallujah", {"IQ"}, ("IRQ", "town")),
    ("Syria", set(), ("SYR", "country")),
    ("Anbar Province", {"IQ"}, ("IRQ", "region")),
])
def test_places_resolved_by_context(name, context, expected):
    place = gazetteer().resolve(name, context)
    assert (place.iso3, place.kind) == expected


def test_region_word_and_nearest_same_named_place():
    g = gazetteer()
    assert g.resolve("Idlib", {"SY"}, region_hint=True).kind == "region"
    assert g.resolve("Idlib", {"SY"}).kind == "town"
    fallujah = g.resolve("Fallujah", {"IQ"})
    assert g.resolve("Fallujah", {"IQ"}).admin1 == "Anbar" and fallujah.latitude == pytest.approx(33.35, abs=0.05)
    assert g.resolve("Zzyzxqwv", {"IQ"}) is None


def spans_of(text, marked):
    """Spans from (substring, label) pairs, in order; a repeated substring takes its next occurrence."""
    out, pos = [], {}
    for piece, label in marked:
        start = re.compile(r"(?<!\w)" + re.escape(piece) + r"(?!\w)").search(text, pos.get(piece, 0)).start()
        pos[piece] = start + len(piece)
        out.append(Span(start, start + len(piece), label, 0.9))
    return out


def code(text, marked, date="2016-05-28"):
    return EventCoder().code("a", text, spans_of(text, marked), {"date": date})


def test_one_assault_in_one_sentence_is_one_event():
    text = "Iraqi security forces on Saturday pushed into Fallujah and seized part of a district after clashes with IS militants."
    (event,) = code(text, [("Iraqi security forces", "ACTOR"), ("pushed into", "TERRITORY"), ("Fallujah", "LOCATION"),
                           ("seized", "TERRITORY"), ("clashes", "BATTLE"), ("IS militants", "ACTOR")])
    assert event["triggers"] == "pushed into; seized; clashes"
    assert (event["event_type"], event["sub_event_type"]) == ("Battles", "Government regains territory")
    assert (event["actor1"], event["event_date"], event["country"], event["admin1"]) == \
        ("Iraqi security forces", "2016-05-28", "Iraq", "Anbar")


def test_two_towns_are_two_events():
    text = "Air strikes hit Aleppo and Idlib on Saturday, killing 12 people."
    events = code(text, [("Air strikes", "AIRSTRIKE"), ("Aleppo", "LOCATION"), ("Idlib", "LOCATION"), ("12", "CASUALTY")])
    assert [e["location"] for e in events] == ["Aleppo", "Idlib"]
    assert all(e["sub_event_type"] == "Air/drone strike" and e["country"] == "Syria" for e in events)


def test_a_place_and_its_region_are_one_place():
    text = "Ukraine says Russia attacked a store in Hroza, Kharkiv Oblast, with a ballistic missile, killing at least 51 civilians."
    (event,) = code(text, [("Ukraine", "ACTOR"), ("Russia", "ACTOR"), ("Hroza", "LOCATION"), ("Kharkiv Oblast", "LOCATION"),
                           ("ballistic missile", "EXPLOSION"), ("at least 51", "CASUALTY")], date="2023-10-05")
    assert event["location"] == "Hroza" and event["fatalities"] == 51
    assert (event["event_type"], event["sub_event_type"]) == ("Explosions/Remote violence", "Shelling/artillery/missile attack")
    assert event["actor1"] == "Russia" and event["actor2"] == "civilians"


def test_a_headline_and_its_lede_are_one_event_with_the_lowest_toll():
    text = ("Suicide attack on Syria wedding kills 32\n"
            "A suicide bomber struck a wedding in Tall Tawil in Hassakeh province on Monday, killing at least 22 people.")
    events = code(text, [("Suicide attack", "EXPLOSION"), ("Syria", "LOCATION"), ("32", "CASUALTY"),
                         ("suicide bomber", "EXPLOSION"), ("Tall Tawil", "LOCATION"), ("Hassakeh", "LOCATION"),
                         ("at least 22", "CASUALTY")], date="2016-10-04")
    (event,) = events
    assert event["fatalities"] == 22 and event["sub_event_type"] == "Suicide bomb"
    assert event["location"] == "Tall Tawil" and event["event_date"] == "2016-10-03"


@pytest.mark.parametrize("text, marked, expected", [
    ("Two people are killed and five others are wounded in a mortar attack on Timbuktu.",
     [("Two", "CASUALTY"), ("five", "CASUALTY"), ("mortar attack", "EXPLOSION"), ("Timbuktu", "LOCATION")], 2),
    ("Dozens were killed when warplanes bombed Douma.",
     [("Dozens", "CASUALTY"), ("bombed", "AIRSTRIKE"), ("Douma", "LOCATION")], 12),
    ("A roadside bomb hit a patrol near Kirkuk, wounding three soldiers.",
     [("roadside bomb", "EXPLOSION"), ("Kirkuk", "LOCATION"), ("three", "CASUALTY")], None),
    ("Rockets hit Ashkelon but there were no casualties.", [("Rockets", "EXPLOSION"), ("Ashkelon", "LOCATION")], 0),
    ("Gunmen killed two soldiers and three civilians in Mali, including a child.",
     [("killed", "BATTLE"), ("two", "CASUALTY"), ("three", "CASUALTY"), ("Mali", "LOCATION"), ("a", "CASUALTY")], 5),
])
def test_fatalities(text, marked, expected):
    (event,) = code(text, marked)
    assert event["fatalities"] == expected


def test_acled_table_and_sub_types():
    assert acled.sub_event_type("EXPLOSION", ["suicide car bomb"]) == "Suicide bomb"
    assert acled.sub_event_type("EXPLOSION", ["shelling"]) == "Shelling/artillery/missile attack"
    assert acled.sub_event_type("EXPLOSION", ["roadside bomb"]) == "Remote explosive/landmine/IED"
    assert acled.sub_event_type("CIVILIAN_HARM", ["kidnapped"]) == "Abduction/forced disappearance"
    assert acled.sub_event_type("TERRITORY", ["seized"], "IS militants") == "Non-state actor overtakes territory"
    assert acled.sub_event_type("TERRITORY", ["recaptured"], "Syrian army") == "Government regains territory"
    assert acled.sub_event_type("TERRITORY", ["recaptured"], "", "IS militants") == "Government regains territory"
    assert acled.event_type("DISPLACEMENT") == "Strategic developments"
    assert "| `AIRSTRIKE` | Explosions/Remote violence | Air/drone strike |" in acled.markdown_table()


def test_event_scores_match_one_to_one_and_compare_fields():
    gold = {"a": [{"article_id": "a", "event_type": "Battles", "sub_event_type": "Armed clash", "event_date": "2016-05-28",
                   "location": "Fallujah", "latitude": 33.35, "longitude": 43.79, "fatalities": 10, "triggers": "clashes",
                   "actor1": "Iraqi army", "country": "Iraq"},
                  {"article_id": "a", "event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike",
                   "event_date": "2016-05-28", "location": "Ramadi", "latitude": 33.42, "longitude": 43.30,
                   "fatalities": None, "triggers": "air strikes"}]}
    pred = {"a": [{"article_id": "a", "event_type": "Battles", "sub_event_type": "Armed clash", "event_date": "2016-05-28",
                   "location": "Falluja", "latitude": 33.40, "longitude": 43.70, "fatalities": 11, "triggers": "clashes",
                   "actor1": "Iraqi Army", "country": "Iraq"},
                  {"article_id": "a", "event_type": "Violence against civilians", "sub_event_type": "Attack",
                   "event_date": "2016-05-27", "location": "Hit", "triggers": "killed"}]}
    scores = score_events(pred, gold)
    assert (scores["matched"], scores["precision"], scores["recall"]) == (1, 0.5, 0.5)
    acc = scores["field_accuracy"]
    assert acc["location_within_25km"] == 1.0 and acc["actor1"] == 1.0 and acc["event_date"] == 1.0
    assert acc["fatalities_exact"] == 0.0 and acc["fatalities_within_10pct"] == 1.0


def test_gold_event_files_are_well_formed():
    gold = read_events(ROOT / "data" / "events" / "gold")
    assert len(gold) >= 43
    for article, events in gold.items():
        assert [e["event_id"] for e in events] == [f"{article}-{k}" for k in range(1, len(events) + 1)]
        for e in events:
            assert e["event_type"] in {m.event_type for m in acled.TABLE.values()}
            assert e["date_precision"] in ("day", "week", "month", "")
            assert (e["event_date"] == "") == (e["date_precision"] == "")
            assert e["event_date"] == "" or re.fullmatch(r"\d{4}-\d\d-\d\d", e["event_date"])
            assert e["fatalities"] is None or (isinstance(e["fatalities"], int) and e["fatalities"] >= 0)


def test_seed_article_against_its_gold_event_records():
    """Seed 000 coded from its gold spans, scored against the hand-written gold records."""
    from sitrep.annotated import load_annotated

    doc = next(d for d in load_annotated([ROOT / "data" / "annotated" / "seeds.json"]) if d.id.startswith("000"))
    gold = read_events(ROOT / "data" / "events" / "gold" / f"{doc.id}.jsonl")
    pred = {doc.id: EventCoder().code(doc.id, doc.text, doc.spans, doc.meta)}
    scores = score_events(pred, gold)
    assert (scores["gold_events"], scores["matched"]) == (8, 8) and scores["predicted_events"] <= 10
    assert scores["field_accuracy"]["event_type"] == 1.0 and scores["field_accuracy"]["fatalities_exact"] == 1.0
    by_place = {e["location"]: e for e in pred[doc.id]}
    # "U.S.-led coalition aircraft bombarded IS positions in Shuhadaa district and killed at least nine IS militants."
    assert (by_place["Shuhadaa"]["sub_event_type"], by_place["Shuhadaa"]["fatalities"]) == ("Air/drone strike", 9)
    assert by_place["Shuhadaa"]["actor1"] == "U.S.-led coalition aircraft"
    assert by_place["Azragiyah"]["fatalities"] == 16
    assert (by_place["Saqlawiyah"]["actor1"], by_place["Saqlawiyah"]["sub_event_type"]) == \
        ("Hashd Shaabi", "Government regains territory")
    assert by_place["Fallujah"]["country"] == "Iraq" and by_place["Fallujah"]["admin1"] == "Anbar"
