import pytest

from sitrep.alignment import IGNORE, encode_windows, spans_to_word_tags, tokenize_text, window_bounds, word_tags_to_spans
from sitrep.annotated import load_annotated
from sitrep.document import Span
from sitrep.scheme import SCHEME


def test_first_subtoken_carries_the_label_the_rest_ignored(tiny_tokenizer):
    text = "Iraqi forces pushed into Fallujah."
    spans = [Span(0, 12, "ACTOR"), Span(13, 24, "TERRITORY"), Span(25, 33, "LOCATION")]
    tok = tokenize_text(tiny_tokenizer, text)
    enc = encode_windows(tiny_tokenizer, tok, spans, max_length=64, stride=16)
    (window,) = enc.windows
    tags = [SCHEME.id2label[i] if i != IGNORE else None for i in window["labels"]]
    tokens = tiny_tokenizer.convert_ids_to_tokens(window["input_ids"])
    pairs = list(zip(tokens, tags))
    assert pairs[0] == ("[CLS]", None) and pairs[-1] == ("[SEP]", None)
    assert ("iraqi", "B-ACTOR") in pairs and ("forces", "I-ACTOR") in pairs
    assert ("p", "B-TERRITORY") in pairs and ("##u", None) in pairs  # subtokens of "pushed"
    assert ("into", "I-TERRITORY") in pairs and ("fallujah", "B-LOCATION") in pairs
    assert pairs[-2] == (".", "O")
    assert enc.lost_spans == []


def test_windows_overlap_and_never_cut_a_word(tiny_tokenizer):
    text = " ".join(["Mosul"] * 30 + ["Kirkuk", "Tikrit"] * 6)
    tok = tokenize_text(tiny_tokenizer, text)
    bounds = window_bounds(tok, max_tokens=20, stride=5)
    assert bounds[0][0] == 0 and bounds[-1][1] == tok.n_tokens
    for (a, b), (c, d) in zip(bounds, bounds[1:]):
        assert c < b, "windows must overlap"
        assert c > a
    for a, b in bounds:
        assert b - a <= 20
        assert tok.word_first_token[tok.word_ids[a]] == a
        assert b == tok.n_tokens or tok.word_first_token[tok.word_ids[b]] == b


def test_no_gold_span_lost_on_a_long_article(minilm_tokenizer, root):
    """The HF example silently drops labels past max_length; here every span sits whole in a window."""
    seeds = load_annotated([root / "data" / "annotated" / "seeds.json"])
    text, spans = "", []
    for _ in range(6):  # about 8,500 words
        for doc in seeds:
            spans += [Span(s.start + len(text), s.end + len(text), s.label) for s in doc.spans]
            text += doc.text + "\n\n"
    tok = tokenize_text(minilm_tokenizer, text)
    assert tok.n_tokens > 10_000
    enc = encode_windows(minilm_tokenizer, tok, spans, max_length=128, stride=32)
    assert len(enc.windows) > 80
    assert enc.n_spans == len(spans) > 1000
    assert enc.lost_spans == []
    # Every span is taught whole, with one B- tag, in some window.
    b_tags = sum(1 for w in enc.windows for i in w["labels"] if i != IGNORE and SCHEME.id2label[i].startswith("B-"))
    assert b_tags >= len(spans)


def test_span_cut_by_a_window_edge_is_ignored_there_not_mislabelled(tiny_tokenizer):
    text = "aaa bbb ccc Islamic State militants ddd eee fff ggg hhh"
    span = Span(text.index("Islamic"), text.index(" ddd"), "ACTOR")
    tok = tokenize_text(tiny_tokenizer, text)
    enc = encode_windows(tiny_tokenizer, tok, [span], max_length=2 + 12, stride=8)
    assert len(enc.windows) >= 2 and enc.lost_spans == []
    for w in enc.windows:
        tags = [SCHEME.id2label[i] for i in w["labels"] if i != IGNORE]
        if "B-ACTOR" not in tags:
            assert not any(t.endswith("ACTOR") for t in tags), "a cut span must not be taught as a shorter one"


def test_misaligned_span_counts_as_lost(tiny_tokenizer):
    tok = tokenize_text(tiny_tokenizer, "Iraqi forces")
    tags, misaligned = spans_to_word_tags(tok, [Span(0, 3, "ACTOR")])
    assert misaligned == [Span(0, 3, "ACTOR")] and tags == ["O", "O"]


