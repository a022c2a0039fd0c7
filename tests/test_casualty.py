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
    ],
)
def test_spec_rules(text, number):
    assert casualty_number(text) == number


@pytest.mark.parametrize("text", ["heavy", "", "casualties", "many people's lives"])
def test_no_rule_gives_none(text):
    assert casualty_number(text) is None
