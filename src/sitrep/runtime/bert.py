"""Inference for BERT-family token classifiers without importing transformers.

Importing transformers' model code takes about 4.5 s on a 2-core CPU (it pulls
in torch.distributed, dynamo, sympy and scipy), which is more than the model
forward of 1,600 short news items. A ``save_pretrained`` BERT folder needs
none of that to run: this module reads its ``config.json``,
``model.safetensors`` and ``tokenizer.json`` and computes the same forward as
``BertForTokenClassification`` in eval mode (the same torch ops, so bf16
autocast treats them alike). Anything it does not cover exactly (other
architectures, relative positions, other activations) is left to
transformers: :func:`supports` decides, and the loader falls back.

Under bf16 autocast on a CPU, the linear layers run as oneDNN matmuls on
weights converted to bf16 and packed once, with the bias and the GELU done
inside the matmul: autocast would convert every weight again on every call and
run GELU as a separate pass over bf16 (together about a third of the forward's time). The
residual stream and the layer norms stay in float32, as under autocast.
The query weights carry the attention's 1/sqrt(head size), so scores need no
scaling pass. On a CPU without AMX, attention runs as batched matmuls over a
few windows at a time, normalised after the matmul with the values (see
:func:`_chunked_attention`).
"""

from __future__ import annotations

import json
import logging
from contextlib import nullcontext
from pathlib import Path
from types import SimpleNamespace

import torch
from torch import nn
from torch.nn import functional as F

PREFIX = "bert."
log = logging.getLogger("sitrep")


def supports(path: str | Path) -> bool:
    """Whether the folder holds a BERT token classifier this module computes exactly."""
    path = Path(path)
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False  # the transformers loader names the fault
    return (
        config.get("model_type") == "bert"
        and config.get("architectures") == ["BertForTokenClassification"]
        and config.get("position_embedding_type", "absolute") == "absolute"
        and config.get("hidden_act") == "gelu"
        and not config.get("is_decoder", False)
        and not config.get("add_cross_attention", False)
        and (path / "model.safetensors").is_file()
        and (path / "tokenizer.json").is_file()
    )


