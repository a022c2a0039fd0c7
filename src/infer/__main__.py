"""`python -m infer input=PATH output=DIR`: a Hydra app. See configs/infer.yaml for every option."""

import sys

import hydra
from omegaconf import DictConfig

from infer.run import format_summary, run
from sitrep.checkpoint import CheckpointError


@hydra.main(version_base="1.3", config_path="../../configs", config_name="infer")
def main(cfg: DictConfig) -> None:
    try:
        summary = run(cfg)
    except (CheckpointError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    print(format_summary(summary))
    if summary["failures"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
