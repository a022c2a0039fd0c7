import pytest

from sitrep.casualty import casualty_number


@pytest.mark.parametrize(
    "text, number",
    [
        ("at least nine", 9), ("some 24", 24), ("dozens", 12), ("two", 2), ("1,200", 1200),
        ("more than 100", 100), ("400 to 600", 400), ("several", 10), ("16", 16),
        ("tens", 10), ("hundreds", 100), ("many", 10), ("some", 10), ("scores", 10),
        ("a number of", 10), ("between 12 and 15", 12), ("30-40", 30), ("seven or eight", 7),
        ("twenty-five", 25), ("a dozen", 12), ("two dozen", 24), ("one hundred and five", 105),
        ("nearly 3,000", 3000), ("At least 1,200", 1200), ("about 50", 50), ("up to 70", 70),
        ("dozens of", 12), ("hundreds more", 100),
        # Scales: a thousand closes a group ("two thousand" + "three hundred"), a hundred does not.
        ("two thousand three hundred", 2300), ("one hundred 5", 105), ("1 million 200 thousand", 1_200_000),
        # Punctuation and spacing around the span text.
        ("twelve,", 12), ("a  dozen", 12), (" 7; ", 7),
    ],
)
def test_spec_rules(text, number):
    assert casualty_number(text) == number


# "20 five" and "30 40" are not one number (a range needs its "to", "-" or "and").
@pytest.mark.parametrize("text", ["heavy", "", "casualties", "many people's lives", "20 five", "30 40"])
def test_no_rule_gives_none(text):
    assert casualty_number(text) is None
