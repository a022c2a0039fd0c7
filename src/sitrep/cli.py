"""`python -m sitrep SUBCOMMAND`: the commands that are not Hydra apps.

Every command meets bad input with one line per problem naming the file, task
and span at fault, and a non-zero exit code.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sitrep.consistency import label_disagreements, unmarked_repeats
from sitrep.annotated import MARKUP_SUFFIXES, AnnotationError, expand_paths, load_annotated, load_file
from sitrep.labelstudio import write_export
from sitrep.markup import render_markup_document
from sitrep.scheme import SCHEME
from sitrep.stats import corpus_stats, format_stats


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def cmd_validate(args: argparse.Namespace) -> int:
    paths = expand_paths(args.files)
    if not paths:
        return _fail("no annotated files found in " + " ".join(args.files))
    n_problems = n_docs = 0
    for path in paths:
        loaded = load_file(path, SCHEME)
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
        for finding in findings:
            print(f"review: {finding}")
        verdict += f", {len(findings)} consistency finding(s) to resolve or justify"
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
            (out / f"{doc.id}.txt").write_text(render_markup_document(doc), encoding="utf-8")
        print(f"wrote {len(docs)} markup file(s) to {out}/", file=sys.stderr)
    return 0


def cmd_labelconfig(args: argparse.Namespace) -> int:
    sys.stdout.write(SCHEME.markdown_table() if args.docs else SCHEME.labelstudio_xml())
    return 0


def _key_values(pairs: list[str], allowed: set[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key not in allowed:
            raise SystemExit(f"error: expected KEY=VALUE with KEY one of {', '.join(sorted(allowed))}, got {pair!r}")
        out[key] = value
    return out


def cmd_evaluate(args: argparse.Namespace) -> int:
    from sitrep.evaluate import EvaluateError, evaluate
    from sitrep.checkpoint import CheckpointError

    opts = _key_values(args.options, {"checkpoint", "classifier", "predictions", "data", "output", "precision"})
    if "data" not in opts or "output" not in opts:
        return _fail("evaluate needs data=FILE and output=DIR (and checkpoint=DIR or predictions=FILE)")
    try:
        page = evaluate(opts["data"].split(","), opts["output"], opts.get("checkpoint"), opts.get("classifier"),
                        opts.get("predictions"), opts.get("precision", "auto"))
    except (EvaluateError, CheckpointError, AnnotationError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(Path(page).with_name("report.md").read_text(encoding="utf-8").split("## Errors per article")[0])
    print(f"wrote {page.parent}/report.json, report.md, report.html", file=sys.stderr)
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

    allowed = {"setup": {"project"}, "push": {"project", "input", "checkpoint", "classifier", "precision"},
               "pull": {"project", "output"}}[args.action]
    opts = _key_values(args.options, allowed)
    title = opts.get("project", "sitrep")
    try:
        conn = studio.Connection.from_env()
        if args.action == "setup":
            message = studio.setup(conn, title)
        elif args.action == "push":
            if "input" not in opts:
                return _fail("studio push needs input=PATH (.txt file, folder, glob or JSONL)")
            message = studio.push(conn, title, opts["input"], opts.get("checkpoint"), opts.get("classifier"),
                                  precision=opts.get("precision", "auto"))
        else:
            message = studio.pull(conn, title, opts.get("output", "data/annotated"))
    except studio.StudioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except FileNotFoundError as exc:
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

    p = sub.add_parser("evaluate", help="score predictions against a Label Studio export; write report.json/md/html",
                       description="python -m sitrep evaluate checkpoint=DIR [classifier=DIR] data=FILE output=DIR, "
                                   "or predictions=FILE (a predictions.jsonl) in place of the checkpoints. data takes "
                                   "exports, markup folders, or several of them separated by commas.")
    p.add_argument("options", nargs="+", metavar="KEY=VALUE",
                   help="checkpoint, classifier, predictions, data, output, precision (auto|bf16|fp32)")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("compare", help="per-label difference of two evaluation reports",
                       description="Print and write (compare.md, compare.json) per-label F1 of report A against B.")
    p.add_argument("before", help="report.json, or a folder holding one")
    p.add_argument("after", help="report.json, or a folder holding one")
    p.add_argument("-o", "--output", help="folder for compare.md/json (default: beside the second report)")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("studio", help="Label Studio loop: setup a project, push articles (with predictions), pull annotations",
                       description="Talks to LABEL_STUDIO_URL with LABEL_STUDIO_API_KEY. setup [project=NAME]: create or "
                                   "update the project's labeling config. push input=PATH [checkpoint=DIR] "
                                   "[classifier=DIR]: import articles, with pre-annotations and least confident first "
                                   "when a checkpoint is given. pull [output=data/annotated]: export, validate, write "
                                   "<project>-<UTC time>.json. A task with several annotations uses the latest "
                                   "updated one that is not cancelled.")
    p.add_argument("action", choices=["setup", "push", "pull"])
    p.add_argument("options", nargs="*", metavar="KEY=VALUE", help="project (default sitrep), input, checkpoint, classifier, output")
    p.set_defaults(func=cmd_studio)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
