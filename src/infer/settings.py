"""The settings of `python -m infer`, checked before anything is read or written.

A typed schema (pydantic) over the resolved Hydra config: every bad value is
one line naming the setting, the value and what is allowed, and nothing in the
output folder has been touched yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from omegaconf import DictConfig, OmegaConf
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sitrep.runtime import memory


class SettingsError(ValueError):
    pass


class InferSettings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    input: str = Field(min_length=1)
    output: str = Field(min_length=1)
    checkpoint: str = Field(min_length=1)
    classifier: str | None = None
    precision: Literal["auto", "bf16", "fp32"] = "auto"
    runtime: Literal["auto", "transformers", "native"] = "auto"
    device: Literal["cpu", "cuda"] | None = None
    num_threads: int | None = Field(default=None, ge=1)
    keep_freed_bytes: int = 0
    batch_size: int = Field(ge=1)
    chunk_articles: int = Field(ge=1)
    chunk_chars: int = Field(ge=1)
    max_length: int | None = Field(default=None, ge=8)
    stride: int | None = Field(default=None, ge=0)
    max_chars: int = Field(ge=1)
    resume: bool = False
    model_version: str | None = None
    progress_bar: bool = True

    @field_validator("device")
    @classmethod
    def _cuda_present(cls, value):
        if value == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise ValueError("device=cuda but torch finds no CUDA device here; use device=cpu or leave it null")
        return value

    @field_validator("keep_freed_bytes")
    @classmethod
    def _keepable(cls, value):
        if not memory.allowed(value):
            raise ValueError(f"must be {memory.ALLOWED}")
        return value

    @field_validator("classifier", "model_version", mode="before")
    @classmethod
    def _empty_is_none(cls, value):
        return None if value in ("", "null", "None") else value


def check_settings(cfg: DictConfig) -> InferSettings:
    """The validated settings, or a SettingsError with one line per bad setting."""
    missing = [key for key in ("input",) if OmegaConf.is_missing(cfg, key)]
    if missing:
        raise SettingsError("input= is required: a .txt file, a folder or glob of .txt files, a .jsonl/.json/.parquet "
                            "file, or - for JSONL on stdin (python -m infer input=articles.jsonl output=out)")
    values = OmegaConf.to_container(cfg, resolve=True)
    try:
        settings = InferSettings(**{k: v for k, v in values.items() if k in InferSettings.model_fields})
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"])
            given = values.get(key, err.get("input"))
            lines.append(f"{key}={given}: {err['msg'].removeprefix('Value error, ')}")
        raise SettingsError("; ".join(lines)) from None
    return settings


def check_paths(settings: InferSettings) -> None:
    """The output folder can be written, and the input is not inside it (a run would overwrite its own input)."""
    import tempfile

    out = Path(settings.output)
    if out.exists() and not out.is_dir():
        raise SettingsError(f"output={out}: is a file; output= names a folder")
    try:  # creating the folder and a scratch file there destroys nothing, and proves it can be written
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise SettingsError(f"output={out}: cannot write there ({exc.strerror})") from None
    if settings.input != "-":
        src = Path(settings.input.split("*")[0] or ".").resolve()
        if src == out.resolve() or out.resolve() in src.parents:
            raise SettingsError(f"input={settings.input} is inside output={out}; a run would overwrite its own input. "
                                "Choose another output folder")
