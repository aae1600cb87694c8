"""`python -m autograder release | grade | report | demo` (see README)."""
from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    rel = sub.add_parser("release", help="regenerate notebooks/ and data/expected/ from solutions/")
    rel.add_argument("--assignment", action="append", help="only this assignment (repeatable); default all")
    args = parser.parse_args(argv)
    if args.command == "release":
        from .release import release
        for path in release(only=args.assignment):
            print("wrote", path)
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
