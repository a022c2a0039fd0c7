"""`python -m train`: a Hydra app. See configs/train.yaml for every option.

Bad data or settings end the run with one ``error:`` line (exit code 2) that names the file, task or
setting at fault; nothing is published.
"""

import sys

import hydra
from hydra.errors import InstantiationException
from omegaconf import DictConfig
from omegaconf.errors import OmegaConfBaseException

from sitrep.annotated import AnnotationError
from sitrep.checkpoint import CheckpointError
from sitrep.runtime.memory import MemorySettingError
from train.training import LostSpansError, train
from train.splits import SplitError


@hydra.main(version_base="1.3", config_path="../../configs", config_name="train")
def main(cfg: DictConfig) -> float | None:
    try:
        metrics = train(cfg)
    except (AnnotationError, SplitError, CheckpointError, LostSpansError, MemorySettingError, OmegaConfBaseException,
            OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except InstantiationException as exc:  # a bad model, task or TrainingArguments setting
        print(f"error: {str(exc).strip().splitlines()[-1]}", file=sys.stderr)
        sys.exit(2)
    # Returned for sweepers that optimise a score: dev micro F1, the mean over seeds when there are several.
    if "over_seeds" in metrics:
        return metrics["over_seeds"].get("dev_micro_f1", {}).get("mean")
    return metrics.get("dev", {}).get("micro", {}).get("f1")


def end_process_group() -> None:
    """Under torchrun, every rank tears its process group down before the process exits.

    A rank that exits with the group alive can abort in Gloo's worker threads during interpreter shutdown
    ("terminate called without an active exception", pytorch#190489). Here, not in train(): a multirun
    sweep runs several jobs in one process, and they all share the one group. No barrier first: after
    training the ranks share nothing, and a barrier would time the others out while rank 0 evaluates.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    try:
        main()
    finally:
        end_process_group()
