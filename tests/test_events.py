"""Event coding: dates, places, fatalities, merging, and event records against gold ones."""

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@pytest.mark.parametrize("phrase, order, expected", [
    ("7 July 2015", "MDY", dt.date(2015, 7, 7)),
    ("05 Jul 2015", "MDY", dt.date(2015, 7, 5)),
    ("April 29 2017", "MDY", dt.date(2017, 4, 29)),
    ("Sept. 5, 2016", "DMY", dt.date(2016, 9, 5)),
    ("May 22nd, 2014", "MDY", dt.date(2014, 5, 22)),
    ("1st May 2015", "MDY", dt.date(2015, 5, 1)),
    ("March 2011", "MDY", dt.date(2011, 3, 1)),  # no day: the first of the month, as dateparser is told
    ("  Dec. 2019 ", "MDY", dt.date(2019, 12, 1)),
    ("2016-02-29", "YMD", dt.date(2016, 2, 29)),
    ("24.09.2014", "DMY", dt.date(2014, 9, 24)),
    ("24.09.2014", "MDY", None),  # dotted dates are read only in the order the caller says
    ("2016-10-04", "MDY", None),
    ("31 April 2017", "MDY", None),  # no such day: left to dateparser
    ("29 Feb 2017", "MDY", None),
    ("on Tuesday", "MDY", None),
    ("May 23", "MDY", None),  # no year: read against the article date (below)
])
def test_explicit_dates_are_read_directly_as_dateparser_reads_them(phrase, order, expected):
    import dateparser

    assert dates._explicit(phrase, order) == expected
    if expected is not None:
        options = {"PREFER_DATES_FROM": "past", "PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": order}
        assert dateparser.parse(phrase, languages=["en"], settings=options).date() == expected


@pytest.mark.parametrize("base, phrase, expected", [
    (dt.date(2015, 7, 10), "Nov. 14", dt.date(2014, 11, 14)),  # after the report's day: the year before
    (dt.date(2015, 7, 10), "July 10", dt.date(2015, 7, 10)),  # the report's own day
    (dt.date(2015, 7, 10), "July 11", dt.date(2014, 7, 11)),
    (dt.date(2015, 7, 10), "14th Nov", dt.date(2014, 11, 14)),
    (dt.date(2016, 1, 2), "Sept 3", dt.date(2015, 9, 3)),
    (dt.date(2016, 1, 2), "3rd July", dt.date(2015, 7, 3)),
    (dt.date(2015, 7, 10), "Feb 29", dt.date(2012, 2, 29)),  # back to the last leap year
    (dt.date(2016, 3, 31), "29 February", dt.date(2016, 2, 29)),
    (dt.date(2015, 7, 10), "last week", dt.date(2015, 7, 3)),
    (dt.date(2015, 7, 10), "This week", dt.date(2015, 7, 10)),
    (dt.date(2016, 1, 2), "Last month", dt.date(2015, 12, 1)),
    (dt.date(2016, 3, 31), "last month", dt.date(2016, 2, 1)),
    (dt.date(2016, 2, 29), "this month", dt.date(2016, 2, 1)),
    (dt.date(2015, 7, 10), "July 32", None),  # no such day in any year: left to dateparser
    (dt.date(2015, 7, 10), "on Tuesday", None),  # weekdays are resolved by resolve() itself
    (dt.date(2015, 7, 10), "last year", None),
])
def test_yearless_and_relative_dates_are_read_directly_as_dateparser_reads_them(base, phrase, expected):
    import dateparser

    assert dates._relative(phrase, base) == expected
    if expected is not None:
        options = {"PREFER_DATES_FROM": "past", "PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "MDY",
                   "RELATIVE_BASE": dt.datetime.combine(base, dt.time(12))}
        assert dateparser.parse(phrase, languages=["en"], settings=options).date() == expected
        assert dates._parse.__wrapped__(phrase, base) == expected  # and _parse takes the direct reading


_MONTH_FORMS = [form for name in ("January", "February", "March", "April", "May", "June", "July", "August",
                                   "September", "October", "November", "December")
                for form in (name, name[:3], name[:3] + ".", *(("Sept", "Sept.") if name == "September" else ()))]


