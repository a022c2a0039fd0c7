"""Loading the parts of a checkpoint folder, each checked, so a broken folder fails with one line naming the file."""

from __future__ import annotations

import json
from pathlib import Path

from sitrep.checkpoint import CheckpointError

# A tokenizer folder holds one of these; without them AutoTokenizer can silently build a near-empty vocabulary.
TOKENIZER_FILES = ("tokenizer.json", "vocab.txt", "vocab.json", "spiece.model", "sentencepiece.bpe.model", "tokenizer.model")


# auto: a BERT token classifier runs on sitrep.runtime.bert (no transformers import), anything else on
# transformers; transformers: always transformers; native: BERT only, an error otherwise.
RUNTIMES = ("auto", "transformers", "native")


def load_token_classifier(path: str | Path, runtime: str = "auto"):
    """(model, tokenizer) of a token-classification folder, on the runtime asked for."""
    from sitrep.runtime import bert

    if runtime not in RUNTIMES:
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, not {runtime!r}")
    path = Path(path)
    if runtime != "transformers" and bert.supports(path):
        return _load_native(path)
    if runtime == "native":
        raise CheckpointError(f"{path}: runtime=native runs BERT token classifiers (config.json model_type bert, "
                              "absolute positions, gelu) with a tokenizer.json; use runtime=auto for this model")
    from transformers import AutoModelForTokenClassification

    return load_pretrained(AutoModelForTokenClassification, path), load_tokenizer(path)


def _load_native(path: Path):
    from sitrep.runtime.bert import BertTokenClassifier
    from sitrep.runtime.tokenizer_file import FILE, TokenizerFile

    try:
        model = BertTokenClassifier.from_folder(path)
    except Exception as exc:  # noqa: BLE001 - a corrupt or mismatched weights file is named, not a traceback
        raise CheckpointError(f"{path / 'model.safetensors'}: cannot load the weights ({_one_line(exc)})") from None
    try:
        tokenizer = TokenizerFile.from_folder(path)
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError(f"{path}: cannot load the tokenizer from {FILE} ({_one_line(exc)})") from None
    _check_vocab(path, tokenizer, [FILE])
    return model, tokenizer


def _check_vocab(path: Path, tokenizer, present: list[str]) -> None:
    if len(tokenizer) < 100:
        raise CheckpointError(f"{path}: the tokenizer in {', '.join(present)} has only {len(tokenizer)} tokens; "
                              "its vocabulary files are missing or truncated")


def load_tokenizer(path: str | Path):
    from transformers import AutoTokenizer

    path = Path(path)
    present = [name for name in TOKENIZER_FILES if (path / name).is_file()]
    if not present:
        raise CheckpointError(f"{path}: no tokenizer files ({', '.join(TOKENIZER_FILES[:3])}, ...); copy the tokenizer "
                              "saved with the model into the folder (tokenizer.save_pretrained)")
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
    except Exception as exc:  # noqa: BLE001 - every loader error becomes one line naming the files
        raise CheckpointError(f"{path}: cannot load the tokenizer from {', '.join(present)} ({_one_line(exc)})") from None
    _check_vocab(path, tokenizer, present)
    return tokenizer


def load_pretrained(model_class, path: str | Path):
    """``model_class.from_pretrained`` on safetensors, with config and weights errors named by file."""
    path = Path(path)
    config = path / "config.json"
    try:
        json.loads(config.read_text(encoding="utf-8"))
    except OSError:
        raise CheckpointError(f"{config}: missing; not a checkpoint written by save_pretrained") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{config}: corrupt ({_one_line(exc)})") from None
    try:
        return model_class.from_pretrained(path, use_safetensors=True)
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError(f"{path / 'model.safetensors'}: cannot load the weights ({_one_line(exc)})") from None


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
