"""The span tagger at work: raw text -> whole-word character spans with scores (and article-head scores).

Each token takes the prediction of the window in which it sits most
centrally, so an entity that crosses a window edge comes out whole. Labels
sit on the project's words (:mod:`sitrep.words`): a word takes its first
subtoken's tag, and decoded spans are snapped to whole words, trimmed of
punctuation and cut at line breaks. When the checkpoint has an article head,
its event-type scores come from the same forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sitrep.alignment import TokenizedText, word_tags_to_spans
from sitrep.checkpoint import CheckpointError, check_checkpoint
from sitrep.runtime.loading import load_token_classifier
from sitrep.document import Span
from sitrep.runtime.article_head import ArticleHead, has_head, head_forward
from sitrep.runtime.merge import merge_windows
from sitrep.runtime.windows import Window, WindowOutput, WindowRunner, sigmoid, softmax, trained_windowing
from sitrep.scheme import SCHEME, LabelScheme
from sitrep.words import snap_spans


@dataclass
class Tagged:
    """One article's tagging: spans, tokens it took, and article-head probabilities (None without a head)."""

    spans: list[Span]
    n_tokens: int
    head_probs: np.ndarray | None = None


def check_window(path: Path, model, window: dict) -> None:
    limit = getattr(model.config, "max_position_embeddings", None)
    length, stride = window.get("max_length"), window.get("stride")
    if limit and length and length > limit:
        raise CheckpointError(f"max_length={length} exceeds what the model in {path} takes ({limit} positions)")
    if length and stride is not None and stride >= length - 2:
        raise CheckpointError(f"stride={stride} must be below max_length={length} minus the special tokens")


def load_head(path: Path) -> ArticleHead:
    try:
        return ArticleHead.load(path)
    except Exception as exc:  # noqa: BLE001 - a corrupt head file is named, not a traceback
        raise CheckpointError(f"{path}/article_head.*: cannot load the article head ({str(exc).splitlines()[0][:200]})") from None


def load_kwargs(path: Path, kwargs: dict) -> dict:
    """Windows as the checkpoint was trained unless the caller says otherwise; None means 'not said'."""
    return {**trained_windowing(path), **{k: v for k, v in kwargs.items() if v is not None}}


class SpanTagger:
    """Text -> character spans with scores, for all labels of the scheme."""

    task = "ner"

    def __init__(self, model, tokenizer, scheme: LabelScheme = SCHEME, max_length: int = 256, stride: int = 64,
                 batch_size: int = 32, precision: str = "auto", device: str | None = None,
                 head: ArticleHead | None = None):
        id2label = {int(k): v for k, v in model.config.id2label.items()}
        if id2label != scheme.id2label:
            raise ValueError(f"model tags {list(id2label.values())} differ from the scheme's {list(scheme.bio_tags)}")
        if head is not None and head.types != list(scheme.trigger_labels):
            raise ValueError(f"article head types {head.types} differ from the scheme's {list(scheme.trigger_labels)}")
        self.scheme = scheme
        self.head = head.eval() if head is not None else None
        self.runner = WindowRunner(model, tokenizer, max_length, stride, batch_size, precision, device)
        if self.head is not None:
            self.head.to(self.runner.device)
        self.runner.forward = head_forward(self.runner.model, self.head)
        self.tags = [scheme.id2label[i] for i in range(len(scheme.id2label))]

    @classmethod
    def load(cls, path: str | Path, scheme: LabelScheme = SCHEME, runtime: str = "auto", **kwargs) -> "SpanTagger":
        """``runtime``: see :data:`sitrep.runtime.loading.RUNTIMES`; both give the same spans."""
        path = check_checkpoint(path, cls.task, scheme)
        model, tokenizer = load_token_classifier(path, runtime)
        head = load_head(path) if has_head(path) else None
        window = load_kwargs(path, kwargs)
        check_window(path, model, window)
        return cls(model, tokenizer, scheme, head=head, **window)

    def tag(self, texts: list[str]) -> list[list[Span]]:
        return [t.spans for t in self.analyse(texts)]

    def tag_with_tokens(self, texts: list[str]) -> list[tuple[list[Span], int]]:
        """Spans of each text, with the number of tokens it took."""
        return [(t.spans, t.n_tokens) for t in self.analyse(texts)]

    def analyse(self, texts: list[str]) -> list[Tagged]:
        toks = self.runner.tokenize(texts)
        windows = self.runner.windows(toks)
        outputs = self.runner.run(toks, windows)
        per_doc: list[list[tuple[Window, WindowOutput]]] = [[] for _ in texts]
        for w, out in zip(windows, outputs):
            per_doc[w.doc].append((w, out))
        out = []
        for text, tok, parts in zip(texts, toks, per_doc):
            spans = snap_spans(text, self._decode(tok, parts), tok.words)
            head = None
            if self.head is not None:
                head = np.zeros(len(self.head.types), dtype=np.float32)
                if parts:  # an article takes the max over its windows
                    head = sigmoid(np.stack([o.window for _, o in parts])).max(axis=0)
            out.append(Tagged(spans, tok.n_tokens, head))
        return out

    def word_probs(self, tok: TokenizedText, parts: list[tuple[Window, WindowOutput]]) -> np.ndarray:
        """[words, tags] probabilities of one text, each word from the window where it sits most centrally."""
        logits = merge_windows(tok.n_tokens, [(w.start, w.end, out.tokens) for w, out in parts])
        return softmax(logits[np.asarray(tok.word_first_token, dtype=np.int64)])

    def _decode(self, tok: TokenizedText, parts: list[tuple[Window, WindowOutput]]) -> list[Span]:
        if not parts:
            return []
        probs = self.word_probs(tok, parts)
        ids = probs.argmax(axis=-1)
        tags = [self.tags[i] for i in ids]
        scores = probs[np.arange(len(ids)), ids].tolist()
        return word_tags_to_spans(tok.word_chars, tags, scores)
