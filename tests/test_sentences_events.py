from sitrep.document import Span
from sitrep.events import event_records, event_types_from_triggers
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


def test_event_record_per_trigger_with_its_sentence_arguments():
    text = "Iraqi forces seized Ramadi. IS shelling killed at least nine in Hit and Haditha."
    at = lambda s, label, score=0.9: Span(text.index(s), text.index(s) + len(s), label, score)
    spans = [at("Iraqi forces", "ACTOR"), at("seized", "TERRITORY"), at("Ramadi", "LOCATION"),
             at("IS", "ACTOR"), at("shelling", "EXPLOSION", 0.7), at("at least nine", "CASUALTY"),
             at("Hit", "LOCATION"), at("Haditha", "LOCATION")]
    first, second = event_records(text, spans)
    assert first["type"] == "TERRITORY" and first["actors"] == ["Iraqi forces"] and first["locations"] == ["Ramadi"]
    assert first["sentence"] == {"start": 0, "end": 27, "text": "Iraqi forces seized Ramadi."}
    assert first["casualties"] == []
    assert second["type"] == "EXPLOSION" and second["trigger"]["text"] == "shelling"
    assert second["actors"] == ["IS"] and second["locations"] == ["Hit", "Haditha"]
    assert second["casualties"] == [{"text": "at least nine", "number": 9}]
    types = event_types_from_triggers(spans)
    assert types == [{"label": "TERRITORY", "score": 0.9}, {"label": "EXPLOSION", "score": 0.7}]
    assert event_types_from_triggers(spans[:1]) == [{"label": "NONE", "score": None}]
