"""Inline markup for quick authoring: ``[Iraqi security forces](ACTOR) [seized](TERRITORY)``.

Escape rule: a literal ``[``, ``]`` or ``\\`` in the article is written
``\\[``, ``\\]`` or ``\\\\``, inside spans and out. Nothing else needs escaping;
parentheses only mean something right after a span's closing ``]``.

A markup *file* holds one article: a YAML front matter block between ``---``
lines (``id`` plus any task meta such as ``provenance`` and ``source``), then
the markup body up to the end of the file, byte for byte. The article's
event types are derived from its triggers, as the spec defines them.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from sitrep.document import Document, Span, event_types_from_spans
from sitrep.scheme import SCHEME, LabelScheme

_ESCAPABLE = "[]\\"
_LABEL = re.compile(r"\(([A-Z][A-Z0-9_]*)\)")
FRONT_MATTER = "---\n"


class MarkupError(ValueError):
    pass


def _where(markup: str, pos: int) -> str:
    line = markup.count("\n", 0, pos) + 1
    col = pos - (markup.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, col {col}"


def escape(text: str) -> str:
    return "".join("\\" + ch if ch in _ESCAPABLE else ch for ch in text)


def parse_markup(markup: str, scheme: LabelScheme = SCHEME) -> tuple[str, list[Span]]:
    """Markup -> (plain text, spans in code-point offsets of that text)."""
    out: list[str] = []
    spans: list[Span] = []
    length = 0  # length of the plain text produced so far
    open_at: int | None = None  # markup position of the current span's '['
    span_start = 0
    i = 0
    while i < len(markup):
        ch = markup[i]
        if ch == "\\":
            nxt = markup[i + 1 : i + 2]
            if nxt not in _ESCAPABLE or not nxt:
                raise MarkupError(
                    f"{_where(markup, i)}: stray backslash; write \\\\ for a literal backslash"
                )
            out.append(nxt)
            length += 1
            i += 2
        elif ch == "[":
            if open_at is not None:
                raise MarkupError(
                    f"{_where(markup, i)}: '[' inside the span opened at {_where(markup, open_at)};"
                    " spans cannot nest (write \\[ for a literal bracket)"
                )
            open_at, span_start = i, length
            i += 1
        elif ch == "]":
            if open_at is None:
                raise MarkupError(f"{_where(markup, i)}: ']' closes no span (write \\] for a literal bracket)")
            m = _LABEL.match(markup, i + 1)
            if not m:
                raise MarkupError(
                    f"{_where(markup, i)}: span opened at {_where(markup, open_at)} must end in ](LABEL)"
                )
            label = m.group(1)
            if label not in scheme.names:
                raise MarkupError(
                    f"{_where(markup, i)}: unknown label {label!r}; the scheme has {', '.join(scheme.names)}"
                )
            if length == span_start:
                raise MarkupError(f"{_where(markup, open_at)}: empty span")
            spans.append(Span(span_start, length, label))
            open_at = None
            i = m.end()
        else:
            out.append(ch)
            length += 1
            i += 1
    if open_at is not None:
        raise MarkupError(f"{_where(markup, open_at)}: '[' is never closed (write \\[ for a literal bracket)")
    return "".join(out), spans


def render_markup(text: str, spans: list[Span]) -> str:
    """(text, non-overlapping spans) -> markup; the inverse of :func:`parse_markup`."""
    parts: list[str] = []
    pos = 0
    for span in sorted(spans):
        if span.start < pos:
            raise MarkupError(f"span {span.start}-{span.end} {span.label} overlaps the span before it")
        parts.append(escape(text[pos : span.start]))
        parts.append(f"[{escape(text[span.start:span.end])}]({span.label})")
        pos = span.end
    parts.append(escape(text[pos:]))
    return "".join(parts)


def parse_markup_document(source: str, name: str = "<markup>", scheme: LabelScheme = SCHEME) -> Document:
    """A markup file's content -> Document. Errors name the file and position."""
    if not source.startswith(FRONT_MATTER):
        raise MarkupError(f"{name}: must start with a '---' front matter line holding at least 'id:'")
    end = source.find("\n" + FRONT_MATTER, len(FRONT_MATTER) - 1)
    if end < 0:
        raise MarkupError(f"{name}: front matter is not closed by a '---' line")
    header = source[len(FRONT_MATTER) : end + 1]
    body = source[end + 1 + len(FRONT_MATTER) :]
    try:
        meta = yaml.safe_load(header) or {}
        # The id as written: YAML would turn 007 into 7, 0x1A into 26, 12:30 into 750 and yes into True.
        raw = yaml.load(header, Loader=yaml.BaseLoader) or {}
    except yaml.YAMLError as exc:
        raise MarkupError(f"{name}: front matter is not valid YAML: {exc}".replace("\n", " ")) from None
    if not isinstance(meta, dict) or not isinstance(raw, dict) or not raw.get("id"):
        raise MarkupError(f"{name}: front matter needs an 'id:'")
    if not isinstance(raw["id"], str):
        raise MarkupError(f"{name}: front matter 'id' must be a single value, not {type(meta['id']).__name__}")
    meta.pop("id")
    doc_id = raw["id"]
    try:
        text, spans = parse_markup(body, scheme)
    except MarkupError as exc:
        # Positions in the body are reported as file lines.
        raise MarkupError(f"{name}: {_shift_lines(str(exc), header.count(chr(10)) + 2)}") from None
    event_types = event_types_from_spans(spans, scheme.trigger_labels, scheme.none_choice)
    return Document(id=doc_id, text=text, spans=spans, event_types=event_types, meta=meta)


def _shift_lines(message: str, offset: int) -> str:
    return re.sub(r"line (\d+)", lambda m: f"line {int(m.group(1)) + offset}", message)


def render_markup_document(doc: Document) -> str:
    header = yaml.safe_dump({"id": doc.id, **doc.meta}, sort_keys=False, allow_unicode=True)
    return FRONT_MATTER + header + FRONT_MATTER + render_markup(doc.text, doc.spans)


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def markup_file_name(doc_id: str) -> str:
    """A file name for a task's markup that stays inside its folder whatever the id holds.

    Ids that are already plain names keep them; any other id (``../x``, ``a/b``, spaces, non-ASCII)
    is cleaned and gets a short hash of the id, so two different ids never share a file. The id
    itself lives in the front matter, so nothing is lost.
    """
    import hashlib

    stem = _UNSAFE.sub("_", doc_id).strip("._")[:120]
    if stem != doc_id or not stem:
        stem = f"{stem or 'task'}-{hashlib.sha1(doc_id.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
    return stem + ".txt"


def read_markup_file(path: Path, scheme: LabelScheme = SCHEME) -> Document:
    try:
        source = Path(path).read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MarkupError(f"{path}: not UTF-8 (byte {exc.start})") from None
    return parse_markup_document(source, str(path), scheme)
