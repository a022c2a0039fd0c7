"""Articles to tag, read lazily from .txt files, folders, globs, JSONL or stdin.

Every item comes out, good or bad: a bad one carries an ``error`` that names
what is wrong, so the run can record it and go on.
"""

from __future__ import annotations

import glob
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator


@dataclass
class Item:
    id: str
    text: str | None
    meta: dict = field(default_factory=dict)
    error: str | None = None


def check_text(raw: bytes | str, max_chars: int) -> tuple[str | None, str | None]:
    """(text, None) or (None, error) for one article's content."""
    if isinstance(raw, bytes):
        if b"\x00" in raw[:8192]:
            return None, "binary content (NUL bytes); expected UTF-8 text"
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"not UTF-8 (bad byte at offset {exc.start})"
    if not isinstance(raw, str):
        return None, f"text must be a string, got {type(raw).__name__}"
    if "\x00" in raw:
        return None, "binary content (NUL characters); expected text"
    if not raw.strip():
        return None, "empty or whitespace-only text"
    if len(raw) > max_chars:
        return None, f"text of {len(raw):,} characters exceeds the limit max_chars={max_chars:,}"
    controls = sum(1 for ch in raw[:8192] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * min(len(raw), 8192):
        return None, "binary content (control characters); expected text"
    return raw, None


def _txt_items(paths: list[Path], max_chars: int) -> Iterator[Item]:
    for path in paths:
        meta = {"source": str(path)}
        try:
            size = path.stat().st_size
            if size > 4 * max_chars:  # cannot be under max_chars characters in UTF-8: do not read it
                yield Item(path.stem, None, meta, f"{path}: file of {size:,} bytes exceeds max_chars={max_chars:,}")
                continue
            raw = path.read_bytes()
        except OSError as exc:
            yield Item(path.stem, None, meta, f"{path}: cannot read ({exc.strerror})")
            continue
        text, error = check_text(raw, max_chars)
        yield Item(path.stem, text, meta, f"{path}: {error}" if error else None)


def _jsonl_items(stream: io.TextIOBase | io.BufferedIOBase, name: str, max_chars: int) -> Iterator[Item]:
    for lineno, line in enumerate(stream, 1):
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Item(f"{name}:{lineno}", None, {}, f"{name} line {lineno}: not UTF-8 (byte {exc.start})")
                continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Item(f"{name}:{lineno}", None, {}, f"{name} line {lineno}: not valid JSON ({exc.msg})")
            continue
        if not isinstance(record, dict):
            yield Item(f"{name}:{lineno}", None, {}, f"{name} line {lineno}: expected a JSON object with id and text")
            continue
        item_id = str(record["id"]) if record.get("id") is not None else f"{name}:{lineno}"
        meta = {k: v for k, v in record.items() if k not in ("id", "text")}
        if "text" not in record:
            yield Item(item_id, None, meta, f"{name} line {lineno}: no 'text' field")
            continue
        text, error = check_text(record["text"], max_chars)
        yield Item(item_id, text, meta, f"{name} line {lineno}: {error}" if error else None)


def read_items(spec: str, max_chars: int) -> Iterator[Item]:
    """Items of ``spec``: ``-`` (JSONL on stdin), a .jsonl file, a .txt file, a folder, or a glob."""
    if spec == "-":
        yield from _jsonl_items(sys.stdin.buffer, "stdin", max_chars)
        return
    path = Path(spec)
    if path.is_file() and path.suffix in (".jsonl", ".ndjson", ".json"):
        with open(path, "rb") as stream:
            yield from _jsonl_items(stream, str(path), max_chars)
        return
    if path.is_file():
        yield from _txt_items([path], max_chars)
        return
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix == ".txt")
    else:
        files = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
    if not files:
        raise FileNotFoundError(f"input={spec}: no .txt files, JSONL file or folder found there")
    yield from _txt_items(files, max_chars)
