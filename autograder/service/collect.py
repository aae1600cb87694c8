"""`nbgrader collect` that reads the exchange's inbound folder as the grading service does (inbound.py):
the course's nbgrader_config.py names `SafeCollect` as nbgrader's collect (ExchangeFactory.collect), so
that Formgrader's Collect button and `nbgrader collect` typed by the instructor both use it.

nbgrader's own collect runs as the instructor and copies with shutil.copytree, which follows symbolic
links and opens whatever it finds: a submission holding a link to one of the instructor's files brings
that file's text into submitted/, where the student's code is run and can print it; a FIFO or a link to
/dev/zero stops the command for good. It also picks each student's newest folder by its name alone, so a
folder planted under another student's name can take the place of theirs. Here, as in the service:
- an entry that is not a folder (a link, a file, a FIFO), or is not yet a finished `nbgrader submit`,
  is left out with a warning naming it;
- with check_owner (nbgrader's option, on by default), a folder named for another student is left out,
  not only warned about, before it can stand for that student;
- what is copied is regular files only, without following a link (a link stays a link, which the
  grader's intake refuses and reports), within the service's size limits (FeedbackService), with the
  time the folder's name gives and its checked secret.
"""
from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import parse_utc

from .settings import FeedbackService
from .inbound import Inbound, Submission, TooBig


class SafeCollect(ExchangeCollect):
    """nbgrader's ExchangeCollect, its inbound folder read as hostile (see the module's docstring)."""

    def init_src(self) -> None:
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        settings = FeedbackService(parent=self)
        self.reader = Inbound(Path(self.inbound_path), check_owner=self.check_owner, limits=settings.limits())
        self.taken: dict[str, Submission] = {}
        by_student: dict[str, list[Submission]] = defaultdict(list)
        only = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        now = time.time()
        for entry in sorted(os.scandir(self.inbound_path), key=lambda e: e.name):
            sub = self.reader.read_entry(Path(entry.path), now)
            if sub is None:
                self.log.warning("Left out %s: not a finished nbgrader submit yet; collect again later", entry.name)
                continue
            if sub.assignment != self.coursedir.assignment_id or (only and sub.student != only):
                continue
            if sub.problem:
                self.log.warning("Left out %s (owner %s): %s", entry.name, sub.owner or "?", sub.problem)
                continue
            by_student[sub.student].append(sub)
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        self.src_records = []
        for student, subs in by_student.items():
            subs.sort(key=lambda s: parse_utc(s.timestamp), reverse=True)
            chosen = subs[0]
            if self.duedate is not None and self.before_duedate:
                chosen = next((s for s in subs if parse_utc(s.timestamp) <= self.duedate), subs[0])
            self.taken[chosen.name] = chosen
            self.src_records.append({"username": student, "filename": chosen.name,
                                     "timestamp": parse_utc(chosen.timestamp)})

    def do_copy(self, src: str, dest: str, log: object = None) -> None:
        sub = self.taken[os.path.basename(src)]
        try:
            kept = self.reader.keep(sub, Path(dest))
        except TooBig as err:
            self.log.error("Not collected: %s: %s", sub.name, err)
            return
        for why in kept.left_out:
            self.log.warning("%s: left out %s", sub.name, why)
