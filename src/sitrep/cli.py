"""`python -m sitrep SUBCOMMAND`: the commands that are not Hydra apps.

Every command meets bad input with one line per problem naming the file, task
and span at fault, and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sitrep.consistency import REASONS_FILE, finding_key, label_disagreements, load_accepted, unmarked_repeats
from sitrep.annotated import MARKUP_SUFFIXES, AnnotationError, expand_paths, load_annotated, load_file
from sitrep.labelstudio import write_export
from sitrep.markup import markup_file_name, render_markup_document
from sitrep.scheme import SCHEME
from sitrep.sources import provenance_problems
from sitrep.validate import Problem
from sitrep.stats import corpus_stats, format_stats


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_validate(args: argparse.Namespace) -> int:
    paths = expand_paths(args.files)
    if not paths:
        return _fail("no annotated files found in " + " ".join(args.files))
    n_problems = n_docs = 0
    first_file: dict[str, Path] = {}
    for path in paths:
        loaded = load_file(path, SCHEME)
        # An id must be unique across every file given, as training requires.
        for doc in loaded.documents:
            if doc.id in first_file and first_file[doc.id] != path:
                loaded.problems.append(Problem(str(path), doc.id, f"duplicate task id: also in {first_file[doc.id]}"))
            first_file.setdefault(doc.id, path)
        # Real documents must say where they come from and under which licence (sitrep.sources).
        loaded.problems += [Problem(str(path), doc.id, message)
                            for doc in loaded.documents for message in provenance_problems(doc.meta)]
        for note in loaded.notes:
            print(f"note: {note}")
        for problem in loaded.problems:
            print(f"error: {problem}")
        n_problems += len(loaded.problems)
        n_docs += len(loaded.documents)
    verdict = "ok" if not n_problems else f"{n_problems} problem(s)"
    if args.consistency:
        docs = [d for path in paths for d in load_file(path, SCHEME).documents]
        findings = [*(u for d in docs for u in unmarked_repeats(d)), *label_disagreements(docs)]
        accepted = load_accepted(args.accepted)
        new = [f for f in findings if finding_key(f) not in accepted]
        for finding in new:
            print(f"review: {finding}")
        kept = len(findings) - len(new)
        verdict += (f", {len(findings)} consistency finding(s): {kept} reviewed and kept (reasons in {args.accepted}), "
                    f"{len(new)} to resolve or justify")
    print(f"{verdict}: {len(paths)} file(s), {n_docs} task(s)", file=sys.stderr)
    return 1 if n_problems else 0


def cmd_stats(args: argparse.Namespace) -> int:
    try:
        docs = load_annotated(args.files)
    except AnnotationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not docs:
        return _fail("no annotated tasks found in " + " ".join(args.files))
    stats = corpus_stats(docs)
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    paths = expand_paths(args.inputs)
    if not paths:
        return _fail("no input files found in " + " ".join(args.inputs))
    to = args.to or ("labelstudio" if all(p.suffix in MARKUP_SUFFIXES for p in paths) else "markup")
    try:
        docs = load_annotated(paths)
    except AnnotationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("nothing written", file=sys.stderr)
        return 1
    out = Path(args.output)
    if to == "labelstudio":
        if out.suffix != ".json":
            return _fail(f"{out}: a Label Studio export is one .json file")
        write_export(docs, out)
        print(f"wrote {len(docs)} task(s) to {out}", file=sys.stderr)
    else:
        if out.suffix:
            return _fail(f"{out}: markup is written as one .txt file per task into a folder")
        out.mkdir(parents=True, exist_ok=True)
        for doc in docs:
            (out / markup_file_name(doc.id)).write_text(render_markup_document(doc), encoding="utf-8")
        print(f"wrote {len(docs)} markup file(s) to {out}/", file=sys.stderr)
    return 0


def cmd_labelconfig(args: argparse.Namespace) -> int:
    sys.stdout.write(SCHEME.markdown_table() if args.docs else SCHEME.labelstudio_xml())
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from sitrep.checkpoint import CheckpointError
    from sitrep.evaluate import EvaluateError, evaluate
    from sitrep.report_render import summary_text

    if not (args.checkpoint or args.classifier or args.predictions):
        return _fail("evaluate needs --checkpoint DIR or --predictions FILE (see python -m sitrep evaluate --help)")
    try:
        report_dir = evaluate(args.data, args.output, args.checkpoint, args.classifier, args.predictions,
                              args.precision, args.events).parent
    except (EvaluateError, CheckpointError, AnnotationError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(summary_text(report_dir))
    print(f"wrote {report_dir}/report.json, report.md, report.html", file=sys.stderr)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from sitrep.evaluate import EvaluateError, compare

    try:
        print(compare(args.before, args.after, args.output))
    except EvaluateError as exc:
        return _fail(str(exc))
    return 0


def cmd_studio(args: argparse.Namespace) -> int:
    from sitrep import studio

    try:
        conn = studio.Connection.from_env()
        if args.action == "setup":
            message = studio.setup(conn, args.project)
        elif args.action == "push":
            message = studio.push(conn, args.project, args.input, args.checkpoint, args.classifier,
                                  precision=args.precision)
        else:
            message = studio.pull(conn, args.project, args.output, partial=args.partial)
    except studio.StudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (FileNotFoundError, ValueError) as exc:
        return _fail(str(exc))
    print(message)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m sitrep",
        description="Conflict-news annotation tools. Training and tagging are `python -m train` and `python -m infer`.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    p = sub.add_parser("validate", help="check Label Studio exports or markup files against the label scheme",
                       description="Check annotated files; print one line per problem; exit 1 if any. Writes nothing.")
    p.add_argument("files", nargs="+", help="export .json files, markup .txt files, or folders of them")
    p.add_argument("--consistency", action="store_true",
                   help="also list strings annotated in one place but bare in another of the same article, "
                        "and strings labelled differently across articles (findings, not errors)")
    p.add_argument("--accepted", default=REASONS_FILE, metavar="FILE",
                   help=f"findings reviewed and kept, with their reasons; they are not shown again (default {REASONS_FILE})")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("stats", help="spans per label, articles, tokens and event types of annotated files",
                       description="Corpus statistics of annotated files (they must validate).")
    p.add_argument("files", nargs="+", help="export .json files, markup .txt files, or folders of them")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("convert", help="inline markup <-> Label Studio JSON export",
                       description="Markup files -> one Label Studio export (.json), or an export -> one markup "
                                   "file per task in a folder. Inputs must validate; nothing is written otherwise.")
    p.add_argument("inputs", nargs="+", help="markup .txt files / folders, or export .json files")
    p.add_argument("-o", "--output", required=True, help="an export .json file, or a folder for markup files")
    p.add_argument("--to", choices=["labelstudio", "markup"], help="direction (default: from the inputs)")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("labelconfig", help="print the Label Studio labeling config derived from the label scheme",
                       description="Print the labeling config XML (or, with --docs, the label table of the docs).")
    p.add_argument("--docs", action="store_true", help="print the Markdown label table instead")
    p.set_defaults(func=cmd_labelconfig)

    p = sub.add_parser("evaluate", help="score a checkpoint or predictions against gold; write report.json/md/html",
                       description="Score a checkpoint (run on the gold texts, as `python -m infer` would) or a "
                                   "predictions.jsonl against gold annotations; write report.json, report.md and "
                                   "report.html into --output.")
    p.add_argument("--data", nargs="+", required=True, metavar="PATH",
                   help="gold: Label Studio exports, markup files or folders of them")
    p.add_argument("--output", required=True, metavar="DIR", help="folder for the report files")
    p.add_argument("--checkpoint", metavar="DIR", help="a tagger checkpoint folder (spans and event types)")
    p.add_argument("--predictions", metavar="FILE", help="a predictions.jsonl from python -m infer, instead of a checkpoint")
    p.add_argument("--classifier", metavar="DIR", help="deprecated: a separate event-type classifier folder")
    p.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto", help="with --checkpoint (default auto)")
    p.add_argument("--events", metavar="PATH",
                   help="gold event records (a .jsonl file or a folder of them, the columns of events.csv): score "
                        "the predicted events, matched one to one, field by field")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("compare", help="per-label difference of two evaluation reports",
                       description="Print and write (compare.md, compare.json) per-label F1 of report A against B.")
    p.add_argument("before", help="report.json, or a folder holding one")
    p.add_argument("after", help="report.json, or a folder holding one")
    p.add_argument("-o", "--output", help="folder for compare.md/json (default: beside the second report)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("studio", help="Label Studio loop: set up a project, push articles (with predictions), pull annotations",
                       description="Talks to LABEL_STUDIO_URL with LABEL_STUDIO_API_KEY (the key is never printed).")
    studio_sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    q = studio_sub.add_parser("setup", help="create the project, or update its labeling config (idempotent)")
    q.add_argument("--project", default="sitrep", help="project title (default sitrep)")
    q = studio_sub.add_parser("push", help="import articles as tasks, with pre-annotations when a checkpoint is given",
                              description="Import articles (the inputs of python -m infer) as tasks; with --checkpoint, "
                                          "attach pre-annotations and put the least confident first. Event types are "
                                          "pre-ticked exactly as the predicted triggers imply, so a task accepted "
                                          "unchanged passes pull; other types the model sees are in the task data "
                                          "as suggested_event_types.")
    q.add_argument("--project", default="sitrep", help="project title (default sitrep)")
    q.add_argument("--input", required=True, help=".txt file, folder, glob, JSONL or JSON")
    q.add_argument("--checkpoint", metavar="DIR", help="tagger checkpoint for pre-annotations")
    q.add_argument("--classifier", metavar="DIR", help="deprecated: a separate event-type classifier folder")
    q.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto")
    q = studio_sub.add_parser("pull", help="export, validate and save the annotations",
                              description="Export the project's annotations, validate them like `sitrep validate` and "
                                          "write them to OUTPUT/<project>-<UTC time>.json. A task with several annotations uses the latest updated one "
                                          "that is not cancelled.")
    q.add_argument("--project", default="sitrep", help="project title (default sitrep)")
    q.add_argument("--output", default="data/pulled", metavar="DIR",
                   help="folder for pulled exports (default data/pulled, which make data leaves alone)")
    q.add_argument("--partial", action="store_true",
                   help="write the tasks that pass and list the others, instead of writing nothing")
    p.set_defaults(func=cmd_studio)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
