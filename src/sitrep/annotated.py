"""Reading annotated files of either form (Label Studio export or markup) into documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sitrep.document import Document
from sitrep.labelstudio import read_export
from sitrep.markup import MarkupError, read_markup_file
from sitrep.scheme import SCHEME, LabelScheme
from sitrep.validate import Problem, check_document, check_unique_ids

MARKUP_SUFFIXES = (".txt", ".md")


@dataclass
class Loaded:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class AnnotationError(ValueError):
    """Raised when annotated data has problems; the message lists them, one per line."""


def load_file(path: Path, scheme: LabelScheme = SCHEME) -> Loaded:
    """One file -> its documents plus every problem found, nothing raised."""
    path = Path(path)
    loaded = Loaded()
    if path.suffix in MARKUP_SUFFIXES:
        try:
            doc = read_markup_file(path, scheme)
        except MarkupError as exc:
            loaded.problems.append(Problem(str(path), None, str(exc).removeprefix(f"{path}: ")))
            return loaded
        except OSError as exc:
            loaded.problems.append(Problem(str(path), None, f"cannot read: {exc.strerror}"))
            return loaded
        loaded.documents.append(doc)
    else:
        report = read_export(path, scheme)
        loaded.documents += report.documents
        loaded.problems += report.problems
        loaded.notes += report.notes
    for doc in loaded.documents:
        loaded.problems += check_document(doc, str(path), scheme)
    loaded.problems += check_unique_ids(loaded.documents, str(path))
    return loaded


def expand_paths(paths: list[str | Path]) -> list[Path]:
    """Files as given; folders expand to the annotated files inside them, sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and q.suffix in (".json", *MARKUP_SUFFIXES))
        else:
            out.append(p)
    return out


def load_annotated(paths: list[str | Path], scheme: LabelScheme = SCHEME) -> list[Document]:
    """Documents of all files, or AnnotationError listing every problem.

    Training goes through here, so corrupt annotations stop a run instead of
    quietly turning into wrong labels.
    """
    docs: list[Document] = []
    problems: list[Problem] = []
    for path in expand_paths(paths):
        loaded = load_file(path, scheme)
        docs += loaded.documents
        problems += loaded.problems
    problems += check_unique_ids(docs, "all files")
    if problems:
        shown = "\n".join(map(str, problems[:50]))
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        raise AnnotationError(f"{len(problems)} annotation problem(s); run `python -m sitrep validate`:\n{shown}{more}")
    return docs
