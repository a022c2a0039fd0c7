"""Running a model over the token windows of many texts: batched, length-sorted, dynamically padded.

Every text is tokenized once (:mod:`sitrep.alignment`); its windows are slices
of that one tokenization. Windows of many texts are batched together sorted by
length, run under ``torch.inference_mode`` with bf16 autocast where the CPU
has native bf16.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from sitrep.alignment import TokenizedText, special_tokens, tokenize_texts, window_bounds


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
class Window:
    doc: int
    start: int  # token range [start, end) in the document's tokenization
    end: int


@dataclass
class WindowOutput:
    """What a model says about one window: per-token logits and/or one vector for the window."""

    tokens: np.ndarray | None  # [window tokens, labels], special tokens and padding dropped
    window: np.ndarray | None  # [labels]


# A forward function takes (input_ids, attention_mask) and returns (token logits or None, window logits or None).
Forward = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor | None, torch.Tensor | None]]


def default_forward(model) -> Forward:
    def forward(ids: torch.Tensor, mask: torch.Tensor):
        logits = model(input_ids=ids, attention_mask=mask).logits
        return (logits, None) if logits.ndim == 3 else (None, logits)

    return forward


class WindowRunner:
    def __init__(self, model, tokenizer, max_length: int, stride: int, batch_size: int,
                 precision: str = "auto", device: str | None = None, forward: Forward | None = None):
        self.device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
        self.model = model.to(self.device).eval()
        self.tokenizer = tokenizer
        self.max_length, self.stride, self.batch_size = max_length, stride, batch_size
        self.precision = resolve_precision(precision, self.device)
        self.prefix, self.suffix = special_tokens(tokenizer)
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        self.content_length = max_length - len(self.prefix) - len(self.suffix)
        self.forward = forward or default_forward(self.model)

    def tokenize(self, texts: list[str]) -> list[TokenizedText]:
        return tokenize_texts(self.tokenizer, texts)

    def windows(self, toks: list[TokenizedText]) -> list[Window]:
        out = []
        for i, tok in enumerate(toks):
            for a, b in window_bounds(tok, self.content_length, self.stride) if tok.n_tokens else []:
                out.append(Window(i, a, b))
        return out

    def run(self, toks: list[TokenizedText], windows: list[Window]) -> list[WindowOutput]:
        """The model's float32 outputs per window, in the order of ``windows``."""
        outputs: list[WindowOutput | None] = [None] * len(windows)
        order = sorted(range(len(windows)), key=lambda k: windows[k].end - windows[k].start)
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")
        n_pre, n_suf = len(self.prefix), len(self.suffix)
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
                token_logits, window_logits = self.forward(ids.to(self.device), mask.to(self.device))
                token_np = token_logits.float().cpu().numpy() if token_logits is not None else None
                window_np = window_logits.float().cpu().numpy() if window_logits is not None else None
                for r, k in enumerate(batch):
                    n = len(seqs[r]) - n_pre - n_suf
                    outputs[k] = WindowOutput(
                        token_np[r, n_pre : n_pre + n] if token_np is not None else None,
                        window_np[r] if window_np is not None else None,
                    )
        return outputs  # type: ignore[return-value]


def trained_windowing(checkpoint: str | Path) -> dict:
    """max_length/stride a checkpoint was trained with (its saved config.yaml), if it says."""
    import yaml

    from sitrep.checkpoint import CheckpointError

    saved = Path(checkpoint) / "config.yaml"
    if not saved.exists():
        return {}
    try:
        config = yaml.safe_load(saved.read_text(encoding="utf-8")) or {}
        data = config.get("data", {}) if isinstance(config, dict) else {}
        return {k: int(data[k]) for k in ("max_length", "stride") if k in data}
    except (OSError, UnicodeDecodeError, yaml.YAMLError, AttributeError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{saved}: corrupt ({str(exc).splitlines()[0]}); restore it from the training run") from None


def softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))
