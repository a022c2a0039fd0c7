"""`python -m sitrep studio setup|push|pull`: the annotation loop against a Label Studio server.

The server and key come from ``LABEL_STUDIO_URL`` and ``LABEL_STUDIO_API_KEY``
(a personal access token or a legacy token; label-studio-sdk 2.x handles both).
The key is never printed, logged or written: every message that leaves this
module passes through :func:`_scrub`.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sitrep.labelstudio import document_to_prediction_task, parse_export
from sitrep.scheme import SCHEME, LabelScheme
from sitrep.validate import check_document, check_unique_ids


class StudioError(RuntimeError):
    """One line for the user; never contains the API key."""


@dataclass
class Connection:
    url: str
    key: str

    @classmethod
    def from_env(cls) -> "Connection":
        url = os.environ.get("LABEL_STUDIO_URL", "").rstrip("/")
        key = os.environ.get("LABEL_STUDIO_API_KEY", "")
        if not url:
            raise StudioError("LABEL_STUDIO_URL is not set; point it at your Label Studio, e.g. http://localhost:8080")
        if not key:
            raise StudioError(
                "LABEL_STUDIO_API_KEY is not set; copy a personal access token (or a legacy token) from "
                "Label Studio's Account & Settings page")
        return cls(url, key)

    def client(self):
        from label_studio_sdk import LabelStudio

        return LabelStudio(base_url=self.url, api_key=self.key, timeout=60)


def _scrub(text: str, key: str) -> str:
    if key:
        text = text.replace(key, "***")
    return re.sub(r"(Token|Bearer)\s+[A-Za-z0-9._\-]+", r"\1 ***", text)


def _explain(exc: Exception, conn: Connection) -> StudioError:
    """Any failure of a call to the server, as one line that names the URL and what to do."""
    status = getattr(exc, "status_code", None)
    text = f"{type(exc).__name__}: {exc}"
    if status == 401 or "401" in text[:200]:
        msg = (f"Label Studio at {conn.url} refused the API key (401 Unauthorized); set LABEL_STUDIO_API_KEY to a "
               "personal access token or legacy token from Account & Settings (legacy tokens must be enabled "
               "in the organisation settings)")
    elif status is not None:
        msg = f"Label Studio at {conn.url} answered {status}: {str(getattr(exc, 'body', ''))[:300]}"
    elif any(s in text for s in ("ConnectError", "Connection refused", "ConnectionRefused", "ConnectTimeout",
                                 "RemoteProtocolError", "ReadError", "Name or service not known")):
        msg = f"cannot reach Label Studio at {conn.url} (is it running? check LABEL_STUDIO_URL)"
    else:
        msg = f"Label Studio at {conn.url}: {text}"
    return StudioError(_scrub(msg.replace("\n", " "), conn.key))


def _call(conn: Connection, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except StudioError:
        raise
    except Exception as exc:  # noqa: BLE001 - the SDK raises httpx and ApiError types; all become one line
        raise _explain(exc, conn) from None


def find_project(client, conn: Connection, title: str):
    for project in _call(conn, lambda: list(client.projects.list())):
        if project.title == title:
            return project
    return None


def require_project(client, conn: Connection, title: str):
    project = find_project(client, conn, title)
    if project is None:
        raise StudioError(f"no project named {title!r} at {conn.url}; run `python -m sitrep studio setup --project {title}`")
    return project


def _normalise_xml(xml: str) -> str:
    return re.sub(r"\s+", " ", xml or "").replace("> <", "><").strip()


def setup(conn: Connection, title: str, scheme: LabelScheme = SCHEME) -> str:
    """Create or update the project so its labeling config is the scheme's. Idempotent."""
    client = conn.client()
    xml = scheme.labelstudio_xml()
    project = find_project(client, conn, title)
    if project is None:
        project = _call(conn, client.projects.create, title=title, label_config=xml,
                        description="Conflict-news spans and event types (sitrep label scheme)")
        return f"created project {title!r} (id {project.id}) at {conn.url}"
    current = _call(conn, client.projects.get, id=project.id)
    if _normalise_xml(current.label_config) == _normalise_xml(xml):
        return f"project {title!r} (id {project.id}) is up to date; nothing changed"
    _call(conn, client.projects.update, id=project.id, label_config=xml)
    return f"updated the labeling config of project {title!r} (id {project.id})"


