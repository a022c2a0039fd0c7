"""A checkpoint's ``tokenizer.json`` run by the `tokenizers` library alone, without importing transformers.

It answers the few calls the runtime makes of a Hugging Face fast tokenizer
(:func:`sitrep.alignment.tokenize_texts`, :func:`sitrep.alignment.special_tokens`,
``pad_token_id``, ``len``) with the same ids and offsets, since both run the same
Rust tokenizer from the same file. Loading it takes milliseconds where
``AutoTokenizer`` first imports transformers (about 2 s).
"""

from __future__ import annotations

import json
from pathlib import Path

from tokenizers import Tokenizer

FILE = "tokenizer.json"


class Encoded(dict):
    is_fast = True  # offsets come from the Rust tokenizer, as with a transformers fast tokenizer


class TokenizerFile:
    def __init__(self, tokenizer: Tokenizer, pad_token: str | None = None):
        self.tokenizer = tokenizer
        self.tokenizer.no_truncation()  # windows are cut by the runtime, never by the tokenizer
        self.tokenizer.no_padding()
        pad_id = tokenizer.token_to_id(pad_token) if pad_token else None
        self.pad_token_id = pad_id if pad_id is not None else 0

    @classmethod
    def from_folder(cls, path: str | Path) -> "TokenizerFile":
        path = Path(path)
        pad_token = None
        config = path / "tokenizer_config.json"
        if config.is_file():
            pad_token = json.loads(config.read_text(encoding="utf-8")).get("pad_token")
            if isinstance(pad_token, dict):  # an AddedToken written out in full
                pad_token = pad_token.get("content")
        return cls(Tokenizer.from_file(str(path / FILE)), pad_token)

    def __len__(self) -> int:
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    def __call__(self, text: str | list[str], add_special_tokens: bool = True, **_) -> Encoded:
        if isinstance(text, str):
            enc = self.tokenizer.encode(text, add_special_tokens=add_special_tokens)
            return Encoded(input_ids=enc.ids, offset_mapping=enc.offsets)
        encs = self.tokenizer.encode_batch(text, add_special_tokens=add_special_tokens)
        return Encoded(input_ids=[e.ids for e in encs], offset_mapping=[e.offsets for e in encs])