class BertTokenClassifier(nn.Module):
    """``BertForTokenClassification`` in eval mode: (input_ids, attention_mask) -> logits and last hidden states.

    The weights are buffers read from the file as they are (no layers built and randomly initialised first,
    which would cost more than the load itself); the forward is written with torch's functional ops.
    """

    def __init__(self, config: dict, weights: dict[str, torch.Tensor]):
        super().__init__()
        self.config = SimpleNamespace(**config)
        for name, tensor in weights.items():
            self.register_buffer(name, tensor)
        self.n_layers, self.heads = self.config.num_hidden_layers, self.config.num_attention_heads
        self.eps = self.config.layer_norm_eps
        self.fuse_cpu_bf16 = FUSED_CPU_BF16  # False: plain ops under autocast (the reference, for tests)
        self.matmul_attention = MATMUL_ATTENTION  # on the fused path: batched matmuls, not torch's attention kernel
        self._packed: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None

    @classmethod
    def from_folder(cls, path: str | Path) -> "BertTokenClassifier":
        from safetensors.torch import load_file

        path = Path(path)
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        weights = {k.removeprefix(PREFIX): v for k, v in load_file(path / "model.safetensors").items()}
        expected = {"embeddings.word_embeddings.weight": (config["vocab_size"], config["hidden_size"]),
                    "classifier.weight": (len(config["id2label"]), config["hidden_size"]),
                    "encoder.layer.0.intermediate.dense.weight": (config["intermediate_size"], config["hidden_size"])}
        for name, shape in expected.items():
            if tuple(weights[name].shape) != shape:
                raise ValueError(f"{name} has shape {tuple(weights[name].shape)}; config.json says {shape}")
        return cls(config, _renamed(weights, int(config["num_hidden_layers"]))).eval()

    def _norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
        return F.layer_norm(x, x.shape[-1:], getattr(self, name + "_weight"), getattr(self, name + "_bias"), self.eps)

    def _linear(self, x: torch.Tensor, name: str, activation: str = "none") -> torch.Tensor:
        out = F.linear(x, getattr(self, name + "_weight"), getattr(self, name + "_bias"))
        return F.gelu(out) if activation == "gelu" else out

    def _bf16_linear(self, x: torch.Tensor, name: str, activation: str = "none") -> torch.Tensor:
        """oneDNN's bf16 matmul with the bias and activation inside it, on weights converted and packed once."""
        weight, bias = self._packed[name]
        return _fused_linear(x.to(torch.bfloat16), weight, bias, activation)

    def _pack(self) -> bool:
        """Convert and pack the weights once; False (and plain autocast from then on) where this build's oneDNN
        cannot run the fused matmul or gets it wrong, e.g. a CPU it has no bf16 kernels for."""
        if self._packed is not None:
            return True
        try:
            packed = {}
            h = self.config.hidden_size
            scale = torch.ones(3 * h)
            scale[:h] = (h // self.heads) ** -0.5  # the query rows: scores come out scaled
            for layer in [f"layer{i}_{part}" for i in range(self.n_layers)
                          for part in ("qkv", "attn_out", "ffn_in", "ffn_out")] + ["classifier"]:
                weight, bias = getattr(self, layer + "_weight"), getattr(self, layer + "_bias")
                if layer.endswith("_qkv"):
                    weight, bias = weight * scale[:, None], bias * scale
                packed[layer] = (_packed_weight(weight.to(torch.bfloat16)), bias.to(torch.bfloat16))
            probe = torch.linspace(-1, 1, self.config.hidden_size).to(torch.bfloat16)[None]
            with torch.autocast("cpu", enabled=False):
                got = _fused_linear(probe, *packed["layer0_ffn_in"], "gelu").float()
                want = F.gelu(F.linear(probe.float(), self.layer0_ffn_in_weight.float(),
                                       self.layer0_ffn_in_bias.float()))
            if not torch.allclose(got, want, atol=0.05, rtol=0.05):
                raise RuntimeError(f"fused bf16 matmul is off by {(got - want).abs().max().item():.3g}")
        except RuntimeError as exc:
            log.warning("bf16 on this CPU: fused matmuls unavailable (%s); using plain autocast",
                        str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__)
            self.fuse_cpu_bf16 = False
            return False
        self._packed = packed
        return True

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, output_hidden_states: bool = False):
        fused = (self.fuse_cpu_bf16 and input_ids.device.type == "cpu" and torch.is_autocast_enabled("cpu")
                 and torch.get_autocast_dtype("cpu") == torch.bfloat16 and self._pack())
        # Fused: what autocast would run (bf16 matmuls and attention, float32 residuals and norms), with the
        # casts and GELU folded into the matmuls, so autocast itself is switched off around it.
        linear = self._bf16_linear if fused else self._linear
        with torch.autocast("cpu", enabled=False) if fused else nullcontext():
            b, t = input_ids.shape
            positions = torch.arange(t, device=input_ids.device)
            x = F.embedding(input_ids, self.word) + self.token_type[0] + F.embedding(positions, self.position)
            x = self._norm(x, "embed_norm")
            # Padding is never attended to; a batch without padding (the windows of long articles) needs no
            # mask, and the attention kernel runs a fifth faster without one.
            keep = None if bool(attention_mask.all()) else attention_mask.bool()[:, None, None, :]
            h = x.shape[-1]
            for i in range(self.n_layers):
                layer = f"layer{i}_"
                q, k, v = linear(x, layer + "qkv").view(b, t, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
                if fused and self.matmul_attention:
                    context = _chunked_attention(q, k, v, keep).view(b, t, h)
                else:  # on the fused path, the packed query weights already scaled q
                    context = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, scale=1.0 if fused else None)
                    context = context.transpose(1, 2).reshape(b, t, h)
                # In place: the residual stream is this forward's own tensor, and a new one per add cost a pass
                x = self._norm(x.add_(linear(context, layer + "attn_out")), layer + "attn_norm")
                x = self._norm(x.add_(linear(linear(x, layer + "ffn_in", "gelu"), layer + "ffn_out")), layer + "ffn_norm")
            logits = linear(x, "classifier")
        return SimpleNamespace(logits=logits, hidden_states=(x,) if output_hidden_states else None)


def _fused_ops_available() -> bool:
    return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise") \
        and hasattr(torch.ops.mkldnn, "_reorder_linear_weight")


FUSED_CPU_BF16 = _fused_ops_available()
# Without AMX, torch's CPU attention kernel runs every 32-query block as its own small matmul call, and at 128
# tokens the calls cost more than the arithmetic: on an AMD EPYC with avx512_bf16, 25 ms for a batch of 64 windows
# against 16 ms as batched matmuls 8 windows at a time. With AMX the kernel packs its blocks and is the faster.
MATMUL_ATTENTION = not (hasattr(torch.cpu, "_is_amx_tile_supported") and torch.cpu._is_amx_tile_supported())
# Scores of 8 windows of 128 tokens (12 heads): small enough to stay in cache from the matmul to the softmax.
CHUNK_SCORES = 8 * 12 * 128 * 128
PACK_ROWS = 64 * 128  # oneDNN picks the packed layout for about this many rows (a batch of windows); any count works


