"""`python -m infer input=PATH output=DIR`: a Hydra app. See configs/infer.yaml for every option.

Bad settings, input, checkpoints or output folders end the run with one
``error:`` line and exit code 2, before anything is written; articles that
cannot be tagged are error records in the outputs and make the exit code 1.
"""

import atexit
import gc
import sys

if __name__ == "__main__":
    # Start-up builds only objects that live to the end (torch's modules and op registry, the config): collecting
    # them, again and again, cost about 0.3 s of a run, and traversing them at every later full collection and
    # once more at exit another 0.8 s. So no collection until main() starts; then they are frozen out of it, and
    # at exit (every output is closed by then) so is everything else.
    gc.disable()
    atexit.register(gc.freeze)

import hydra
from omegaconf import DictConfig

from infer.outputs import ResumeError
from infer.job import Interrupted, format_summary, run
from infer.settings import SettingsError
from sitrep.articles import InputError
from sitrep.checkpoint import CheckpointError


@hydra.main(version_base="1.3", config_path="../../configs", config_name="infer")
def main(cfg: DictConfig) -> None:
    if not gc.isenabled():  # the first job of the process: later ones (a multirun) must not freeze earlier garbage
        gc.freeze()
        gc.enable()
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