@settings(max_examples=150, deadline=None)
@given(base=st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)), month=st.sampled_from(_MONTH_FORMS),
       day=st.integers(1, 31), suffix=st.sampled_from(["", "st", "nd", "rd", "th"]), day_first=st.booleans(),
       relative=st.sampled_from([None, "last week", "this week", "Last month", "this month"]))
def test_direct_date_reading_agrees_with_dateparser_on_random_report_dates(base, month, day, suffix, day_first,
                                                                           relative):
    import dateparser

    phrase = relative or (f"{day}{suffix} {month}" if day_first else f"{month} {day}{suffix}")
    ours = dates._relative(phrase, base)
    if ours is None:  # no such day in any recent year ("31 Feb"): dateparser decides, nothing to compare
        assert relative is None
        return
    options = {"PREFER_DATES_FROM": "past", "PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "MDY",
               "RELATIVE_BASE": dt.datetime.combine(base, dt.time(12))}
    assert ours == dateparser.parse(phrase, languages=["en"], settings=options).date()
    assert ours <= base


def test_fuzzy_place_names_match_what_difflib_alone_would_pick():
    """The rapidfuzz cut in front of difflib changes speed, not answers: the same close keys as difflib over all."""
    import difflib

    g = gazetteer()
    misspelt = ["hassakeh", "deir ezzor", "raqqah", "fallouja", "kirkouk", "mosull", "tikreet", "ramadee",
                "aleppoo", "idleb", "palmyrah", "qamishly", "baghdadi", "basrah", "samarah", "zzyzxqwv"]
    found = 0
    for context in ({"SY"}, {"IQ"}, {"SY", "IQ"}):
        marks = ",".join("?" * len(context))
        keys = [r[0] for r in g.db.execute(f"SELECT DISTINCT key FROM names WHERE iso2 IN ({marks})", tuple(context))]
        for target in misspelt:
            want = difflib.get_close_matches(target, [k for k in keys if abs(len(k) - len(target)) <= 2], n=3, cutoff=0.8)
            assert g._close_keys(target, context) == want, (context, target)
            found += bool(want)
    assert found >= 20  # the names are close enough to match: the comparison is not between empty answers
    assert {p.name for p in g._fuzzy("hassakeh", {"SY"})} == {"Al Ḩasakah"}


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


def test_span_record_is_exact():
    from sitrep.events import span_record

    text = "Gunmen killed at least 12 people in Kirkuk."
    casualty = Span(14, 25, "CASUALTY", 0.912345)
    assert span_record(text, casualty) == {"start": 14, "end": 25, "text": "at least 12", "label": "CASUALTY",
                                           "score": 0.9123, "number": 12}
    # No score, not a casualty: four fields and nothing else.
    assert span_record(text, Span(36, 42, "LOCATION")) == {"start": 36, "end": 42, "text": "Kirkuk",
                                                           "label": "LOCATION"}


def test_event_types_from_triggers_scores_each_type_by_its_best_trigger():
    from sitrep.events import event_types_from_triggers

    spans = [Span(0, 5, "BATTLE", 0.4), Span(10, 15, "BATTLE", 0.75), Span(20, 25, "AIRSTRIKE", 0.3),
             Span(30, 35, "ACTOR", 0.99), Span(40, 45, "AIRSTRIKE", None)]
    # A trigger without a score (a gold span) counts as certain; types come in the scheme's order.
    assert event_types_from_triggers(spans) == [{"label": "BATTLE", "score": 0.75}, {"label": "AIRSTRIKE", "score": 1.0}]
    assert event_types_from_triggers([Span(0, 5, "BATTLE", 0.123456)]) == [{"label": "BATTLE", "score": 0.1235}]
    assert event_types_from_triggers([Span(30, 35, "ACTOR", 0.99)]) == [{"label": "NONE", "score": None}]


def _place(name, kind, iso2, admin1=""):
    from sitrep import places

    return places.Place(name, kind, iso2, iso2 + "X", name, admin1, None, None)


