"""`python -m autograder lms passback | export | key`: the course's scores to its LMS (README, "From an LMS")."""
from __future__ import annotations

import grp
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Optional

from traitlets import Bool, Enum, Unicode

from ..authoring.course import Course
from ..launcher import PROG, Command, UsageError
from ..service.settings import home_of
from .export import FORMATS, LMSExport, read_grades
from .keys import ensure_key, key_set
from .passback import Passback
from .settings import GradePassback, LTITool


class KeyApp(Command):
    """Make the tool's RSA key (once; kept if the file exists) and print its public key set, as the hub serves it
    at /hub/lti13/jwks: `python -m autograder lms key PATH [--group GROUP]`, PATH the key's PEM file
    (LTITool.tool_key_file)."""
    name = f"{PROG} lms key"
    group = Unicode("", help="the group that may read the key besides its owner (the instructor's: the passback "
                             "signs with it)").tag(config=True)
    aliases = {"group": "KeyApp.group"}
    positionals = ("PATH",)

    def start(self) -> int:
        path = self.positional(0)
        if not path:
            raise UsageError(self, "needs PATH, the key's PEM file")
        made = ensure_key(Path(path), grp.getgrnam(self.group).gr_gid if self.group else -1)
        print(json.dumps(key_set(made.read_text()), indent=1))
        return 0


class ExportApp(Command):
    """A gradebook import file for Canvas or Moodle from a grades.csv (where the course has no LTI link)."""
    name = f"{PROG} lms export"
    grades = Unicode("", help="OUT/grades.csv of `grade`, or the grades.csv of `nbgrader export`").tag(config=True)
    to = Enum(("canvas", "moodle"), None, allow_none=True, help="the LMS whose import file is written"
              ).tag(config=True)
    out = Unicode("", help="the CSV file to write").tag(config=True)
    course = Unicode("", help="the course folder whose nbgrader_config.py may set LMSExport (empty: the current "
                              "folder)").tag(config=True)
    classes = [LMSExport]
    aliases = {"grades": "ExportApp.grades", "to": "ExportApp.to", "out": "ExportApp.out", "course": "ExportApp.course"}

    def start(self) -> int:
        self.require(grades=self.grades, to=self.to, out=self.out)
        course = self.course_in(self.course)
        grades, out = Path(self.grades), Path(self.out)
        out.write_text(FORMATS[self.to](read_grades(grades), self.configured(LMSExport, course.config)))
        print(f"wrote {out} ({self.to} gradebook import, from {grades})")
        return 0


class PassbackApp(Command):
    """Post the course gradebook's scores to the LMS (LTI Assignment and Grade Services): what changed since
    the last pass, and what waits."""
    name = f"{PROG} lms passback"
    course = Unicode("", help="the nbgrader course folder (empty: the current folder)").tag(config=True)
    every = Bool(False, help="a pass every GradePassback.every_seconds until stopped (the hub runs it so)"
                 ).tag(config=True)
    classes = [LTITool, GradePassback]
    aliases = {"course": "PassbackApp.course"}
    flags = {"every": ({"PassbackApp": {"every": True}}, every.help)}

    def start(self) -> int:
        course = self.course_in(self.course)
        pb, why = prepared(course, self.configured(LTITool, course.config),
                           self.configured(GradePassback, course.config))
        if pb is None:
            print(f"lms passback: {why}", file=sys.stderr)
            return 2
        return passback(pb, self.every)


class LmsApp(Command):
    """The course's scores to its LMS (README, "From an LMS"): `passback` (LTI 1.3 grade services), `export`
    (Canvas or Moodle gradebook import file), `key` (the tool's key)."""
    name = f"{PROG} lms"
    subcommands = {"passback": (PassbackApp, PassbackApp.summary()),
                   "key": (KeyApp, KeyApp.summary()),
                   "export": (ExportApp, ExportApp.summary())}


def prepared(course: Course, tool: LTITool, settings: GradePassback) -> tuple[Optional[Passback], str]:
    """The course's Passback, or None and why there is none (what the instructor reads)."""
    missing = tool.missing("passback")
    if missing:
        return None, (f"this course has no complete LTI registration (missing: {', '.join(missing)}). "
                      "The hub's administrator writes it once (README, 'From an LMS: LTI 1.3'); without an LTI "
                      "link, use `python -m autograder lms export` and the LMS's gradebook import.")
    # the records exist once someone launched; the key always (`lms key`, or the hub, makes it)
    unreadable = [p for p in (tool.records, tool.tool_key_file)
                  if (Path(p).exists() or p == tool.tool_key_file) and not os.access(p, os.R_OK)]
    if unreadable:
        return None, (f"cannot read {', '.join(unreadable)} as this user (missing, or not the instructor's "
                      "group's: run the passback as the instructor; `lms key` makes the tool's key)")
    return Passback(course.db_url, course.course_id, home_of(course.db_url, course.root), tool, settings), ""


def after_grading(course: Course) -> None:
    """`grade` into a course with an LMS registration: one pass at its end, its report printed (what was
    posted, what waits and why, who the LMS does not know). A course without one: nothing."""
    tool = LTITool(config=course.config)
    if not tool.issuer:
        return
    pb, why = prepared(course, tool, GradePassback(config=course.config))
    if pb is None:
        print(f"\nLMS grade passback: not done: {why}", file=sys.stderr)
        return
    print("\n" + pb.run().text(time.time()), end="")


def passback(pb: Passback, every: bool) -> int:
    """One pass, its report printed; or (`every`) a pass every GradePassback.every_seconds until SIGTERM."""
    settings = pb.settings
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
