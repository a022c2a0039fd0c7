"""`python -m train`: a Hydra app. See configs/train.yaml for every option."""

import hydra
from omegaconf import DictConfig

from train.run import train


@hydra.main(version_base="1.3", config_path="../../configs", config_name="train")
def main(cfg: DictConfig) -> float | None:
    metrics = train(cfg)
    # Returned for sweepers that optimise a score.
    return metrics.get("dev", {}).get("micro", {}).get("f1")


if __name__ == "__main__":
    main()
