"""The models at work: a span tagger and an event-type classifier over raw article text.

Both cut each text into overlapping token windows (:mod:`sitrep.alignment`),
batch the windows of many articles together sorted by length with dynamic
padding, and run under ``torch.inference_mode`` with bf16 autocast where the
CPU has native bf16. The span tagger merges windows by giving each token the
prediction of the window in which it sits most centrally, so an entity that
crosses a window edge comes out whole. Word tags follow the "first" rule
(a word takes its first subtoken's tag), as ``pipeline(aggregation_strategy="first")``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from sitrep.alignment import TokenizedText, special_tokens, tokenize_text, window_bounds, word_tags_to_spans
from sitrep.checkpoint import check_checkpoint
from sitrep.document import Span
from sitrep.scheme import SCHEME, LabelScheme

THRESHOLDS_KEY = "sitrep_thresholds"


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Native bf16 matrix units (avx512_bf16 or AMX); elsewhere bf16 autocast is slower than fp32."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


def resolve_precision(precision: str | bool, device: torch.device) -> str:
    """'auto' | 'bf16' | 'fp32' (or a bool) -> 'bf16' or 'fp32' for this device."""
    if isinstance(precision, bool):
        precision = "bf16" if precision else "fp32"
    if precision == "auto":
        if device.type == "cuda":
            return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
        return "bf16" if cpu_has_bf16() else "fp32"
    if precision not in ("bf16", "fp32"):
        raise ValueError(f"precision must be auto, bf16 or fp32, not {precision!r}")
    return precision


@dataclass
class _Window:
    doc: int
    start: int  # token range [start, end) in the document's tokenization
    end: int


class WindowRunner:
    """Runs a model over the windows of many texts in length-sorted, dynamically padded batches."""

    def __init__(self, model, tokenizer, max_length: int, stride: int, batch_size: int,
                 precision: str = "auto", device: str | None = None):
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.max_length, self.stride, self.batch_size = max_length, stride, batch_size
        self.precision = resolve_precision(precision, self.device)
        self.prefix, self.suffix = special_tokens(tokenizer)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.content_length = max_length - len(self.prefix) - len(self.suffix)

    def tokenize(self, texts: list[str]) -> list[TokenizedText]:
        return [tokenize_text(self.tokenizer, t) for t in texts]

    def windows(self, toks: list[TokenizedText]) -> list[_Window]:
        out = []
        for i, tok in enumerate(toks):
            for a, b in window_bounds(tok, self.content_length, self.stride) if tok.n_tokens else []:
                out.append(_Window(i, a, b))
        return out

    def run(self, toks: list[TokenizedText], windows: list[_Window]) -> list[np.ndarray]:
        """Per window, the model's float32 output: [tokens, labels] for token models, [labels] otherwise."""
        outputs: list[np.ndarray | None] = [None] * len(windows)
        order = sorted(range(len(windows)), key=lambda k: windows[k].end - windows[k].start)
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")
        with torch.inference_mode(), autocast:
            for i in range(0, len(order), self.batch_size):
                batch = order[i : i + self.batch_size]
                seqs = [self.prefix + toks[windows[k].doc].input_ids[windows[k].start : windows[k].end] + self.suffix
                        for k in batch]
                width = max(map(len, seqs))
                ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)
                mask = torch.zeros((len(seqs), width), dtype=torch.long)
                for r, seq in enumerate(seqs):
                    ids[r, : len(seq)] = torch.tensor(seq)
                    mask[r, : len(seq)] = 1
                logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
                logits = logits.float().cpu().numpy()
                for r, k in enumerate(batch):
                    if logits.ndim == 3:  # drop special tokens and padding
                        n = len(seqs[r]) - len(self.prefix) - len(self.suffix)
                        outputs[k] = logits[r, len(self.prefix) : len(self.prefix) + n]
                    else:
                        outputs[k] = logits[r]
        return outputs  # type: ignore[return-value]


def trained_windowing(checkpoint: str | Path) -> dict:
    """max_length/stride a checkpoint was trained with (its saved config.yaml), if it says."""
    import yaml

    saved = Path(checkpoint) / "config.yaml"
    if not saved.exists():
        return {}
    data = (yaml.safe_load(saved.read_text(encoding="utf-8")) or {}).get("data", {})
    return {k: data[k] for k in ("max_length", "stride") if k in data}


def _load_kwargs(path: Path, kwargs: dict) -> dict:
    """Windows as the checkpoint was trained unless the caller says otherwise; None means 'not said'."""
    return {**trained_windowing(path), **{k: v for k, v in kwargs.items() if v is not None}}


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


