"""Checkpoint folders: standard ``save_pretrained`` output plus the label scheme.

A checkpoint written by `python -m train` holds the model (safetensors), its
tokenizer, ``config.json`` with ``id2label``, ``label_scheme.json``,
``metrics.json``, ``config.yaml`` (the resolved training config) and a model
card ``README.md``. Loading refuses pickle-only weights and a label scheme that
differs from the current one.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from sitrep.scheme import SCHEME, LabelScheme

SCHEME_FILE = "label_scheme.json"
TASK_FILE = "sitrep_task.json"


class CheckpointError(RuntimeError):
    pass


def check_checkpoint(path: str | Path, task: str, scheme: LabelScheme = SCHEME) -> Path:
    """The checkpoint folder, or a CheckpointError saying what is wrong and what to do."""
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(f"{path}: no checkpoint folder here; train one with `python -m train task={task}`")
    if not any(path.glob("*.safetensors")):
        pickles = [p.name for p in path.glob("*.bin")] + [p.name for p in path.glob("*.pt")]
        if pickles:
            raise CheckpointError(
                f"{path}: only pickle weights ({', '.join(pickles)}); sitrep loads safetensors only, since "
                "pickle files can run code when loaded. Re-save with save_pretrained(safe_serialization=True)"
            )
        raise CheckpointError(f"{path}: no model.safetensors; not a checkpoint written by save_pretrained")
    scheme_file = path / SCHEME_FILE
    if not scheme_file.exists():
        raise CheckpointError(f"{path}: no {SCHEME_FILE}; cannot tell which labels this model predicts")
    try:
        saved = json.loads(scheme_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{scheme_file}: corrupt ({str(exc).splitlines()[0]}); restore it from the training run") from None
    if not isinstance(saved, dict):
        raise CheckpointError(f"{scheme_file}: corrupt (not a JSON object); restore it from the training run")
    current = scheme.to_dict()
    if saved != current:
        diff = [k for k in current if saved.get(k) != current[k]]
        raise CheckpointError(
            f"{path}: trained with a different label scheme ({', '.join(diff)} differ: checkpoint "
            f"{[saved.get(k) for k in diff]} vs current {[current[k] for k in diff]}); retrain it with "
            "`python -m train` under the current scheme"
        )
    task_file = path / TASK_FILE
    if task_file.exists():
        try:
            saved_task = json.loads(task_file.read_text(encoding="utf-8")).get("task")
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
            raise CheckpointError(f"{task_file}: corrupt; restore it from the training run") from None
        if saved_task != task:
            raise CheckpointError(f"{path}: a {saved_task} checkpoint, but a {task} checkpoint is needed here")
    return path


def write_scheme(path: str | Path, task: str, scheme: LabelScheme = SCHEME) -> None:
    path = Path(path)
    (path / SCHEME_FILE).write_text(json.dumps(scheme.to_dict(), indent=2) + "\n", encoding="utf-8")
    (path / TASK_FILE).write_text(json.dumps({"task": task}) + "\n", encoding="utf-8")


def publish(src: str | Path, dest: str | Path) -> None:
    """Copy a finished checkpoint folder to ``dest`` so that ``dest`` is never half-written.

    The copy goes to a temporary sibling first and is swapped in by renames; a
    failure before the swap leaves the old checkpoint in place.
    """
    src, dest = Path(src), Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.new-", dir=dest.parent))
    try:
        shutil.copytree(src, tmp, dirs_exist_ok=True)
        old = None
        if dest.exists():
            old = dest.parent / f".{dest.name}.old-{os.getpid()}"
            dest.rename(old)
        tmp.rename(dest)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
