"""Articles in, prediction records out: the one place a checkpoint meets `python -m infer`'s items.

Knows nothing of files or engines; the local engine and each Ray actor hold one.
An article that cannot be tagged, for whatever reason (the tokenizer or the
model failing on it, a record that cannot be written as UTF-8 JSON), becomes an
error record; the other articles of its chunk are tagged as usual.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from omegaconf import DictConfig

from sitrep.articles import Item
from sitrep.events import EventCoder, span_record
from sitrep.runtime.memory import keep_freed_memory
from sitrep.runtime.pipeline import Analysis, ConflictModel
from sitrep.scheme import SCHEME


class ArticleTagger:
    def __init__(self, cfg: DictConfig):
        if cfg.num_threads:
            torch.set_num_threads(int(cfg.num_threads))
        keep_freed_memory(cfg.get("keep_freed_bytes") or 0)
        # max_length/stride left null mean: as the checkpoint was trained.
        self.model = ConflictModel.load(cfg.checkpoint, cfg.classifier or None, SCHEME, cfg.runtime,
                                        batch_size=cfg.batch_size,
                                        precision=cfg.precision, device=cfg.device, max_length=cfg.max_length,
                                        stride=cfg.stride)
        self.model_version = model_version(cfg)
        self.precision = self.model.precision
        self.coder = EventCoder(SCHEME)

    def tag(self, items: list[Item]) -> tuple[list[dict], list[int]]:
        """Records in item order (error records for bad items), and the tokens each took."""
        good = [it for it in items if it.error is None]
        analyses = self._analyse(good)
        records, tokens = [], []
        for item in items:
            result = analyses.get(id(item))
            if isinstance(result, Analysis):
                record = self._record(item, result)
                tokens.append(result.n_tokens if "error" not in record else 0)
            else:
                record = error_record(item, item.error or result)
                tokens.append(0)
            records.append(record)
        return records, tokens

    def _analyse(self, items: list[Item]) -> dict[int, Analysis | str]:
        """Analyses by item; when a batch fails, each item alone, so only the culprit becomes an error."""
        try:
            return {id(it): a for it, a in zip(items, self.model.analyse([it.text for it in items]))}
        except Exception:  # noqa: BLE001 - isolate the article at fault, then report it as data
            out: dict[int, Analysis | str] = {}
            for it in items:
                try:
                    out[id(it)] = self.model.analyse([it.text])[0]
                except Exception as exc:  # noqa: BLE001
                    out[id(it)] = f"{it.where or it.id}: cannot be tagged ({type(exc).__name__}: {_one_line(exc)})"
            return out

    def _record(self, item: Item, a: Analysis) -> dict:
        record = {
            "id": item.id,
            "text": item.text,
            "spans": [span_record(item.text, s) for s in a.spans],
            "event_types": [{"label": t, "score": s} for t, s in a.event_types],
            "suggested_event_types": [{"label": t, "score": s} for t, s in a.suggested_types],
            "events": self.coder.code(item.id, item.text, a.spans, item.meta),
            "score": round(sum(s.score for s in a.spans) / len(a.spans), 4) if a.spans else None,
            "meta": item.meta,
        }
        try:
            json.dumps(record, ensure_ascii=False).encode("utf-8")
        except (TypeError, ValueError, UnicodeEncodeError) as exc:
            return error_record(item, f"{item.where or item.id}: its record cannot be written as UTF-8 JSON "
                                      f"({type(exc).__name__}; check the meta fields)", keep_meta=False)
        return record


def error_record(item: Item, error: str, keep_meta: bool = True) -> dict:
    meta = item.meta if keep_meta else {}
    try:
        json.dumps(meta, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        meta = {}
    record = {"id": item.id.encode("utf-8", "replace").decode("utf-8"), "error": error, "meta": meta}
    if item.text is not None:  # read fine but could not be tagged: resume must know it is the same text
        record["text_sha1"] = text_sha1(item.text)
    return record


def text_sha1(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


def model_version(cfg: DictConfig) -> str:
    return cfg.model_version or Path(cfg.checkpoint).resolve().name


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:200]
