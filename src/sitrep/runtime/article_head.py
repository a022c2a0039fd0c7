"""The article head: event types from the same encoder pass as the spans.

A small multi-label layer over the tagger's last hidden states, mean-pooled
over each window's tokens; an article takes the max over its windows. It is
trained together with the token head (both losses) and saved beside the
tagger as ``article_head.safetensors`` + ``article_head.json``, so the tagger
folder stays a plain ``AutoModelForTokenClassification`` checkpoint that the
Hugging Face pipeline loads as it is.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

HEAD_WEIGHTS = "article_head.safetensors"
HEAD_CONFIG = "article_head.json"


class ArticleHead(nn.Module):
    def __init__(self, hidden_size: int, types: list[str], dropout: float = 0.1):
        super().__init__()
        self.types = list(types)
        self.hidden_size = hidden_size
        self.dropout_p = dropout
        self.dropout = nn.Dropout(dropout)
        self.linear = nn.Linear(hidden_size, len(types))

    def forward(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """[batch, tokens, hidden] -> [batch, types] logits, mean-pooled over the real tokens."""
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return self.linear(self.dropout(pooled))

    def save(self, folder: str | Path) -> None:
        from safetensors.torch import save_file

        folder = Path(folder)
        save_file({k: v.detach().contiguous().cpu() for k, v in self.state_dict().items()}, folder / HEAD_WEIGHTS)
        config = {"types": self.types, "hidden_size": self.hidden_size, "dropout": self.dropout_p,
                  "token_pooling": "mean", "window_pooling": "max"}
        (folder / HEAD_CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: str | Path) -> "ArticleHead":
        from safetensors.torch import load_file

        folder = Path(folder)
        config = json.loads((folder / HEAD_CONFIG).read_text(encoding="utf-8"))
        head = cls(int(config["hidden_size"]), list(config["types"]), float(config.get("dropout", 0.1)))
        head.load_state_dict(load_file(folder / HEAD_WEIGHTS))
        return head.eval()


def has_head(folder: str | Path) -> bool:
    return (Path(folder) / HEAD_WEIGHTS).is_file()


class TaggerWithArticleHead(nn.Module):
    """Training-time pair: token classifier + article head over one encoder, summed losses."""

    def __init__(self, token_model, head: ArticleHead, type_loss_weight: float = 1.0):
        super().__init__()
        self.token_model = token_model
        self.head = head
        self.type_loss_weight = type_loss_weight
        self.config = token_model.config  # what the Trainer and callbacks look at

    def forward(self, input_ids, attention_mask, labels=None, type_labels=None, **_):
        out = self.token_model(input_ids=input_ids, attention_mask=attention_mask, labels=labels,
                               output_hidden_states=True)
        type_logits = self.head(out.hidden_states[-1], attention_mask)
        loss = None
        if labels is not None:
            loss = out.loss
            if type_labels is not None:
                bce = nn.functional.binary_cross_entropy_with_logits(type_logits.float(), type_labels.float())
                loss = loss + self.type_loss_weight * bce
        return {"loss": loss, "logits": out.logits, "type_logits": type_logits}


def head_forward(model, head: ArticleHead | None):
    """The inference forward of a tagger, with the article head on the same pass when there is one."""

    def forward(ids: torch.Tensor, mask: torch.Tensor):
        if head is None:
            return model(input_ids=ids, attention_mask=mask).logits, None
        out = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        return out.logits, head(out.hidden_states[-1], mask)

    return forward
