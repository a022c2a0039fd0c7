"""`python -m sitrep SUBCOMMAND`: the commands that are not Hydra apps."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sitrep.annotated import expand_paths, load_file
from sitrep.scheme import SCHEME


def cmd_validate(args: argparse.Namespace) -> int:
    paths = expand_paths(args.files)
    if not paths:
        print("error: no annotated files found in " + " ".join(args.files), file=sys.stderr)
        return 2
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
    print(f"{verdict}: {len(paths)} file(s), {n_docs} task(s)", file=sys.stderr)
    return 1 if n_problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sitrep", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="SUBCOMMAND")

    p = sub.add_parser("validate", help="check Label Studio exports or markup files against the label scheme")
    p.add_argument("files", nargs="+", help="export .json files, markup .txt files, or folders of them")
    p.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
