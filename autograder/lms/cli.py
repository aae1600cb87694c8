"""`python -m autograder lms passback | export | key`: the course's scores to its LMS (README, "From an LMS")."""
from __future__ import annotations

import argparse
import grp
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="lms_command", required=True)
    passback = sub.add_parser("passback", help="post the course gradebook's scores to the LMS (LTI Assignment and "
                                               "Grade Services): what changed since the last pass, and what waits")
    passback.add_argument("--course", type=Path, default=Path.cwd(),
                          help="the nbgrader course folder (default: the current folder)")
    passback.add_argument("--every", action="store_true",
                          help="a pass every GradePassback.every_seconds until stopped (the hub runs it so)")
    key = sub.add_parser("key", help="make the tool's RSA key (once; kept if the file exists) and print its public "
                                     "key set, as the hub serves it at /hub/lti13/jwks")
    key.add_argument("path", type=Path, help="the key's PEM file (LTITool.tool_key_file)")
    key.add_argument("--group", help="the group that may read it besides its owner (the instructor's: the "
                                     "passback signs with it)")
    export = sub.add_parser("export", help="a gradebook import file for Canvas or Moodle from a grades.csv "
                                           "(where the course has no LTI link)")
    export.add_argument("--grades", type=Path, required=True,
                        help="OUT/grades.csv of `grade`, or the grades.csv of `nbgrader export`")
    export.add_argument("--to", choices=("canvas", "moodle"), required=True)
    export.add_argument("--out", type=Path, required=True, help="the CSV file to write")
    export.add_argument("--course", type=Path, default=Path.cwd(),
                        help="the course folder whose nbgrader_config.py may set LMSExport (default: here)")


def main(args: argparse.Namespace) -> int:
    # each command imports what it needs when it runs, as __main__ does: `python -m autograder` starts quickly
    if args.lms_command == "key":
        from .keys import ensure_key, key_set
        path = ensure_key(args.path, grp.getgrnam(args.group).gr_gid if args.group else -1)
        print(json.dumps(key_set(path.read_text()), indent=1))
        return 0
    from ..authoring.course import load_course
    course = load_course(args.course.resolve())
    if args.lms_command == "export":
        from .export import FORMATS, LMSExport, read_grades
        args.out.write_text(FORMATS[args.to](read_grades(args.grades), LMSExport(config=course.config)))
        print(f"wrote {args.out} ({args.to} gradebook import, from {args.grades})")
        return 0
    return passback(course, args.every)


def passback(course: Any, every: bool) -> int:
    from ..service.cli import home_of
    from .passback import Passback
    from .settings import GradePassback, LTITool
    tool, settings = LTITool(config=course.config), GradePassback(config=course.config)
    missing = tool.missing("passback")
    if missing:
        print(f"lms passback: this course has no complete LTI registration (missing: {', '.join(missing)}). "
              "The hub's administrator writes it once (README, 'From an LMS: LTI 1.3'); without an LTI link, "
              "use `python -m autograder lms export` and the LMS's gradebook import.", file=sys.stderr)
        return 2
    # the records exist once someone launched; the key always (`lms key`, or the hub, makes it)
    unreadable = [p for p in (tool.records, tool.tool_key_file)
                  if (Path(p).exists() or p == tool.tool_key_file) and not os.access(p, os.R_OK)]
    if unreadable:
        print(f"lms passback: cannot read {', '.join(unreadable)} as this user (missing, or not the instructor's "
              "group's: run the passback as the instructor; `lms key` makes the tool's key)", file=sys.stderr)
        return 2
    pb = Passback(course.db_url, course.course_id, home_of(course.db_url, course.root), tool, settings)
    if not every:
        print(pb.run().text(time.time()), end="")
        return 0
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, frame: stop.set())
    last = ""
    while not stop.is_set():
        try:
            report = pb.run()
            line = (f"posted {len(report.posted)}, waiting {len(report.waiting)}, not known to the LMS "
                    f"{len(report.unknown)}, no grade service {len(report.no_service)}")
        except Exception as err:   # the gradebook or records unreadable for now: said, tried next pass
            line = f"pass failed: {type(err).__name__}: {err}"
        if line != last or "posted 0," not in line:
            print(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), line, flush=True)
            last = line
        stop.wait(settings.every_seconds)
    return 0
