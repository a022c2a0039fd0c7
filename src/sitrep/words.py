"""Words: the one definition of where a span may start and end.

Gold spans, training labels, decoded predictions and entity scores all use
these tokens, so a model can never predict a span that the validator would
refuse in an annotation. A text is cut at white space; inside each piece:

- a **word** is a run of letters and digits that keeps its inner joiners:
  hyphens (``al-Sadr``, ``AC-130``, ``U.S.-led``), apostrophes
  (``Shi'ite``), dots (``U.S``), slashes and ampersands, and commas or colons
  between digits (``1,050``, ``12:30``). A dotted abbreviation keeps its final
  full stop (``U.S.``, ``Gen.``);
- a possessive ``'s`` / ``’s`` is a token of its own, so it stays outside a
  span (``[Iraq]'s``);
- every other character (quotes, brackets, commas, full stops, dashes) is a
  punctuation token of its own.

No token crosses white space, so no span built from tokens can join two lines
unless it spans the line break itself; :func:`snap_span` refuses that too.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

# Titles and other words whose full stop belongs to the word ("Gen. Votel", "St. Louis").
ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "gen", "lt", "col", "maj", "capt", "sgt", "cpl", "pvt", "brig", "adm",
    "cmdr", "gov", "sen", "rep", "rev", "st", "sr", "jr", "hon", "pres", "amb", "insp", "supt", "messrs",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "no", "nos", "vs", "etc", "approx", "dept", "co", "corp", "inc", "ltd", "mt", "ft",
})
_JOIN = r"(?:[-\u2010\u2011./&]|['\u2019](?![sS](?![^\W_])))"
_WORD = re.compile(r"[^\W_]+(?:" + _JOIN + r"[^\W_]+|(?<=\d)[,:]\d+)*")
_POSSESSIVE = re.compile(r"['\u2019][sS](?![^\W_])")
_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")  # U.S, U.N, a.m (before the final dot)
_SPACE = re.compile(r"\s+")

WORD, POSSESSIVE, PUNCT = "word", "possessive", "punct"


class Token(NamedTuple):  # not a frozen dataclass: building those took a third of tokenize()
    start: int
    end: int
    kind: str  # WORD, POSSESSIVE or PUNCT


def _piece_tokens(text: str, start: int, end: int) -> list[Token]:
    out: list[Token] = []
    i = start
    while i < end:
        m = _WORD.match(text, i, end)
        if m:
            stop = m.end()
            while True:
                core = text[m.start() : stop]
                if stop < end and text[stop] == "." and (_DOTTED.match(core) or core.lower() in ABBREVIATIONS):
                    stop += 1  # "U.S." keeps its full stop ...
                nxt = _WORD.match(text, stop + 1, end) if stop < end and text[stop] in "-\u2010\u2011" else None
                if not nxt:
                    break
                stop = nxt.end()  # ... and stays one word in "U.S.-led"
            out.append(Token(i, stop, WORD))
            i = stop
            continue
        m = _POSSESSIVE.match(text, i, end)
        if m and out and out[-1].kind == WORD and out[-1].end == i:
            out.append(Token(i, m.end(), POSSESSIVE))
            i = m.end()
            continue
        out.append(Token(i, i + 1, PUNCT))
        i += 1
    return out


def tokenize(text: str) -> list[Token]:
    """Words, possessives and punctuation marks of ``text``, in order; white space is in none of them."""
    tokens: list[Token] = []
    pos = 0
    for gap in _SPACE.finditer(text):
        if gap.start() > pos:
            tokens += _piece_tokens(text, pos, gap.start())
        pos = gap.end()
    if pos < len(text):
        tokens += _piece_tokens(text, pos, len(text))
    return tokens


def is_punct_char(ch: str) -> bool:
    return unicodedata.category(ch)[0] in "PS"


@dataclass
class Words:
    """The tokens of one text, with lookups by character offset."""

    text: str

    @cached_property
    def tokens(self) -> list[Token]:
        return tokenize(self.text)

    @cached_property
    def starts(self) -> list[int]:
        return [t.start for t in self.tokens]

    @cached_property
    def ends(self) -> list[int]:
        return [t.end for t in self.tokens]

    def is_start(self, offset: int) -> bool:
        i = bisect_left(self.starts, offset)
        return i < len(self.starts) and self.starts[i] == offset

    def is_end(self, offset: int) -> bool:
        i = bisect_left(self.ends, offset)
        return i < len(self.ends) and self.ends[i] == offset

    def covering(self, start: int, end: int) -> tuple[int, int]:
        """Indices ``[a, b)`` of the tokens that overlap ``[start, end)``."""
        a = bisect_right(self.ends, start)
        b = bisect_left(self.starts, end)
        return a, b


def _closes_bracket(text: str) -> bool:
    """A span may end in ')' when it opens the bracket too: 'Counter-Terrorism Service (CTS)'."""
    return text.endswith(")") and text.count("(") >= text.count(")")


def snap_span(words: Words, start: int, end: int) -> list[tuple[int, int]]:
    """The whole-word spans a predicted character range stands for.

    Widened to the words it touches, cut at line breaks (a headline and its
    dateline are two spans, never one), and trimmed of punctuation and
    possessives at either end, except a closing bracket the span opened.
    """
    a, b = words.covering(start, end)
    toks = words.tokens[a:b]
    if not toks:
        return []
    pieces: list[list[Token]] = [[toks[0]]]
    for prev, tok in zip(toks, toks[1:]):
        if "\n" in words.text[prev.end : tok.start]:
            pieces.append([tok])
        else:
            pieces[-1].append(tok)
    out = []
    for piece in pieces:
        while piece and piece[0].kind != WORD:
            piece = piece[1:]
        while piece and piece[-1].kind != WORD:
            covered = words.text[piece[0].start : piece[-1].end]
            if words.text[piece[-1].start] == ")" and _closes_bracket(covered):
                break
            piece = piece[:-1]
        if piece and any(t.kind == WORD for t in piece):
            out.append((piece[0].start, piece[-1].end))
    return out


def span_problems(words: Words, start: int, end: int) -> list[str]:
    """Why ``[start, end)`` is not a whole-word span (empty when it is one)."""
    text = words.text
    covered = text[start:end]
    out = []
    if covered[:1].isspace() or covered[-1:].isspace():
        return ["leading or trailing whitespace; trim the span"]
    if not words.is_start(start):
        out.append("starts inside a word; move start to the word boundary")
    if not words.is_end(end):
        out.append("ends inside a word; move end to the word boundary")
    if out:
        return out
    a, b = words.covering(start, end)
    first, last = words.tokens[a], words.tokens[b - 1]
    if first.kind != WORD:
        out.append("leading punctuation; start the span at the word")
    if last.kind == POSSESSIVE:
        out.append("ends in a possessive 's; end the span before it")
    elif last.kind == PUNCT and not (text[last.start] == ")" and _closes_bracket(covered)):
        out.append("trailing punctuation; end the span at the word")
    if "\n" in covered:
        out.append("crosses a line break; a span never joins two lines")
    return out


def snap_spans(text: str, spans: list, words: Words | None = None) -> list:
    """Predicted spans made whole-word (see :func:`snap_span`); label and score are kept.

    A span that snaps to nothing (punctuation alone) is dropped; one cut at a
    line break becomes one span per line. ``words``: the text's, when the caller has them already.
    """
    from sitrep.document import Span

    words = words or Words(text)
    out = []
    for span in spans:
        for start, end in snap_span(words, span.start, span.end):
            out.append(Span(start, end, span.label, span.score))
    return out