@pytest.mark.parametrize("outer, inner, expected", [
    (("Syria", "country", "SY"), ("Aleppo", "town", "SY", "Aleppo"), True),        # a town in its country
    (("Syria", "country", "SY"), ("Mosul", "town", "IQ", "Nineveh"), False),       # another country's town
    (("Syria", "country", "SY"), ("Idlib", "region", "SY", "Idlib"), True),        # a region in its country
    (("Nineveh", "region", "IQ", "Nineveh"), ("Mosul", "town", "IQ", "Nineveh"), True),
    (("Nineveh", "region", "IQ", "Nineveh"), ("Tikrit", "town", "IQ", "Salah ad Din"), False),  # other province
    (("Nineveh", "region", "IQ", "Nineveh"), ("Nineveh", "region", "SY", "Nineveh"), False),   # same name, abroad
    (("Nineveh", "region", "IQ", "Nineveh"), ("Nineveh", "region", "IQ", "Nineveh"), False),   # a region is no town
    (("Mosul", "town", "IQ", "Nineveh"), ("Mosul", "town", "IQ", "Nineveh"), False),  # a town contains nothing
    (("Syria", "country", "SY"), None, True),                                      # an unresolved name: any place
    (None, ("Aleppo", "town", "SY", "Aleppo"), False),
])
def test_place_containment(outer, inner, expected):
    make = lambda p: None if p is None else _place(*p)
    assert EventCoder._contains(make(outer), make(inner)) is expected


@pytest.mark.parametrize("a, b, expected", [
    (None, None, True),
    ((dt.date(2020, 5, 9), "day"), None, True),                       # one side says no date
    (None, (dt.date(2020, 5, 9), "day"), True),
    ((dt.date(2020, 5, 9), "day"), (None, ""), True),
    ((None, ""), (dt.date(2020, 5, 9), "day"), True),
    ((dt.date(2020, 5, 9), "day"), (dt.date(2020, 5, 9), "day"), True),
    ((dt.date(2020, 5, 9), "day"), (dt.date(2020, 5, 10), "day"), False),
    ((dt.date(2020, 5, 1), "month"), (dt.date(2020, 5, 9), "day"), False),  # background ("since May 2020")
    ((dt.date(2020, 5, 9), "day"), (dt.date(2020, 5, 1), "month"), False),
    ((dt.date(2020, 5, 1), "month"), None, False),
    ((dt.date(2020, 5, 1), "month"), (dt.date(2020, 5, 1), "month"), True),
])
def test_same_day(a, b, expected):
    make = lambda d: None if d is None else dates.EventDate(*d)
    assert EventCoder._same_day(make(a), make(b)) is expected


def test_more_specific_ranks_town_region_country_and_no_place():
    from sitrep.events import _Event

    def event(kind):  # kind None: no LOCATION span; "unknown": a name the gazetteer lacks
        loc = None if kind is None else Span(0, 4, "LOCATION")
        place = None if kind in (None, "unknown") else _place("P", kind, "IQ", "A")
        return _Event([], "battle", None, loc, place, [0], None)

    order = ["town", "region", "country", None]
    for i, a in enumerate(order):
        for j, b in enumerate(order):
            assert EventCoder._more_specific(event(a), event(b)) is (i < j), (a, b)
    assert EventCoder._more_specific(event("unknown"), event("region")) is True
    assert EventCoder._more_specific(event("unknown"), event("town")) is False
    assert EventCoder._more_specific(event("town"), event("unknown")) is False


def test_two_town_strike_records_field_by_field():
    """Every column of both records: one strike on two towns is two events that share the toll (ACLED)."""
    from sitrep.events import COLUMNS, csv_row, event_records

    text = "Air strikes hit Aleppo and Idlib on Saturday, killing 12 people."
    spans = spans_of(text, [("Air strikes", "AIRSTRIKE"), ("Aleppo", "LOCATION"), ("Idlib", "LOCATION"),
                            ("12", "CASUALTY")])
    first, second = event_records("a", text, spans, {"date": "2016-05-28"})  # a Saturday
    trigger = {"start": 0, "end": 11, "text": "Air strikes", "label": "AIRSTRIKE", "score": 0.9}
    toll = {"start": 54, "end": 56, "text": "12", "label": "CASUALTY", "score": 0.9, "number": 12}
    shared = {"article_id": "a", "event_date": "2016-05-28", "date_precision": "day",
              "event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike", "actor1": "",
              "actor2": "people", "country": "Syria", "iso3": "SYR", "geo_precision": "town", "fatalities": 6,
              "notes": text, "triggers": "Air strikes", "score": 0.9}
    assert first == {**shared, "event_id": "a-1", "location": "Aleppo", "admin1": "Aleppo", "latitude": 36.2012,
                     "longitude": 37.1612, "spans": {"triggers": [trigger], "actors": [], "casualties": [toll],
                                                     "location": {"start": 16, "end": 22, "text": "Aleppo",
                                                                  "label": "LOCATION", "score": 0.9}}}
    assert second == {**shared, "event_id": "a-2", "location": "Idlib", "admin1": "Idlib", "latitude": 35.9306,
                      "longitude": 36.6339, "spans": {"triggers": [trigger], "actors": [], "casualties": [toll],
                                                      "location": {"start": 27, "end": 32, "text": "Idlib",
                                                                   "label": "LOCATION", "score": 0.9}}}
    row = csv_row(first)
    assert len(row) == len(COLUMNS) and row[COLUMNS.index("location")] == "Aleppo"
    assert csv_row({**first, "actor1": None})[COLUMNS.index("actor1")] == ""  # no value: an empty cell


