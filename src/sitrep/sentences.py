"""Sentence boundaries in raw news text, as character ranges.

Rules, chosen for wire and broadcaster copy:
- a sentence ends at ``.``, ``!`` or ``?`` (with any closing quotes or
  brackets) followed by white space and a capital, digit, quote or bullet,
  unless the word before the full stop is an abbreviation (``U.S.``, ``Lt.``,
  ``Gen.``, ``Jan.``, ``No.``) or a single initial;
- a blank line always ends a sentence, and so does a line break before a
  bullet (``•``, ``-``, ``*``) or after a line that ends a sentence;
- a line break inside a paragraph of hard-wrapped text does not, unless the
  line is short and the next begins with a capital (a headline or caption),
  or the line is the text's first (the headline of a brief);
- a dateline (``BAGHDAD, Iraq -``) stays with its first sentence.
"""

from __future__ import annotations

import re

ABBREVIATIONS = {
    # titles and ranks
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "sgt", "cpl", "pvt", "brig", "adm",
    "cmdr", "gov", "sen", "rep", "rev", "st", "sr", "jr", "hon", "pres", "amb", "insp", "supt",
    # months and days
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "mon", "tue", "tues", "wed", "thu", "thurs", "fri", "sat", "sun",
    # others common in news copy
    "no", "nos", "vs", "etc", "approx", "est", "dept", "univ", "co", "corp", "inc", "ltd", "mt", "ft", "km",
    "fig", "vol", "ave", "blvd", "rd",
}
BULLETS = "•‣◦▪●-*–"
_END = re.compile(r"[.!?]+[\"'”’)\]]*")
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.\-]*)$")
_BLANK_RUN = re.compile(r"[ \t\r\u00a0\n]*")
_SPACES = re.compile(r"[ \t\u00a0]+")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Is the full stop at ``dot`` part of an abbreviation rather than a sentence end?"""
    m = _WORD_BEFORE.search(text, max(0, dot - 20), dot)
    if not m:
        return False
    word = m.group(1)
    last = word.rsplit(".", 1)[-1].rsplit("-", 1)[-1]
    if "." in word and all(len(p) <= 2 for p in word.split(".") if p):  # U.S, U.N, a.m
        return True
    if len(last) == 1 and last.isupper():  # an initial: "George W. Bush"
        return True
    return last.lower() in ABBREVIATIONS


def _next_starts_sentence(text: str, i: int) -> bool:
    ch = text[i : i + 1]
    return bool(ch) and (ch.isupper() or ch.isdigit() or ch in "\"'“‘(" or ch in BULLETS)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of each sentence, trimmed of surrounding white space; covers every non-space character."""
    cuts: set[int] = set()
    # Line-based boundaries. Each line break looks only at the line before it and the text after it up to
    # the next non-blank character, so the scan is linear in the length of the text.
    line_start = 0
    first_break = text.find("\n", len(text) - len(text.lstrip()))
    for m in re.finditer(r"\n", text):
        nl = m.start()
        before = text[line_start:nl].rstrip(" \t\r\u00a0")
        line_start = nl + 1
        gap = _BLANK_RUN.match(text, nl + 1)
        after_at = gap.end()
        if after_at >= len(text):
            continue
        blank = "\n" in text[nl + 1 : after_at]
        after_ch = text[after_at]
        prev_line_end = before[-1] if before else ""
        if blank or after_ch in BULLETS or not before or prev_line_end in ".!?:\"”'’)" or before.lstrip()[:1] in BULLETS:
            cuts.add(nl)
        elif len(before) < 40 and not before.endswith(",") and _next_starts_sentence(text, after_at):
            # A short line with no full stop (a headline, a caption label) stands alone.
            cuts.add(nl)
        elif nl == first_break and len(before) <= 150 and _next_starts_sentence(text, after_at):
            cuts.add(nl)  # the first line of a brief is its headline
    # Punctuation-based boundaries.
    for m in _END.finditer(text):
        end = m.end()
        gap = _SPACES.match(text, end)
        if not gap:
            continue
        nxt = gap.end()
        if not _next_starts_sentence(text, nxt):
            continue
        if text[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(text, m.start()):
            continue
        cuts.add(end)
    spans = []
    start = 0
    for cut in sorted(cuts) + [len(text)]:
        piece = text[start:cut]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece.rstrip())
        if piece.strip():
            spans.append((start + lead, start + trail))
        start = cut
    return spans