def _packed_weight(weight: torch.Tensor) -> torch.Tensor:
    return torch.ops.mkldnn._reorder_linear_weight(weight, PACK_ROWS)


def _fused_linear(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor, activation: str) -> torch.Tensor:
    """x @ weight.T + bias, then the activation ("none" or "gelu", erf form), in one oneDNN bf16 call."""
    return torch.ops.mkldnn._linear_pointwise(x, weight, bias, activation, [], "none")


def _chunked_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, keep: torch.Tensor | None) -> torch.Tensor:
    """softmax(q k^T) v for q, k, v of [windows, heads, tokens, head size], a few windows at a time; q comes
    scaled. The scores are bf16, as in eager attention under autocast.
    Padding keys get -inf from a bias that the scores' matmul adds as it writes them (``baddbmm``): a
    ``masked_fill_`` over the scores afterwards took as long as the matmul and the softmax together.
    The softmax's normalisation comes after the matmul with v: exp(scores) @ [v, 1] gives the weighted sum and
    its normaliser in one matmul, and a division over [tokens, head size] replaces the softmax's three passes
    over [tokens, tokens] (per chunk of 8 windows 0.27 ms for the exp against 0.65 ms for torch's softmax).
    Without the softmax's max subtraction, exp overflows above 88 (the default model's scores reach 60 on real
    news) and a row can underflow to 0 / 0: a chunk whose result is not finite is computed again with
    torch's softmax.
    Returns [windows, tokens, heads, head size], the layout of the next linear layer's input.
    """
    b, heads, t, d = q.shape
    out = q.new_empty(b, t, heads, d)
    bias = None if keep is None else torch.zeros(b, 1, 1, t, dtype=q.dtype).masked_fill_(~keep, float("-inf"))
    v_ones = torch.cat([v, v.new_ones(b, heads, t, 1)], -1)
    n = max(1, CHUNK_SCORES // (heads * t * t))
    for i in range(0, b, n):
        m = min(n, b - i)
        qs, ks = q[i : i + n].reshape(m * heads, t, d), k[i : i + n].reshape(m * heads, t, d).transpose(1, 2)
        chunk_bias = None if bias is None else bias[i : i + n].expand(m, heads, t, t).reshape(m * heads, t, t)
        weighted = torch.bmm(_scores(qs, ks, chunk_bias).exp_(), v_ones[i : i + n].reshape(m * heads, t, d + 1))
        weighted = weighted.view(m, heads, t, d + 1)
        chunk = out[i : i + n]
        torch.div(weighted[..., :d], weighted[..., d:], out=chunk.transpose(1, 2))
        if not torch.isfinite(chunk.sum()):  # a sum, not isfinite over the chunk: 18 us against 0.5 ms
            probs = torch.softmax(_scores(qs, ks, chunk_bias).view(m, heads, t, t), -1)
            chunk.copy_(torch.matmul(probs, v[i : i + n]).transpose(1, 2))
    return out


def _scores(q: torch.Tensor, k_t: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    return torch.bmm(q, k_t) if bias is None else torch.baddbmm(bias, q, k_t)


def _renamed(w: dict[str, torch.Tensor], n_layers: int) -> dict[str, torch.Tensor]:
    """Hugging Face's parameter names (``bert.`` prefix removed) -> this module's buffers, query/key/value stacked."""
    out = {
        "word": w["embeddings.word_embeddings.weight"],
        "position": w["embeddings.position_embeddings.weight"],
        "token_type": w["embeddings.token_type_embeddings.weight"],
        "embed_norm_weight": w["embeddings.LayerNorm.weight"],
        "embed_norm_bias": w["embeddings.LayerNorm.bias"],
        "classifier_weight": w["classifier.weight"],
        "classifier_bias": w["classifier.bias"],
    }
    for i in range(n_layers):
        src, dst = f"encoder.layer.{i}.", f"layer{i}_"
        for part in ("weight", "bias"):
            out[f"{dst}qkv_{part}"] = torch.cat([w[f"{src}attention.self.{n}.{part}"] for n in ("query", "key", "value")])
            out[f"{dst}attn_out_{part}"] = w[f"{src}attention.output.dense.{part}"]
            out[f"{dst}attn_norm_{part}"] = w[f"{src}attention.output.LayerNorm.{part}"]
            out[f"{dst}ffn_in_{part}"] = w[f"{src}intermediate.dense.{part}"]
            out[f"{dst}ffn_out_{part}"] = w[f"{src}output.dense.{part}"]
            out[f"{dst}ffn_norm_{part}"] = w[f"{src}output.LayerNorm.{part}"]
    return out
