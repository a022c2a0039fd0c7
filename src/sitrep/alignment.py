"""Character spans <-> token windows with IOB2 labels.

Token labels exist only inside training and inference; everything outside
speaks character spans. A document is tokenized once, without special tokens;
windows are slices of that one tokenization, so offsets never drift.

Two faults of the usual Hugging Face recipe are avoided on purpose:
- labels past ``max_length`` are not truncated away: long documents become
  overlapping windows, and every gold span must sit whole in at least one
  window (:attr:`WindowedDoc.lost_spans` counts those that do not);
- only the first subtoken of a word carries its label (the rest get -100),
  so seqeval counts words, not subtokens.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from sitrep.document import Span
from sitrep.scheme import SCHEME, LabelScheme
from sitrep.words import Words

IGNORE = -100


@dataclass
class TokenizedText:
    """One text tokenized without special tokens, with the words the tokenizer saw."""

    input_ids: list[int]
    offsets: list[tuple[int, int]]
    word_ids: list[int]
    # Per word: character range and the index of its first token.
    word_chars: list[tuple[int, int]] = field(default_factory=list)
    word_first_token: list[int] = field(default_factory=list)
    # The project's words of the text, kept so that decoding snaps spans to them without finding them again.
    words: Words | None = None

    @property
    def n_tokens(self) -> int:
        return len(self.input_ids)

    @cached_property
    def word_starts(self) -> list[int]:
        return [s for s, _ in self.word_chars]


def tokenize_text(tokenizer, text: str) -> TokenizedText:
    """Subtokens of ``text`` grouped into the words of :mod:`sitrep.words`.

    Words are the project's, not the tokenizer's: ``U.S.-led`` is one word
    although a WordPiece tokenizer sees six, so labels sit on whole words and
    a decoded span can never cut one. A word whose first character shares a
    subtoken with the word before (a BPE token spanning ``Iraq's``) joins that
    word. Needs a fast tokenizer (``offset_mapping``).
    """
    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
    if not getattr(enc, "is_fast", False):
        raise TypeError("sitrep needs a fast tokenizer (offset mapping); load it with use_fast=True")
    return _group(text, list(enc["input_ids"]), enc["offset_mapping"])


def tokenize_texts(tokenizer, texts: list[str]) -> list[TokenizedText]:
    """:func:`tokenize_text` for many texts in one call of the tokenizer (its Rust side runs them together)."""
    if not texts:
        return []
    enc = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
    if not getattr(enc, "is_fast", False):
        raise TypeError("sitrep needs a fast tokenizer (offset mapping); load it with use_fast=True")
    return [_group(t, ids, offs) for t, ids, offs in zip(texts, enc["input_ids"], enc["offset_mapping"])]


def _group(text: str, input_ids: list[int], offset_mapping) -> TokenizedText:
    """Subtokens grouped into words: a subtoken joins the word before when it starts in the same project word,
    or when the word before already reaches past the start of the subtoken's project word (a subtoken that
    spans two project words)."""
    offsets = [tuple(o) for o in offset_mapping]
    tok = TokenizedText(list(input_ids), offsets, [], words=Words(text))
    if not offsets:
        return tok
    words = tok.words.tokens
    sub = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    starts = np.fromiter((w.start for w in words), dtype=np.int64, count=len(words))
    ends = np.fromiter((w.end for w in words), dtype=np.int64, count=len(words))
    k = np.searchsorted(starts, sub[:, 0], side="right") - 1  # the project word each subtoken starts in
    inside = k >= 0
    w_start = np.where(inside, starts[np.maximum(k, 0)], sub[:, 0])
    reach = np.maximum(np.where(inside, ends[np.maximum(k, 0)], sub[:, 1]), sub[:, 1])
    # Word ends only grow, so the end of the word so far is the running maximum over all earlier subtokens.
    before = np.concatenate(([np.iinfo(np.int64).min], np.maximum.accumulate(reach)[:-1]))
    new = np.concatenate(([True], k[1:] != k[:-1])) & (before <= w_start)
    first = np.flatnonzero(new)
    tok.word_first_token = first.tolist()
    tok.word_chars = list(zip(w_start[first].tolist(), np.maximum.reduceat(reach, first).tolist()))
    tok.word_ids = (np.cumsum(new) - 1).tolist()
    return tok


def window_bounds(
    tok: TokenizedText, max_tokens: int, stride: int, keep_whole: list[tuple[int, int]] = ()
) -> list[tuple[int, int]]:
    """Token ranges ``[a, b)`` of at most ``max_tokens`` that overlap by about ``stride``.

    Window edges are moved to word starts, so no word is cut in two, and in
    front of any ``keep_whole`` token range (gold spans in training) that the
    edge would cut, so the next window holds it whole.
    """
    if max_tokens <= stride:
        raise ValueError(f"window length ({max_tokens} tokens) must exceed the stride ({stride})")
    n = tok.n_tokens
    if n <= max_tokens:
        return [(0, n)]

    def word_start(i: int) -> int:
        return tok.word_first_token[tok.word_ids[i]]

    def end_for(start: int) -> int:
        end = min(start + max_tokens, n)
        if end < n and word_start(end) > start:  # back off to the start of the word that would be cut
            end = word_start(end)
        for ta, tb in keep_whole:
            if ta < end < tb and ta > start:
                end = ta
        return end

    bounds = [(0, end_for(0))]
    while bounds[-1][1] < n:
        start, end = bounds[-1]
        nxt = word_start(max(end - stride, start + 1))
        # Each window must reach further than the last; step to later words until it does.
        while nxt <= start or (nxt < end and end_for(nxt) <= end):
            nxt = next((t for t in range(nxt + 1, end + 1) if t == n or word_start(t) == t), end)
        bounds.append((nxt, end_for(nxt)))
    return bounds


def _words_in(tok: TokenizedText, span: Span) -> list[int]:
    """Indices of the words that overlap ``span`` (words are sorted by offset)."""
    w = max(bisect_right(tok.word_starts, span.start) - 1, 0)
    out = []
    while w < len(tok.word_chars) and tok.word_chars[w][0] < span.end:
        if span.start < tok.word_chars[w][1]:
            out.append(w)
        w += 1
    return out


def spans_to_word_tags(
    tok: TokenizedText, spans: list[Span]
) -> tuple[list[str], list[Span]]:
    """IOB2 tag per word, and the spans that no sequence of whole words covers."""
    tags = ["O"] * len(tok.word_chars)
    misaligned: list[Span] = []
    for span in sorted(spans):
        inside = _words_in(tok, span)
        if (
            not inside
            or tok.word_chars[inside[0]][0] != span.start
            or tok.word_chars[inside[-1]][1] != span.end
        ):
            misaligned.append(span)
            continue
        tags[inside[0]] = f"B-{span.label}"
        for w in inside[1:]:
            tags[w] = f"I-{span.label}"
    return tags, misaligned


def word_tags_to_spans(
    word_chars: list[tuple[int, int]], tags: list[str], scores: list[float] | None = None
) -> list[Span]:
    """IOB2 word tags -> spans.

    An ``I-X`` with no open ``X`` entity starts one (a common model error that
    should not lose the mention); ``B-X`` always starts a new entity, so two
    adjacent entities of one label stay two. A span's score is the mean of its
    words' scores.
    """
    spans: list[Span] = []
    label: str | None = None
    start = end = 0
    acc: list[float] = []

    def close() -> None:
        if label is not None:
            score = sum(acc) / len(acc) if acc else None
            spans.append(Span(start, end, label, score))

    for w, tag in enumerate(tags):
        prefix, _, name = tag.partition("-")
        ws, we = word_chars[w]
        if prefix == "I" and label == name:
            end = we
            if scores is not None:
                acc.append(scores[w])
            continue
        close()
        label = None
        if prefix in ("B", "I"):
            label, start, end = name, ws, we
            acc = [scores[w]] if scores is not None else []
    close()
    return spans


def special_tokens(tokenizer) -> tuple[list[int], list[int]]:
    """The ids a tokenizer puts before and after one sequence ([CLS] / [SEP], <s> / </s>, ...)."""
    plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    for i in range(len(full) - len(plain) + 1):
        if full[i : i + len(plain)] == plain:
            return full[:i], full[i + len(plain) :]
    raise ValueError(f"cannot find where {type(tokenizer).__name__} puts its special tokens")


@dataclass
class WindowedDoc:
    """Training windows of one document, ready for a token-classification model."""

    windows: list[dict]
    n_spans: int
    lost_spans: list[Span]  # gold spans no window holds whole: must stay empty


def encode_windows(
    tokenizer,
    tok: TokenizedText,
    spans: list[Span],
    max_length: int,
    stride: int,
    scheme: LabelScheme = SCHEME,
) -> WindowedDoc:
    """Windows with special tokens added and IOB2 ids on each word's first subtoken.

    A gold span cut by a window edge is left unlabelled (-100) in that window
    rather than taught as a shorter entity; the window that holds it whole
    teaches it.
    """
    prefix, suffix = special_tokens(tokenizer)
    word_tags, misaligned = spans_to_word_tags(tok, spans)
    aligned = [s for s in spans if s not in misaligned]
    # Token extent of each aligned span.
    span_tokens: list[tuple[int, int]] = []
    for span in aligned:
        words = _words_in(tok, span)
        last = words[-1]
        end = tok.word_first_token[last + 1] if last + 1 < len(tok.word_first_token) else tok.n_tokens
        span_tokens.append((tok.word_first_token[words[0]], end))
    bounds = window_bounds(tok, max_length - len(prefix) - len(suffix), stride, span_tokens)
    held = [False] * len(aligned)
    windows = []
    for a, b in bounds:
        labels = []
        for i in range(a, b):
            w = tok.word_ids[i]
            labels.append(scheme.label2id[word_tags[w]] if tok.word_first_token[w] == i else IGNORE)
        for k, (ta, tb) in enumerate(span_tokens):
            if a <= ta and tb <= b:
                held[k] = True
            elif ta < b and a < tb:  # cut by this window's edge
                for i in range(max(ta, a), min(tb, b)):
                    labels[i - a] = IGNORE
        ids = prefix + tok.input_ids[a:b] + suffix
        full_labels = [IGNORE] * len(prefix) + labels + [IGNORE] * len(suffix)
        windows.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": full_labels, "token_span": (a, b)})
    lost = misaligned + [s for s, h in zip(aligned, held) if not h]
    return WindowedDoc(windows=windows, n_spans=len(spans), lost_spans=lost)
