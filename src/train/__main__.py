"""`python -m train`: a Hydra app. See configs/train.yaml for every option."""

import hydra
from omegaconf import DictConfig

from train.run import train


@hydra.main(version_base="1.3", config_path="../../configs", config_name="train")
def main(cfg: DictConfig) -> float | None:
    metrics = train(cfg)
    # Returned for sweepers that optimise a score.
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