def test_i_without_b_and_adjacent_entities():
    words = [(0, 4), (5, 9), (10, 14), (15, 19), (20, 24)]
    tags = ["I-ACTOR", "I-ACTOR", "B-ACTOR", "B-ACTOR", "I-LOCATION"]
    spans = word_tags_to_spans(words, tags, scores=[0.5, 0.7, 0.9, 0.8, 0.6])
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 9, "ACTOR"), (10, 14, "ACTOR"), (15, 19, "ACTOR"), (20, 24, "LOCATION")]
    assert abs(spans[0].score - 0.6) < 1e-9


def test_label_change_inside_i_run_starts_new_span():
    words = [(0, 1), (2, 3), (4, 5)]
    spans = word_tags_to_spans(words, ["B-ACTOR", "I-LOCATION", "O"])
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 1, "ACTOR"), (2, 3, "LOCATION")]


def test_merge_windows_takes_each_token_from_its_most_central_window():
    import numpy as np

    from sitrep.runtime.merge import merge_windows

    # Two windows over 6 tokens: [0, 4) says label 1 everywhere, [2, 6) says label 2 everywhere.
    first = np.tile(np.array([0.0, 1.0, 0.0]), (4, 1))
    second = np.tile(np.array([0.0, 0.0, 1.0]), (4, 1))
    merged = merge_windows(6, [(0, 4, first), (2, 6, second)])
    # Token 2 is 2 from the first window's start (centrality min(2, 1) = 1) and 0 from the second's (0): first.
    # Token 3 is at the first window's edge (0) and 1 into the second (1): second.
    assert merged.argmax(axis=1).tolist() == [1, 1, 1, 2, 2, 2]
    # A tie keeps the earlier window.
    tie = merge_windows(3, [(0, 3, np.tile([0.0, 1.0], (3, 1))), (0, 3, np.tile([1.0, 0.0], (3, 1)))])
    assert tie.argmax(axis=1).tolist() == [1, 1, 1]
    # One window: its logits come back as they are, in float32, whatever the input's dtype.
    alone = np.array([[0.25, 1.5], [2.0, -1.0]], dtype=np.float64)
    single = merge_windows(2, [(0, 2, alone)])
    assert single.dtype == np.float32 and single.tolist() == [[0.25, 1.5], [2.0, -1.0]]


def test_tokenize_texts_equals_tokenize_text_one_by_one(tiny_tokenizer):
    from sitrep.alignment import tokenize_texts

    texts = ["Iraqi forces pushed into Fallujah.", "U.S.-led strikes hit Mosul's airport.", "", "Quiet."]
    batch = tokenize_texts(tiny_tokenizer, texts)
    assert batch == [tokenize_text(tiny_tokenizer, t) for t in texts]
    # "U.S.-led" is one project word whatever the tokenizer makes of it; "Mosul's" splits at the possessive.
    words = [texts[1][a:b] for a, b in batch[1].word_chars]
    assert words == ["U.S.-led", "strikes", "hit", "Mosul", "'s", "airport", "."]
    assert batch[2].input_ids == [] and batch[2].word_chars == []
    assert tokenize_texts(tiny_tokenizer, []) == []


@pytest.mark.parametrize("text, offsets, word_chars, first, word_ids", [
    # Subtokens of one project word form one word.
    ("Fallujah fell", [(0, 4), (4, 8), (9, 13)], [(0, 8), (9, 13)], [0, 2], [0, 0, 1]),
    # A possessive is a project word of its own: its subtoken starts a word.
    ("Iraq's army", [(0, 4), (4, 6), (7, 11)], [(0, 4), (4, 6), (7, 11)], [0, 1, 2], [0, 1, 2]),
    # A BPE subtoken reaching past "Iraq" into "'s" takes the possessive into its word.
    ("Iraq's army", [(0, 5), (5, 6), (7, 11)], [(0, 6), (7, 11)], [0, 2], [0, 0, 1]),
    # "U.S.-led" is one project word, whatever the tokenizer cuts it into.
    ("U.S.-led raid", [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 8), (9, 13)], [(0, 8), (9, 13)], [0, 6],
     [0, 0, 0, 0, 0, 0, 1]),
    # A word spans its whole project word even where its subtokens leave characters out.
    ("Fallujah fell", [(0, 4), (9, 13)], [(0, 8), (9, 13)], [0, 1], [0, 1]),
    # Subtokens whose offsets start in white space (before any word) form one word of their own characters.
    ("  Mosul", [(0, 7)], [(0, 7)], [0], [0]),
    ("  Mosul", [(0, 1), (1, 7)], [(0, 7)], [0], [0, 0]),
    ("", [], [], [], []),
])
def test_subtokens_group_into_project_words_exactly(text, offsets, word_chars, first, word_ids):
    from sitrep.alignment import _group

    tok = _group(text, list(range(len(offsets))), offsets)
    assert (tok.word_chars, tok.word_first_token, tok.word_ids) == (word_chars, first, word_ids)
    assert tok.offsets == offsets and tok.input_ids == list(range(len(offsets)))


