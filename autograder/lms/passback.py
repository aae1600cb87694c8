"""Grade passback: every score of the course's gradebook goes to the LMS gradebook of each LMS course
its student launched from, through LTI Assignment and Grade Services (ags.py).

Each pass (`python -m autograder lms passback`; the hub runs it every minute as the instructor):

1. brings the course's gradebook's students up to date with the LMS's (names, e-mail, LMS user id, and
   every student who launched, submitted or not);
2. reads the course's gradebook with nbgrader's Gradebook: one CourseScore per submission, the numbers
   `nbgrader export` writes (after `grade`, the service's grading into the course, a late penalty or a
   change in Formgrader alike);
3. queues in the outbox (SQLite beside the gradebook) each score whose value differs from the last one
   queued for that student, assignment and LMS course: a score is queued once, a changed one again;
   a waiting older value of the same score is superseded, never sent after the newer one;
4. posts what is due, oldest first: the assignment's line item (found by its tag, created with the
   maximum points if missing), then the score with the time it was queued, `activityProgress` and
   `gradingProgress`. A post that fails (no answer within the timeout, an error) stays queued and is
   retried after 30 s, 60 s, ... (GradePassback); nothing is lost across restarts, since the outbox
   is on disk and a post is marked sent only after the LMS accepted it. A post interrupted between
   the LMS's answer and that mark is sent again with the same timestamp, which AGS platforms take as
   the same score (the spec forbids a tool two different scores with one timestamp);
5. writes the report (lms-passback.txt beside the outbox): what was posted, what waits and why, and
   the students the LMS does not know (never launched from it): they are reported, not guessed.
"""
from __future__ import annotations

import fcntl
import json
import sqlite3
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Optional

from nbgrader.api import Gradebook, MissingEntry

from ..paths import ensure_tools_on_path
from .ags import LMSClient, LMSError
from .records import CourseScore, GradeService, Person
from .settings import GradePassback, LTITool
from .store import LaunchRecords, transaction

OUTBOX = "lms-outbox.db"
REPORT = "lms-passback.txt"
SCHEMA = """
CREATE TABLE IF NOT EXISTS post (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    student TEXT NOT NULL, assignment TEXT NOT NULL, service TEXT NOT NULL,
    score TEXT NOT NULL,              -- the AGS score object, JSON (its timestamp: when it was queued)
    state TEXT NOT NULL,              -- pending -> posted; or superseded by a newer value
    attempts INTEGER NOT NULL DEFAULT 0, next_try REAL NOT NULL, last_error TEXT NOT NULL DEFAULT '',
    queued_at REAL NOT NULL, posted_at REAL);
CREATE INDEX IF NOT EXISTS post_key ON post (student, assignment, service, id);
CREATE TABLE IF NOT EXISTS line_item (service TEXT NOT NULL, assignment TEXT NOT NULL, url TEXT NOT NULL,
    PRIMARY KEY (service, assignment));
"""
SAME = ("userId", "scoreGiven", "scoreMaximum", "activityProgress", "gradingProgress", "comment")


def course_scores(db_url: str, course_id: str, now: Optional[datetime] = None) -> list[CourseScore]:
    """One score per submission in the course's gradebook (nbgrader export's numbers)."""
    ensure_tools_on_path()
    now = now or datetime.now(timezone.utc).replace(tzinfo=None)    # nbgrader keeps naive UTC
    found = []
    with Gradebook(db_url, course_id) as gb:
        for assignment in gb.assignments:
            for sub in assignment.submissions:
                penalty = float(sub.late_submission_penalty or 0.0)
                due = sub.duedate
                found.append(CourseScore(student=sub.student.id, assignment=assignment.name,
                                         score=max(0.0, float(sub.score) - penalty), max_score=float(assignment.max_score),
                                         late_penalty=penalty, submitted=str(sub.timestamp or ""),
                                         needs_manual_grade=bool(sub.needs_manual_grade),
                                         past_due=due is None or due <= now))
    return sorted(found, key=lambda s: (s.student, s.assignment))


def roster(db_url: str, course_id: str, people: dict[str, Person]) -> list[str]:
    """Every student who launched from the LMS, in the course's gradebook with their names, e-mail
    address and LMS user id (Formgrader's Manage Students, `nbgrader export` and the import files show
    them); written only where something changed. The accounts added, by name."""
    ensure_tools_on_path()
    added = []
    with Gradebook(db_url, course_id) as gb:
        for username, p in sorted(people.items()):
            want = {"first_name": p.given_name or None, "last_name": p.family_name or None,
                    "email": p.email or None, "lms_user_id": p.subject}
            try:
                student = gb.find_student(username)
            except MissingEntry:
                gb.add_student(username, **want)
                added.append(username)
                continue
            if any(getattr(student, k) != v for k, v in want.items()):
                gb.update_or_create_student(username, **want)
    return added