def test_a_headline_and_its_lede_unresolved_town_keeps_its_text():
    text = ("Suicide attack on Syria wedding kills 32\n"
            "A suicide bomber struck a wedding in Tall Tawil in Hassakeh province on Monday, killing at least 22 people.")
    (event,) = code(text, [("Suicide attack", "EXPLOSION"), ("Syria", "LOCATION"), ("32", "CASUALTY"),
                           ("suicide bomber", "EXPLOSION"), ("Tall Tawil", "LOCATION"), ("Hassakeh", "LOCATION"),
                           ("at least 22", "CASUALTY")], date="2016-10-04")
    # Tall Tawil is not in the gazetteer: its text stays, with no coordinates; the country comes from "Syria".
    assert {k: event[k] for k in ("event_id", "location", "admin1", "country", "iso3", "latitude", "longitude",
                                  "geo_precision", "notes", "triggers", "date_precision")} == {
        "event_id": "a-1", "location": "Tall Tawil", "admin1": "", "country": "Syria", "iso3": "SYR",
        "latitude": None, "longitude": None, "geo_precision": "", "notes": "Suicide attack on Syria wedding kills 32",
        "triggers": "Suicide attack; suicide bomber", "date_precision": "day"}
    assert [c["number"] for c in event["spans"]["casualties"]] == [32, 22]


@pytest.mark.parametrize("sentence, background", [
    ("The war, which began with protests in 2011, has killed more than 300,000 people.", True),
    ("More than 150,000 people have been killed since the revolt began in March 2011.", True),
    ("More than 5,000 people have died since 2014 in the fighting.", True),
    ("Fighting has raged since the start of the war.", True),
    ("The Britain-based war monitor said clashes began at dawn in Idlib.", False),
    ("Government forces began pushing towards Tabqa, held by IS since 2014.", False),
    ("Clashes broke out in Mosul on Friday.", False),
    ("Air strikes killed 12 people in Aleppo on Saturday.", False),
])
def test_background_sentences(sentence, background):
    from sitrep.events import BACKGROUND

    assert bool(BACKGROUND.search(sentence)) is background


def test_a_cumulative_war_toll_is_no_event_s_fatalities():
    text = ("Air strikes killed 12 people in Aleppo on Saturday. "
            "The war, which began in 2011, has killed more than 300,000 people and displaced millions.")
    strike, displacement = code(text, [("Air strikes", "AIRSTRIKE"), ("12", "CASUALTY"), ("Aleppo", "LOCATION"),
                                       ("more than 300,000", "CASUALTY"), ("displaced", "DISPLACEMENT")])
    assert (strike["sub_event_type"], strike["fatalities"], strike["location"]) == ("Air/drone strike", 12, "Aleppo")
    # What happened is still an event (the spec marks triggers of past events), without the war's toll.
    assert (displacement["event_type"], displacement["fatalities"]) == ("Strategic developments", None)
    assert displacement["spans"]["casualties"] == []


def test_event_type_score_is_the_best_trigger_in_any_order():
    from sitrep.events import event_types_from_triggers

    assert event_types_from_triggers([Span(0, 5, "BATTLE", 0.9), Span(10, 15, "BATTLE", 0.2)]) == \
        [{"label": "BATTLE", "score": 0.9}]


