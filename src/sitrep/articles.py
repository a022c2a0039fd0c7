"""Articles to tag, read lazily from .txt files, folders, globs, JSONL, JSON arrays, Label Studio exports or stdin.

Every item comes out, good or bad: a bad one carries an ``error`` that names
what is wrong and where, so the run can record it and go on. Ids are strings,
unique across the whole input: a second item with an id already seen (``7``
and ``"7"`` included) becomes an error record naming both places. What the
reader skipped without an item (subfolders, other file types, broken links)
is told through ``notes``.
"""

from __future__ import annotations

import glob
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

BOM = "\ufeff"
TEXT_SUFFIXES = (".txt",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
JSON_SUFFIXES = (".json",)
PARQUET_SUFFIXES = (".parquet",)


class InputError(ValueError):
    """The input as a whole cannot be read (nothing there, not a known form); one line."""


@dataclass
class Item:
    id: str
    text: str | None
    meta: dict = field(default_factory=dict)
    error: str | None = None
    where: str = ""  # file (and line) it came from, for messages


def _lone_surrogate(text: str) -> int | None:
    for i, ch in enumerate(text):
        if "\ud800" <= ch <= "\udfff":
            return i
    return None


def check_text(raw: bytes | str, max_chars: int) -> tuple[str | None, str | None]:
    """(text, None) or (None, error) for one article's content."""
    if isinstance(raw, bytes):
        if b"\x00" in raw[:8192]:
            return None, "binary content (NUL bytes); expected UTF-8 text"
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"not UTF-8 (bad byte at offset {exc.start})"
        raw = raw.removeprefix(BOM)  # a byte-order mark is not part of the article
    if not isinstance(raw, str):
        return None, f"text must be a string, got {type(raw).__name__}"
    bad = _lone_surrogate(raw)
    if bad is not None:
        return None, f"text holds a lone surrogate (U+{ord(raw[bad]):04X} at character {bad}); not valid Unicode"
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


def _txt_items(paths: Iterable[Path], max_chars: int) -> Iterator[Item]:
    for path in paths:
        meta = {"source": str(path)}
        try:
            size = path.stat().st_size
            if size > 4 * max_chars:  # cannot be under max_chars characters in UTF-8: do not read it
                yield Item(path.stem, None, meta, f"{path}: file of {size:,} bytes exceeds max_chars={max_chars:,}",
                           str(path))
                continue
            raw = path.read_bytes()
        except OSError as exc:
            yield Item(path.stem, None, meta, f"{path}: cannot read ({exc.strerror})", str(path))
            continue
        text, error = check_text(raw, max_chars)
        yield Item(path.stem, text, meta, f"{path}: {error}" if error else None, str(path))


def _item_id(record: dict, fallback: str) -> tuple[str, str | None]:
    """A record's id as a string, or an error when it is not a string or an integer."""
    value = record.get("id")
    if value is None:
        return fallback, None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return fallback, f"id must be a string or an integer, not {type(value).__name__} {json.dumps(value)[:40]}"
    return str(value), None


def _record_item(record, where: str, fallback_id: str, max_chars: int) -> Item:
    if not isinstance(record, dict):
        return Item(fallback_id, None, {}, f"{where}: expected a JSON object with id and text", where)
    item_id, id_error = _item_id(record, fallback_id)
    meta = {k: v for k, v in record.items() if k not in ("id", "text")}
    if id_error:
        return Item(item_id, None, meta, f"{where}: {id_error}", where)
    if "text" not in record:
        return Item(item_id, None, meta, f"{where}: no 'text' field", where)
    text, error = check_text(record["text"], max_chars)
    return Item(item_id, text, meta, f"{where}: {error}" if error else None, where)


def _jsonl_items(stream, name: str, max_chars: int) -> Iterator[Item]:
    for lineno, line in enumerate(stream, 1):
        where = f"{name} line {lineno}"
        if isinstance(line, bytes):
            try:
                line = line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Item(f"{name}:{lineno}", None, {}, f"{where}: not UTF-8 (byte {exc.start})", where)
                continue
        if lineno == 1:
            line = line.removeprefix(BOM)
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Item(f"{name}:{lineno}", None, {}, f"{where}: not valid JSON ({exc.msg})", where)
            continue
        yield _record_item(record, where, f"{name}:{lineno}", max_chars)


def _json_items(path: Path, max_chars: int) -> Iterator[Item]:
    """A .json file: an array of {id, text} objects, or a Label Studio export (tasks with data.text)."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8").removeprefix(BOM))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"input={path}: not a readable JSON array ({exc}); JSON Lines files end in .jsonl") from None
    if not isinstance(data, list):
        raise InputError(f"input={path}: a .json input is an array of {{\"id\", \"text\"}} objects or a Label "
                         "Studio export; this one is not an array")
    for i, record in enumerate(data):
        where = f"{path} item {i}"
        if isinstance(record, dict) and isinstance(record.get("data"), dict) and "text" not in record:
            # A Label Studio task: the article is data.text, the id is meta.doc_id or the task id.
            meta = dict(record.get("meta") or {})
            doc_id = meta.pop("doc_id", record.get("id"))
            record = {"id": doc_id, "text": record["data"].get("text"), **meta}
        yield _record_item(record, where, f"{path.name}:{i}", max_chars)


def _parquet_items(path: Path, max_chars: int) -> Iterator[Item]:
    """A Parquet file with an ``id`` and a ``text`` column (other columns become meta), read in batches."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"input={path}: reading Parquet needs pyarrow (pip install 'sitrep[ray]')") from None
    try:
        table = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - any reader error is one line about this file
        raise InputError(f"input={path}: not a readable Parquet file ({str(exc).splitlines()[0]})") from None
    row = 0
    for batch in table.iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            row += 1
            yield _record_item(record, f"{path} row {row}", f"{path.name}:{row}", max_chars)


def _folder_files(folder: Path, notes: list[str]) -> list[Path]:
    files, skipped = [], {"subfolders": 0, "other files": 0, "broken links": 0}
    for p in sorted(folder.iterdir()):
        if p.is_symlink() and not p.exists():
            skipped["broken links"] += 1
        elif p.is_dir():
            skipped["subfolders"] += 1
        elif p.is_file() and p.suffix.lower() in TEXT_SUFFIXES:
            files.append(p)
        else:
            skipped["other files"] += 1
    told = ", ".join(f"{n} {kind}" for kind, n in skipped.items() if n)
    if told:
        notes.append(f"input={folder}: skipped {told} (a folder input reads the .txt files directly in it)")
    return files


def _unique(items: Iterable[Item]) -> Iterator[Item]:
    """A second item with an id already seen becomes an error record naming both places."""
    first: dict[str, str] = {}
    for item in items:
        if item.id in first:
            yield Item(item.id, None, item.meta,
                       f"{item.where or 'input'}: duplicate id {item.id!r}, also at {first[item.id] or 'an earlier item'}; "
                       "ids must be unique across the input", item.where)
            continue
        first[item.id] = item.where
        yield item


def read_items(spec: str, max_chars: int, notes: list[str] | None = None) -> Iterator[Item]:
    """Items of ``spec``: ``-`` (JSONL on stdin), a .jsonl or .json file, a .txt file, a folder, or a glob.

    Raises :class:`InputError` before yielding anything when the input does not exist or holds no
    article files at all.
    """
    notes = notes if notes is not None else []
    return _unique(_raw_items(spec, max_chars, notes))


def _raw_items(spec: str, max_chars: int, notes: list[str]) -> Iterator[Item]:
    if spec == "-":
        return _jsonl_items(sys.stdin.buffer, "stdin", max_chars)
    path = Path(spec)
    if path.is_file():
        suffix = path.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            return _jsonl_stream(path, max_chars)
        if suffix in JSON_SUFFIXES:
            return _json_items(path, max_chars)
        if suffix in PARQUET_SUFFIXES:
            return _parquet_items(path, max_chars)
        return _txt_items([path], max_chars)
    if path.is_dir():
        files = _folder_files(path, notes)
        if not files:
            raise InputError(f"input={spec}: no .txt files in this folder")
        return _txt_items(files, max_chars)
    files = sorted(Path(p) for p in glob.glob(spec, recursive=True) if Path(p).is_file())
    if not files:
        raise InputError(f"input={spec}: no such file or folder, and no file matches it as a glob")
    return _txt_items(files, max_chars)


def _jsonl_stream(path: Path, max_chars: int) -> Iterator[Item]:
    with open(path, "rb") as stream:
        yield from _jsonl_items(stream, str(path), max_chars)