def score_object(score: CourseScore, person: Person, queued: float) -> dict:
    """The AGS score the LMS receives (https://www.imsglobal.org/spec/lti-ags/v2p0/#score-publish-service)."""
    body = {"userId": person.subject, "scoreGiven": score.score, "scoreMaximum": score.max_score,
            "timestamp": datetime.fromtimestamp(queued, timezone.utc).isoformat(timespec="microseconds"),
            # nbgrader takes no submission after the due date; before it, the student may submit again
            "activityProgress": "Completed" if score.past_due else "Submitted",
            "gradingProgress": "PendingManual" if score.needs_manual_grade else "FullyGraded"}
    if score.late_penalty > 0:
        body["comment"] = (f"Late submission: the course's late rule took {score.late_penalty:g} point(s) of "
                           f"{score.score + score.late_penalty:g}.")
    return body


@dataclass
class Report:
    """What one pass did and what waits, for the instructor."""
    posted: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)      # students the LMS does not know
    no_service: list[str] = field(default_factory=list)   # their LMS course granted no grade service
    line_items: list[str] = field(default_factory=list)   # created in the LMS this pass
    roster: list[str] = field(default_factory=list)       # students added to the course's gradebook

    def text(self, when: float) -> str:
        stamp = datetime.fromtimestamp(when, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        lines = [f"Grade passback to the LMS, {stamp}", ""]
        sections = (("Students added to the course's gradebook from the LMS", self.roster),
                    ("Posted to the LMS in this pass", self.posted),
                    ("Line items created in the LMS", self.line_items),
                    ("Waiting (kept, tried again later)", self.waiting),
                    ("Not posted: the LMS does not know these students (they never launched the course from "
                     "the LMS; once they do, their scores are posted)", self.unknown),
                    ("Not posted: the LMS course they launched from gives the tool no grade service (enable "
                     "Assignment and Grade Services for the tool in the LMS)", self.no_service))
        for title, items in sections:
            lines.append(f"{title}: {len(items) or 'none'}")
            lines += [f"  {item}" for item in items]
        return "\n".join(lines) + "\n"


class Outbox:
    """The scores on their way (SQLite), and the line items found or created in each LMS course."""

    def __init__(self, path: Path):
        self.path = path
        with closing(sqlite3.connect(str(path), timeout=30)) as db:
            db.executescript(SCHEMA)

    def _db(self) -> Any:
        return transaction(self.path)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """One pass at a time (the hub's and one the instructor runs): the second waits."""
        with open(self.path.with_suffix(".lock"), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def queue(self, score: CourseScore, person: Person, service: GradeService, now: float) -> bool:
        """Queue the score for that LMS course unless the same value was queued last; True if queued."""
        body = score_object(score, person, now)
        with self._db() as db:
            last = db.execute("SELECT score FROM post WHERE student = ? AND assignment = ? AND service = ? "
                              "ORDER BY id DESC LIMIT 1", (score.student, score.assignment, service.key)).fetchone()
            if last and all(json.loads(last[0]).get(k) == body.get(k) for k in SAME):
                return False
            db.execute("UPDATE post SET state = 'superseded' WHERE student = ? AND assignment = ? AND service = ? "
                       "AND state = 'pending'", (score.student, score.assignment, service.key))
            db.execute("INSERT INTO post (student, assignment, service, score, state, next_try, queued_at) "
                       "VALUES (?, ?, ?, ?, 'pending', ?, ?)",
                       (score.student, score.assignment, service.key, json.dumps(body), now, now))
        return True

    def due(self, now: float) -> list[tuple]:
        with self._db() as db:
            return db.execute("SELECT id, student, assignment, service, score, attempts FROM post WHERE state = "
                              "'pending' AND next_try <= ? ORDER BY id", (now,)).fetchall()

    def pending(self) -> list[tuple]:
        with self._db() as db:
            return db.execute("SELECT student, assignment, service, attempts, next_try, last_error FROM post "
                              "WHERE state = 'pending' ORDER BY id").fetchall()

    def posted(self, post_id: int, now: float) -> None:
        with self._db() as db:
            db.execute("UPDATE post SET state = 'posted', posted_at = ?, attempts = attempts + 1, last_error = '' "
                       "WHERE id = ?", (now, post_id))

    def failed(self, post_id: int, error: str, next_try: float) -> None:
        with self._db() as db:
            db.execute("UPDATE post SET attempts = attempts + 1, last_error = ?, next_try = ? WHERE id = ?",
                       (error, next_try, post_id))

    def defer(self, service: str, until: float) -> None:
        """Every post to that LMS course waits until then (it did not answer, or is failing)."""
        with self._db() as db:
            db.execute("UPDATE post SET next_try = ? WHERE service = ? AND state = 'pending' AND next_try < ?",
                       (until, service, until))

    def line_item(self, service: str, assignment: str) -> Optional[str]:
        with self._db() as db:
            row = db.execute("SELECT url FROM line_item WHERE service = ? AND assignment = ?",
                             (service, assignment)).fetchone()
        return row[0] if row else None

    def keep_line_item(self, service: str, assignment: str, url: Optional[str]) -> None:
        with self._db() as db:
            if url is None:
                db.execute("DELETE FROM line_item WHERE service = ? AND assignment = ?", (service, assignment))
            else:
                db.execute("INSERT OR REPLACE INTO line_item VALUES (?, ?, ?)", (service, assignment, url))


def backoff(attempts: int, settings: GradePassback) -> float:
    """Seconds before the next try of a post that has failed `attempts` times."""
    return min(settings.backoff_seconds * 2 ** max(0, attempts - 1), settings.max_backoff_seconds)


class Passback:
    """One course's passback: its gradebook, its outbox, the launch records and the LMS."""

    def __init__(self, db_url: str, course_id: str, folder: Path, tool: LTITool, settings: GradePassback):
        self.db_url, self.course_id, self.folder = db_url, course_id, folder
        self.tool, self.settings = tool, settings
        self.outbox = Outbox(folder / OUTBOX)
        self.records = LaunchRecords(Path(tool.records), readonly=True)
        self.client = LMSClient(tool, settings.timeout_seconds)

    def run(self, now: Optional[float] = None) -> Report:
        """One pass: queue what changed, post what is due, write the report."""
        with self.outbox.locked():
            report = Report()
            now = time.time() if now is None else now
            people, services = self.records.people(), self.records.services()
            report.roster = roster(self.db_url, self.course_id, people)
            for score in course_scores(self.db_url, self.course_id):
                person = people.get(score.student)
                if person is None:
                    report.unknown.append(f"{score.student} ({score.assignment}: {score.score:g} of {score.max_score:g})")
                    continue
                theirs = self.records.services_of(person)
                if not theirs:
                    report.no_service.append(f"{score.student} ({score.assignment})")
                for service in theirs:
                    self.outbox.queue(score, person, service, now)
            self._post(services, now, report)
            for student, assignment, key, attempts, next_try, error in self.outbox.pending():
                where = services[key].title if key in services else key
                report.waiting.append(f"{student}, {assignment}, to {where}: {attempts} attempt(s), next at "
                                      f"{datetime.fromtimestamp(next_try, timezone.utc):%H:%M:%S UTC}"
                                      + (f"; last error: {error}" if error else ""))
            (self.folder / REPORT).write_text(report.text(now))
            return report

    def _post(self, services: dict[str, GradeService], now: float, report: Report) -> None:
        unreachable: set[str] = set()
        for post_id, student, assignment, key, body_text, attempts in self.outbox.due(now):
            if key in unreachable:      # that LMS did not answer: its other posts wait with this one
                continue
            body = json.loads(body_text)
            service = services.get(key)
            try:
                if service is None:
                    raise LMSError("no grade service recorded for this LMS course any more")
                url = self.outbox.line_item(key, assignment)
                if url is None:
                    url = self.client.line_item(service, assignment, body["scoreMaximum"])
                    self.outbox.keep_line_item(key, assignment, url)
                    report.line_items.append(f"{assignment} in {service.title or service.context_id}: {url}")
                self.client.post(service, url, body)
            except LMSError as err:
                if err.status == 404:   # the line item is gone: found or made again on the next try
                    self.outbox.keep_line_item(key, assignment, None)
                retry = now + backoff(attempts + 1, self.settings)
                self.outbox.failed(post_id, str(err), retry)
                if err.status is None or err.status >= 500 or err.status == 429:   # down or overloaded
                    unreachable.add(key)
                    self.outbox.defer(key, retry)
                continue
            self.outbox.posted(post_id, time.time())
            report.posted.append(f"{student}, {assignment}: {body['scoreGiven']:g} of {body['scoreMaximum']:g} "
                                 f"({body['gradingProgress']}) to {service.title or service.context_id}")