def test_an_event_with_no_place_and_no_actor_has_empty_fields():
    text = "A bomb exploded."
    (event,) = EventCoder().code("b", text, [Span(2, 6, "EXPLOSION", 0.5)], {"date": "2020-05-09"})
    assert {k: event[k] for k in ("actor1", "actor2", "location", "admin1", "country", "iso3", "latitude",
                                  "longitude", "geo_precision", "fatalities", "notes", "triggers", "score",
                                  "event_date", "date_precision")} == {
        "actor1": "", "actor2": "", "location": "", "admin1": "", "country": "", "iso3": "", "latitude": None,
        "longitude": None, "geo_precision": "", "fatalities": None, "notes": "A bomb exploded.", "triggers": "bomb",
        "score": 0.5, "event_date": "2020-05-09", "date_precision": "week"}
    assert event["spans"]["location"] is None and event["spans"]["actors"] == []


def test_event_score_is_the_mean_of_its_triggers_and_notes_are_capped():
    text = "Troops pushed into Fallujah and seized the market. " + "The fighting went on " * 30 + "at night."
    events = EventCoder().code("c", text, [Span(7, 18, "TERRITORY", 0.81234), Span(19, 27, "LOCATION", 0.9),
                                           Span(32, 38, "TERRITORY", 0.71234)], {"date": "2016-05-28"})
    (event,) = events
    assert event["triggers"] == "pushed into; seized" and event["score"] == 0.7623  # (0.81234 + 0.71234) / 2
    long_text = "Air strikes hit Aleppo " + "and its countryside " * 30 + "on Saturday."
    (strike,) = EventCoder().code("d", long_text, [Span(0, 11, "AIRSTRIKE", 0.9)], {"date": "2016-05-28"})
    assert len(strike["notes"]) == 400 and long_text.startswith(strike["notes"])


def test_a_sentence_without_a_place_joins_the_one_event_of_its_kind_nearby():
    # Unlocated, its place too far back to carry: the raid that killed five is the one strike, on Aleppo.
    text = ("Air strikes hit Aleppo on Saturday. Residents described the scene. Shops stayed shut. "
            "The air raids killed five people.")
    (event,) = code(text, [("Air strikes", "AIRSTRIKE"), ("Aleppo", "LOCATION"), ("air raids", "AIRSTRIKE"),
                           ("five", "CASUALTY")])
    assert (event["triggers"], event["location"], event["fatalities"]) == ("Air strikes; air raids", "Aleppo", 5)
    # Two strikes on two towns before it: the raid joins neither.
    text = ("Air strikes hit Aleppo on Saturday. Warplanes bombed Idlib. Residents described the scene. "
            "Shops stayed shut. The raids killed five people.")
    events = code(text, [("Air strikes", "AIRSTRIKE"), ("Aleppo", "LOCATION"), ("bombed", "AIRSTRIKE"),
                         ("Idlib", "LOCATION"), ("raids", "AIRSTRIKE"), ("five", "CASUALTY")])
    assert [e["location"] for e in events] == ["Aleppo", "Idlib", ""]
    # Located after unlocated: the place said later is the event's place.
    text = "Warplanes carried out strikes overnight. The strikes hit Idlib, killing three."
    (event,) = code(text, [("strikes", "AIRSTRIKE"), ("strikes hit", "AIRSTRIKE"), ("Idlib", "LOCATION"),
                           ("three", "CASUALTY")])
    assert (event["location"], event["fatalities"], event["triggers"]) == ("Idlib", 3, "strikes; strikes hit")


@pytest.mark.parametrize("name, expected", [
    ("al-Raqqa", ["alraqqa", "raqqa"]), ("Al Bab", ["albab", "bab"]),
    ("Azragiyah", ["azragiyah"]), ("Anbar", ["anbar"]), ("Ashkelon", ["ashkelon"]),
])
def test_an_article_is_dropped_only_where_it_is_written_apart(name, expected):
    from sitrep.places import lookup_keys

    assert lookup_keys(name) == expected


def test_event_files_break_lines_only_at_newlines(tmp_path):
    """A note holding U+0085 or U+2028 (raw, as json.dumps(ensure_ascii=False) writes them) stays one record."""
    f = tmp_path / "a.jsonl"
    rows = [{"article_id": "a", "event_type": "Battles", "notes": "Clashes\u2028in Homs\x85today"},
            {"article_id": "a", "event_type": "Explosions/Remote violence", "notes": "x"}]
    f.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert read_events(f) == {"a": rows}
