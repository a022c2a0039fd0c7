"""CASUALTY span text -> the integer the spec assigns to it.

Rules (ANNOTATION_SPEC.md, "Derived values"): the stated integer; a range
gives its lower end; hedges such as ``at least``, ``some``, ``more than`` give
the number they hedge; number words give their value; vague amounts take
ACLED's conservative values (``tens`` 10, ``dozens`` 12, ``hundreds`` 100)
and, by project convention, ``several``, ``many``, ``some``, ``scores``,
``a number of`` give 10.
"""

from __future__ import annotations

import re

UNITS = {
    "zero": 0, "no": 0, "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "couple": 2, "pair": 2,
}
SCALES = {"dozen": 12, "hundred": 100, "thousand": 1000, "million": 1_000_000}
VAGUE = {
    "tens": 10, "dozens": 12, "hundreds": 100, "thousands": 1000,
    "several": 10, "many": 10, "some": 10, "scores": 10, "a number of": 10, "numerous": 10,
    "a few": 3, "few": 3,
}
# Words that hedge a number without changing the value the spec assigns.
HEDGES = (
    "at least", "at most", "more than", "less than", "fewer than", "over", "under", "some", "about",
    "around", "nearly", "almost", "approximately", "roughly", "up to", "as many as", "an estimated",
    "estimated", "close to", "upwards of", "a total of", "another", "at least another", "a further",
    "the", "all", "only", "just",
)
_HEDGE = re.compile(r"^(?:" + "|".join(sorted(map(re.escape, HEDGES), key=len, reverse=True)) + r")\s+")
_RANGE = re.compile(r"^(?:between\s+)?(.+?)\s*(?:-|–|—|to|and|or)\s*(.+)$")
_DIGITS = re.compile(r"^\d{1,3}(?:,\d{3})+$|^\d+$")


def _words_to_int(phrase: str) -> int | None:
    tokens = [t for t in re.split(r"[\s-]+", phrase) if t and t != "and"]
    if not tokens:
        return None
    total = current = 0
    seen = False
    last_scale = False
    last_digits = False  # "30 40" or "30-40" is a range, not a sum
    for tok in tokens:
        if _DIGITS.match(tok):
            if seen and not last_scale:
                return None
            current += int(tok.replace(",", ""))
        elif tok in UNITS:
            if last_digits:
                return None
            current += UNITS[tok]
        elif tok in SCALES:
            current = max(current, 1) * SCALES[tok]
            if SCALES[tok] >= 1000:
                total, current = total + current, 0
        else:
            return None
        last_digits = bool(_DIGITS.match(tok))
        last_scale = tok in SCALES
        seen = True
    return total + current if seen else None


def casualty_number(text: str) -> int | None:
    """The integer for a CASUALTY span's text, or None when no rule applies."""
    phrase = re.sub(r"\s+", " ", text.strip().lower()).strip(" .,;:")
    if not phrase:
        return None
    if phrase in VAGUE:
        return VAGUE[phrase]
    while True:  # peel hedges: "at least some 24" -> "24"
        stripped = _HEDGE.sub("", phrase, count=1)
        if stripped == phrase:
            break
        phrase = stripped
        if phrase in VAGUE:
            return VAGUE[phrase]
    # "dozens of", "a dozen", "hundreds more"
    phrase = re.sub(r"\s+(?:of|more|others|people)$", "", phrase)
    if phrase in VAGUE:
        return VAGUE[phrase]
    value = _words_to_int(phrase)
    if value is not None:
        return value
    m = _RANGE.match(phrase)
    if m:
        low = casualty_number(m.group(1))
        if low is not None:
            return low
    return None