class SpanTagger:
    """Text -> character spans with scores, for all labels of the scheme."""

    task = "ner"

    def __init__(self, model, tokenizer, scheme: LabelScheme = SCHEME, max_length: int = 256, stride: int = 64,
                 batch_size: int = 32, precision: str = "auto", device: str | None = None):
        id2label = {int(k): v for k, v in model.config.id2label.items()}
        if id2label != scheme.id2label:
            raise ValueError(f"model tags {list(id2label.values())} differ from the scheme's {list(scheme.bio_tags)}")
        self.scheme = scheme
        self.runner = WindowRunner(model, tokenizer, max_length, stride, batch_size, precision, device)
        self.tags = [scheme.id2label[i] for i in range(len(scheme.id2label))]

    @classmethod
    def load(cls, path: str | Path, scheme: LabelScheme = SCHEME, **kwargs) -> "SpanTagger":
        from transformers import AutoModelForTokenClassification, AutoTokenizer

        path = check_checkpoint(path, cls.task, scheme)
        model = AutoModelForTokenClassification.from_pretrained(path, use_safetensors=True)
        return cls(model, AutoTokenizer.from_pretrained(path), scheme, **_load_kwargs(path, kwargs))

    def tag(self, texts: list[str]) -> list[list[Span]]:
        return [spans for spans, _ in self.tag_with_tokens(texts)]

    def tag_with_tokens(self, texts: list[str]) -> list[tuple[list[Span], int]]:
        """Spans of each text, with the number of tokens it took."""
        toks = self.runner.tokenize(texts)
        windows = self.runner.windows(toks)
        outputs = self.runner.run(toks, windows)
        per_doc: list[list[tuple[_Window, np.ndarray]]] = [[] for _ in texts]
        for w, out in zip(windows, outputs):
            per_doc[w.doc].append((w, out))
        return [(self._decode(tok, parts), tok.n_tokens) for tok, parts in zip(toks, per_doc)]

    def _decode(self, tok: TokenizedText, parts: list[tuple[_Window, np.ndarray]]) -> list[Span]:
        if not parts:
            return []
        n_labels = parts[0][1].shape[-1]
        logits = np.zeros((tok.n_tokens, n_labels), dtype=np.float32)
        best = np.full(tok.n_tokens, -1, dtype=np.int64)  # centrality of the window each token came from
        for w, out in parts:
            idx = np.arange(w.start, w.end)
            centrality = np.minimum(idx - w.start, w.end - 1 - idx)
            take = centrality > best[idx]
            logits[idx[take]] = out[take]
            best[idx[take]] = centrality[take]
        first = np.asarray(tok.word_first_token, dtype=np.int64)
        probs = _softmax(logits[first])
        ids = probs.argmax(axis=-1)
        tags = [self.tags[i] for i in ids]
        scores = probs[np.arange(len(ids)), ids].tolist()
        return word_tags_to_spans(tok.word_chars, tags, scores)


class EventTypeClassifier:
    """Text -> event types with scores; NONE when no type passes its threshold."""

    task = "event_types"

    def __init__(self, model, tokenizer, scheme: LabelScheme = SCHEME, max_length: int = 256, stride: int = 64,
                 batch_size: int = 32, precision: str = "auto", device: str | None = None,
                 thresholds: dict[str, float] | None = None, pooling: str = "max"):
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        if labels != list(scheme.trigger_labels):
            raise ValueError(f"classifier types {labels} differ from the scheme's {list(scheme.trigger_labels)}")
        self.scheme = scheme
        self.labels = labels
        saved = getattr(model.config, THRESHOLDS_KEY, None) or {}
        self.thresholds = {t: float((thresholds or saved).get(t, 0.5)) for t in labels}
        if pooling not in ("max", "mean"):
            raise ValueError(f"pooling must be max or mean, not {pooling!r}")
        self.pooling = pooling
        self.runner = WindowRunner(model, tokenizer, max_length, stride, batch_size, precision, device)

    @classmethod
    def load(cls, path: str | Path, scheme: LabelScheme = SCHEME, **kwargs) -> "EventTypeClassifier":
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = check_checkpoint(path, cls.task, scheme)
        model = AutoModelForSequenceClassification.from_pretrained(path, use_safetensors=True)
        return cls(model, AutoTokenizer.from_pretrained(path), scheme, **_load_kwargs(path, kwargs))

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """[articles, types]: window probabilities pooled per article."""
        toks = self.runner.tokenize(texts)
        windows = self.runner.windows(toks)
        outputs = self.runner.run(toks, windows)
        pooled = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        grouped: dict[int, list[np.ndarray]] = {}
        for w, out in zip(windows, outputs):
            grouped.setdefault(w.doc, []).append(_sigmoid(out))
        for doc, probs in grouped.items():
            stack = np.stack(probs)
            pooled[doc] = stack.max(axis=0) if self.pooling == "max" else stack.mean(axis=0)
        return pooled

    def decide(self, probs: np.ndarray) -> list[list[tuple[str, float]]]:
        out = []
        for row in probs:
            chosen = [(t, round(float(p), 4)) for t, p in zip(self.labels, row) if p >= self.thresholds[t]]
            out.append(chosen or [(self.scheme.none_choice, round(float(1.0 - row.max(initial=0.0)), 4))])
        return out

    def predict(self, texts: list[str]) -> list[list[tuple[str, float]]]:
        return self.decide(self.probabilities(texts))
