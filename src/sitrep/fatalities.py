"""Fatalities of an event from its CASUALTY spans, by ACLED's rules as the spec gives them.

- Deaths only: a quantity counts when the words next to it say killed or dead,
  not wounded (the verb after the quantity in its clause decides first, then
  the one before it: "Two are killed and five wounded" is 2).
- Distinct groups of dead in one sentence add up ("two soldiers and three
  civilians were killed" is 5); a subset does not ("including 5 children").
- Figures for one event in different sentences are reports of one toll: the
  lowest counts ("kills 32" ... "at least 22 killed" is 22), so a toll repeated
  in two sentences is counted once; "another 5", "5 more" add to it.
- 0 when the text says nobody was killed; None when no figure is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sitrep.casualty import casualty_number

DEATH = re.compile(r"\b(kill\w*|dead|death\w*|die[ds]?|dying|lives|bod(y|ies)|slain|slaughter\w*|massacre\w*|"
                   r"execut\w*|murder\w*|fatal\w*|toll|shot dead|perish\w*|lost their lives)\b", re.IGNORECASE)
INJURY = re.compile(r"\b(wound\w*|injur\w*|hurt|maim\w*|hospitali[sz]ed|casualties)\b", re.IGNORECASE)
CLAUSE_END = re.compile(r"[,;:.!?()]|\band\b|\bwhile\b|\bbut\b|\bwhereas\b", re.IGNORECASE)
SUBSET = re.compile(r"(including|among them|among whom|of them|of whom|among the dead|among those|mostly|most of them)\W*$",
                    re.IGNORECASE)
ADDITIONAL = re.compile(r"\b(another|more|other|further|additional)\b", re.IGNORECASE)
NOBODY_KILLED = re.compile(r"\bno (one|body|deaths?|casualties|fatalities|lives)\b|\bnobody\b|\bwithout casualties\b|"
                           r"\bno one was (killed|hurt)\b|\bno injuries or deaths\b", re.IGNORECASE)


@dataclass(frozen=True)
class Count:
    number: int
    deaths: bool
    subset: bool
    additional: bool
    sentence: int


def classify(text: str, start: int, end: int, sentence: tuple[int, int], others: list[tuple[int, int]],
             index: int = 0) -> Count | None:
    """One CASUALTY span: its number, and whether it counts deaths. None when it has no number."""
    number = casualty_number(text[start:end])
    if number is None:
        return None
    s_start, s_end = sentence
    nxt = min([a for a, _ in others if a >= end] + [s_end])
    prev = max([b for _, b in others if b <= start] + [s_start])
    forward = text[end:nxt]
    cut = CLAUSE_END.search(forward)
    forward = forward[: cut.start()] if cut else forward
    backward = text[prev:start]
    cuts = list(CLAUSE_END.finditer(backward))
    backward_clause = backward[cuts[-1].end():] if cuts else backward
    deaths = None
    # Nearest words first; then the whole sentence before it ("killed two soldiers and three civilians").
    for window in (forward, backward_clause, backward, text[s_start:start]):
        d, i = DEATH.search(window), INJURY.search(window)
        if d or i:
            if d and i:  # the nearer word to the quantity wins
                near_d = d.start() if window is forward else len(window) - d.end()
                near_i = i.start() if window is forward else len(window) - i.end()
                deaths = near_d <= near_i
            else:
                deaths = bool(d)
            break
    before = text[max(s_start, start - 30):start]
    return Count(number, bool(deaths), bool(SUBSET.search(before)),
                 bool(ADDITIONAL.search(text[max(s_start, start - 12):end + 12])), index)


def event_fatalities(counts: list[Count], sentences_text: list[str]) -> int | None:
    """The event's deaths from the classified quantities of its sentences (see the module docstring)."""
    per_sentence: dict[int, int] = {}
    extra = 0
    for c in counts:
        if not c.deaths or c.subset:
            continue
        if c.additional:
            extra += c.number
        else:
            per_sentence[c.sentence] = per_sentence.get(c.sentence, 0) + c.number
    if per_sentence or extra:
        return (min(per_sentence.values()) if per_sentence else 0) + extra
    if any(NOBODY_KILLED.search(s) for s in sentences_text):
        return 0
    return None
