"""`python -m infer input=PATH output=DIR`: a Hydra app. See configs/infer.yaml for every option.

Bad settings, input, checkpoints or output folders end the run with one
``error:`` line and exit code 2, before anything is written; articles that
cannot be tagged are error records in the outputs and make the exit code 1.
"""

import sys

import hydra
from omegaconf import DictConfig

from infer.outputs import ResumeError
from infer.job import Interrupted, format_summary, run
from infer.settings import SettingsError
from sitrep.articles import InputError
from sitrep.checkpoint import CheckpointError


@hydra.main(version_base="1.3", config_path="../../configs", config_name="infer")
def main(cfg: DictConfig) -> None:
    try:
        summary = run(cfg)
    except (CheckpointError, InputError, SettingsError, ResumeError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except Interrupted as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        sys.exit(130)
    except KeyboardInterrupt:
        print("stopped: interrupted before tagging began; nothing was written", file=sys.stderr)
        sys.exit(130)
    print(format_summary(summary))
    if summary["failures"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
