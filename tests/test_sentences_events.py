from sitrep.document import Span
from sitrep.events import event_types_from_triggers
from sitrep.sentences import sentence_spans


def sentences(text):
    return [text[s:e] for s, e in sentence_spans(text)]


def test_abbreviations_do_not_end_sentences():
    text = "U.S.-led coalition aircraft struck, Lt. Gen. Abdul Ameer Yarallah said. The strikes killed 12 in Jan. 2015."
    assert sentences(text) == [
        "U.S.-led coalition aircraft struck, Lt. Gen. Abdul Ameer Yarallah said.",
        "The strikes killed 12 in Jan. 2015.",
    ]


def test_dateline_stays_with_its_sentence():
    text = "BAGHDAD, Iraq - Iraqi forces seized the town. Dozens fled."
    assert sentences(text) == ["BAGHDAD, Iraq - Iraqi forces seized the town.", "Dozens fled."]
    assert sentences("KABUL, June 3 (Reuters) -- A bomb exploded. Nine died.")[0].startswith("KABUL, June 3")


def test_bullets_headlines_and_captions_stand_alone():
    text = ("Islamic State: Iraqi army makes gains\n\n  • Published\nMedia caption,\n\nJim Muir reports.\n\n"
            "Falluja - key facts:\n\n  • had population of more than 300,000\n  • controls main highway\n"
            "This line is hard\nwrapped in the middle. Another one!")
    assert sentences(text) == [
        "Islamic State: Iraqi army makes gains", "• Published", "Media caption,", "Jim Muir reports.",
        "Falluja - key facts:", "• had population of more than 300,000", "• controls main highway",
        "This line is hard\nwrapped in the middle.", "Another one!",
    ]


def test_sentences_cover_all_text():
    text = "A b. C d!  \n\n E f? G"
    covered = "".join(text[s:e] for s, e in sentence_spans(text))
    assert covered.replace(" ", "") == text.replace(" ", "").replace("\n", "")


def test_event_types_read_off_the_triggers():
    text = "Iraqi forces seized Ramadi. IS shelling killed at least nine in Hit and Haditha."
    at = lambda s, label, score=0.9: Span(text.index(s), text.index(s) + len(s), label, score)
    spans = [at("Iraqi forces", "ACTOR"), at("seized", "TERRITORY"), at("Ramadi", "LOCATION"),
             at("IS", "ACTOR"), at("shelling", "EXPLOSION", 0.7), at("at least nine", "CASUALTY")]
    assert event_types_from_triggers(spans) == [{"label": "TERRITORY", "score": 0.9}, {"label": "EXPLOSION", "score": 0.7}]
    assert event_types_from_triggers(spans[:1]) == [{"label": "NONE", "score": None}]


def test_one_toll_for_two_places_is_shared_out():
    from sitrep.events import EventCoder

    text = "Iraqi forces seized Ramadi. IS shelling killed at least nine in Hit and Haditha."
    at = lambda s, label, score=0.9: Span(text.index(s), text.index(s) + len(s), label, score)
    spans = [at("Iraqi forces", "ACTOR"), at("seized", "TERRITORY"), at("Ramadi", "LOCATION"), at("IS", "ACTOR"),
             at("shelling", "EXPLOSION"), at("at least nine", "CASUALTY"), at("Hit", "LOCATION"), at("Haditha", "LOCATION")]
    ramadi, hit, haditha = EventCoder().code("x", text, spans, {"date": "2016-05-28"})
    assert (ramadi["location"], ramadi["sub_event_type"], ramadi["actor1"]) == ("Ramadi", "Government regains territory",
                                                                            "Iraqi forces")
    assert (hit["location"], haditha["location"]) == ("Hit", "Haditha")
    assert (hit["fatalities"], haditha["fatalities"]) == (5, 4)
    assert hit["actor1"] == haditha["actor1"] == "IS" and ramadi["notes"] == "Iraqi forces seized Ramadi."