def _existing_doc_ids(client, conn: Connection, project_id: int) -> set[str]:
    ids = set()
    for task in _call(conn, lambda: list(client.tasks.list(project=project_id, page_size=500))):
        meta = getattr(task, "meta", None) or {}
        ids.add(str(meta.get("doc_id", task.id)))
    return ids


def push(conn: Connection, title: str, input_spec: str, checkpoint: str | None = None,
         classifier: str | None = None, max_chars: int = 2_000_000, precision: str = "auto",
         scheme: LabelScheme = SCHEME) -> str:
    """Import raw articles as tasks; with a checkpoint, attach predictions and put the least confident first."""
    from sitrep.articles import read_items

    client = conn.client()
    project = require_project(client, conn, title)
    existing = _existing_doc_ids(client, conn, project.id)
    items = list(read_items(input_spec, max_chars))
    bad = [it for it in items if it.error]
    fresh = [it for it in items if not it.error and it.id not in existing]
    skipped = len(items) - len(bad) - len(fresh)
    # The input's own meta (provenance, source, licence...) travels as it is: a pushed .txt file has no
    # known licence, so calling it "real" here would make its pulled annotation fail validation.
    tasks = [{"data": {"text": it.text}, "meta": {**it.meta, "doc_id": it.id}} for it in fresh]
    if checkpoint and fresh:
        tasks = _with_predictions(tasks, checkpoint, classifier, precision, scheme)
        tasks.sort(key=lambda t: t["predictions"][0].get("score", 1.0))  # least confident first
    if tasks:
        _call(conn, client.projects.import_tasks, id=project.id, request=tasks)
    lines = [f"imported {len(tasks)} task(s) into {title!r}"
             + (" with predictions, least confident first" if checkpoint and tasks else "")
             + f"; skipped {skipped} already in the project"]
    lines += [f"skipped {it.id}: {it.error}" for it in bad]
    return "\n".join(lines)


def _with_predictions(tasks: list[dict], checkpoint: str, classifier: str | None, precision: str,
                      scheme: LabelScheme) -> list[dict]:
    """Pre-annotations an annotator can accept as they are (see document_to_prediction_task)."""
    from sitrep.document import Document
    from sitrep.runtime.pipeline import ConflictModel

    texts = [t["data"]["text"] for t in tasks]
    model = ConflictModel.load(checkpoint, classifier, scheme, precision=precision)
    version = Path(checkpoint).resolve().name
    out = []
    for task, text, a in zip(tasks, texts, model.analyse(texts)):
        doc = Document(task["meta"]["doc_id"], text, a.spans, [], {k: v for k, v in task["meta"].items() if k != "doc_id"})
        # Overall confidence: the least sure span decides what an annotator should look at first.
        score = min((x.score for x in a.spans), default=1.0)
        out.append(document_to_prediction_task(doc, version, score, scheme, a.suggested_types))
    return out


def _export(client, conn: Connection, project_id: int) -> list:
    chunks = _call(conn, lambda: b"".join(client.projects.exports.download_sync(
        id=project_id, export_type="JSON", download_all_tasks=False)))
    try:
        return json.loads(chunks)
    except json.JSONDecodeError as exc:
        raise StudioError(f"the export from {conn.url} is not JSON ({exc.msg})") from None


def _slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", title).strip("-").lower() or "project"


def _per_label(docs) -> Counter:
    return Counter(s.label for d in docs for s in d.spans)


