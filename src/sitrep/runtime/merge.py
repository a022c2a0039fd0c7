"""Merging the token predictions of overlapping windows: each token from the window where it sits most centrally.

A model sees less context near a window's edges, so of the windows that hold
a token, the one whose nearer edge is farthest from it decides; on a tie the
first such window keeps it.
"""

from __future__ import annotations

import numpy as np


def merge_windows(n_tokens: int, windows: list[tuple[int, int, np.ndarray]]) -> np.ndarray:
    """[n_tokens, labels] logits from ``(start, end, logits[end - start, labels])`` windows of one text."""
    n_labels = windows[0][2].shape[-1]
    logits = np.zeros((n_tokens, n_labels), dtype=np.float32)
    best = np.full(n_tokens, -1, dtype=np.int64)  # centrality of the window each token came from
    for start, end, out in windows:
        idx = np.arange(start, end)
        centrality = np.minimum(idx - start, end - 1 - idx)
        take = centrality > best[idx]
        logits[idx[take]] = out[take]
        best[idx[take]] = centrality[take]
    return logits