def _tokenized(word_sizes):
    """A TokenizedText whose words have the given numbers of subtokens (offsets: one character per token)."""
    from sitrep.alignment import TokenizedText

    word_ids, first, chars, pos = [], [], [], 0
    for w, size in enumerate(word_sizes):
        first.append(pos)
        chars.append((pos, pos + size))
        word_ids += [w] * size
        pos += size
    return TokenizedText(list(range(pos)), [(i, i + 1) for i in range(pos)], word_ids, chars, first)


@pytest.mark.parametrize("sizes, max_tokens, stride, keep, expected", [
    # One-token words: windows of 4 stepping by 2.
    ([1] * 10, 4, 2, [], [(0, 4), (2, 6), (4, 8), (6, 10)]),
    # Three-token words and windows of 5: an edge never cuts a word, so each window holds one word more.
    ([3] * 4, 5, 2, [], [(0, 3), (3, 6), (6, 9), (9, 12)]),
    # A gold span over tokens 3-4 is kept whole: the first window stops before it, the next holds it.
    ([1] * 10, 4, 2, [(3, 5)], [(0, 3), (1, 5), (3, 7), (5, 9), (7, 10)]),
    # A word longer than a window must be cut; the next window starts where the last one ended.
    ([6, 1, 1], 4, 2, [], [(0, 4), (4, 8)]),
    # Short enough for one window.
    ([1] * 4, 4, 2, [], [(0, 4)]),
    ([2, 1, 2], 8, 2, [], [(0, 5)]),
])
def test_window_bounds_exact(sizes, max_tokens, stride, keep, expected):
    assert window_bounds(_tokenized(sizes), max_tokens=max_tokens, stride=stride, keep_whole=keep) == expected


@pytest.mark.parametrize("max_tokens, stride", [(4, 4), (4, 6)])
def test_window_longer_than_its_stride(max_tokens, stride):
    with pytest.raises(ValueError, match=f"window length \\({max_tokens} tokens\\) must exceed the stride \\({stride}\\)"):
        window_bounds(_tokenized([1] * 10), max_tokens=max_tokens, stride=stride)


class _SlowEncoding(dict):
    """What a tokenizer without offsets returns: ids, and no ``is_fast``."""


def _slow_tokenizer(texts, **kwargs):
    one = {"input_ids": [5, 6], "offset_mapping": [(0, 1), (1, 2)]}
    return _SlowEncoding({k: [v] * len(texts) for k, v in one.items()} if isinstance(texts, list) else one)


def test_a_tokenizer_without_offsets_is_refused_by_name():
    from sitrep.alignment import tokenize_texts

    message = r"^sitrep needs a fast tokenizer \(offset mapping\); load it with use_fast=True$"
    with pytest.raises(TypeError, match=message):
        tokenize_text(_slow_tokenizer, "ab")
    with pytest.raises(TypeError, match=message):
        tokenize_texts(_slow_tokenizer, ["ab"])


def test_special_tokens_not_found_is_named():
    from sitrep.alignment import special_tokens

    class Scrambler:  # puts its special tokens inside the text's ids: no prefix/suffix split exists
        def __call__(self, text, add_special_tokens=True):
            return {"input_ids": [1, 9, 2, 9] if add_special_tokens else [9, 9]}

    with pytest.raises(ValueError, match=r"^cannot find where Scrambler puts its special tokens$"):
        special_tokens(Scrambler())


def test_encoded_windows_fit_max_length_with_their_special_tokens(tiny_tokenizer):
    text = " ".join(["Mosul"] * 60)
    tok = tokenize_text(tiny_tokenizer, text)
    enc = encode_windows(tiny_tokenizer, tok, [Span(0, 5, "LOCATION")], max_length=24, stride=4)
    assert len(enc.windows) > 2
    for window in enc.windows:
        assert set(window) == {"input_ids", "attention_mask", "labels", "token_span"}
        assert len(window["input_ids"]) == len(window["labels"]) == len(window["attention_mask"]) <= 24
        assert set(window["attention_mask"]) == {1}
        a, b = window["token_span"]
        assert window["input_ids"][1:-1] == tok.input_ids[a:b]  # [CLS] + the window's tokens + [SEP]
    assert max(len(w["input_ids"]) for w in enc.windows) == 24  # full windows use the whole length