def pull(conn: Connection, title: str, out_dir: str | Path, scheme: LabelScheme = SCHEME, partial: bool = False) -> str:
    """Export annotations, validate them like `sitrep validate`, write them only when they pass.

    With ``partial``, the tasks that pass are written and the others are listed; without it, one bad
    task writes nothing. Problems name the document id and the Label Studio task id the UI shows.
    """
    from sitrep.labelstudio import task_doc_id

    client = conn.client()
    project = require_project(client, conn, title)
    tasks = _export(client, conn, project.id)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out_dir = Path(out_dir)
    target = out_dir / f"{_slug(title)}-{stamp}.json"
    source = f"{title} export"
    report = parse_export(tasks, source, scheme)
    problems = list(report.problems)
    for doc in report.documents:
        problems += check_document(doc, source, scheme)
    problems += check_unique_ids(report.documents, source)
    ls_ids = {task_doc_id(t, i): t.get("id") for i, t in enumerate(tasks) if isinstance(t, dict)} if isinstance(tasks, list) else {}

    def named(problem) -> str:
        text = str(problem)
        if problem.task in ls_ids:
            text = text.replace(f"task {problem.task}", f"task {problem.task} (Label Studio task {ls_ids[problem.task]})", 1)
        return f"error: {text}"

    bad_ids = {p.task for p in problems}
    if problems and (not partial or None in bad_ids):
        shown = "\n".join(named(p) for p in problems[:50])
        hint = "" if partial else "; `pull --partial` writes the tasks that pass and lists the rest"
        raise StudioError(f"{len(problems)} problem(s) in the export of {title!r}; nothing written to {out_dir}/{hint}\n{shown}")
    skipped_lines = [named(p) for p in problems]
    if bad_ids:
        tasks = [t for i, t in enumerate(tasks) if task_doc_id(t, i) not in bad_ids]
        report.documents = [d for d in report.documents if d.id not in bad_ids]
    previous = sorted(out_dir.glob(f"{_slug(title)}-*.json"), key=lambda p: p.stat().st_mtime)
    before = (parse_export(json.loads(previous[-1].read_text(encoding="utf-8")), str(previous[-1]), scheme).documents
              if previous else None)
    n = 1
    while target.exists():  # two pulls in one second
        n += 1
        target = out_dir / f"{_slug(title)}-{stamp}-{n}.json"
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(tasks, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(target)
    counts = _per_label(report.documents)
    lines = [f"wrote {len(report.documents)} annotated task(s) to {target}"]
    if bad_ids:
        lines.append(f"left out {len(bad_ids)} task(s) with problems (fix them in Label Studio and pull again):")
        lines += skipped_lines
    lines += [f"note: {n}" for n in report.notes]
    lines.append("spans per label: " + ", ".join(f"{label} {counts.get(label, 0)}" for label in scheme.names))
    if before is not None:
        lines.append(_changes(before, report.documents, previous[-1].name, scheme))
    else:
        lines.append("first pull of this project")
    return "\n".join(lines)


def _changes(before, after, name: str, scheme: LabelScheme) -> str:
    b_ids, a_ids = {d.id for d in before}, {d.id for d in after}
    b_spans = {d.id: {(s.start, s.end, s.label) for s in d.spans} for d in before}
    changed = sum(1 for d in after if d.id in b_ids and {(s.start, s.end, s.label) for s in d.spans} != b_spans[d.id])
    delta = _per_label(after) - _per_label(before)
    lost = _per_label(before) - _per_label(after)
    parts = [f"since {name}: {len(a_ids - b_ids)} new task(s), {len(b_ids - a_ids)} gone, {changed} re-annotated"]
    if delta or lost:
        parts.append("spans " + ", ".join([f"{l} +{n}" for l, n in delta.items()] + [f"{l} -{n}" for l, n in lost.items()]))
    return "; ".join(parts)
