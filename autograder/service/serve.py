"""`python -m autograder serve`: graded feedback within seconds of each `nbgrader submit`.

The main thread watches the exchange's inbound folder of the course (read as hostile: inbound.py;
an entry it refuses is recorded, logged and listed on the instructor's page, status.py), decides for
each new submission what the course's FeedbackPolicy allows (policy.py), keeps a copy and records it
(state.py); `jobs` grading threads take the submissions whose time has come, in arrival order per
student, grade each as `grade` grades a unit (grader.py) and release its page through nbgrader's
feedback channel. Once an assignment's due date (the course gradebook's) has passed, the submission
that counts of each student who had none graded is graded too. Everything is logged on stdout;
SIGTERM stops it at once, and what was being graded is graded again on the next start.
"""
from __future__ import annotations

import json
import shutil
import signal
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Optional

from nbgrader.api import Gradebook, InvalidEntry
from nbgrader.utils import parse_utc
from sqlalchemy.exc import SQLAlchemyError

from ..grading.api import UnitResult, banner, sweep_leftovers
from . import grader as g
from . import status
from .inbound import Inbound, Limits as InboundLimits, Submission, TooBig, inbound
from .policy import FeedbackPolicy, counted, decide, when
from .queue import NOTICE_AFTER, RECENT, Waiting, expected, per_grading
from .state import Row, State


def stamp(epoch: Optional[float] = None) -> str:
    """A time as the log and the instructor's page write it (UTC, to the millisecond)."""
    moment = datetime.now(timezone.utc) if epoch is None else datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def log(message: str) -> None:
    print(f"{stamp()} {message}", flush=True)


def parse_time(text: str) -> Optional[datetime]:
    try:
        value = parse_utc(text)
    except (ValueError, OverflowError, TypeError):
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


class DueDates:
    """The course gradebook's due dates and each student's extension (nbgrader's
    `Gradebook.grant_extension`), read through nbgrader's Gradebook on a read-only connection (never
    written), a few times a minute."""

    def __init__(self, db_url: str, course_id: str, every: float = 5.0):
        path = Path(db_url.removeprefix("sqlite:///")) if db_url.startswith("sqlite:///") else None
        self.path, self.course_id = path, course_id
        # sqlite's read-only mode: nbgrader's Gradebook makes tables and rows it misses; here it cannot
        self.url = f"sqlite:///file:{path}?mode=ro&uri=true" if path else db_url
        self.every, self.read_at = every, 0.0
        self.dates: dict[str, datetime] = {}
        self.extensions: dict[tuple[str, str], timedelta] = {}
        self.trouble = ""   # why the last read failed, logged once

    def get(self, assignment: str, student: Optional[str] = None) -> Optional[datetime]:
        """The assignment's due date, for that student with their extension."""
        if time.monotonic() - self.read_at > self.every:
            self.read_at = time.monotonic()
            self.dates, self.extensions = self._read()
        due = self.dates.get(assignment)
        if due is None:
            return None
        return due + self.extensions.get((assignment, student or ""), timedelta(0))

    def _read(self) -> tuple[dict[str, datetime], dict[tuple[str, str], timedelta]]:
        if self.path is not None and not self.path.is_file():
            return {}, {}
        try:
            with Gradebook(self.url, self.course_id) as gb:
                assignments = [a for a in gb.assignments if a.duedate is not None]
                dates = {a.name: a.duedate.replace(tzinfo=timezone.utc) for a in assignments}
                extensions = {(a.name, s.student_id): s.extension for a in assignments
                              for s in gb.assignment_submissions(a.name) if s.extension}
        except (SQLAlchemyError, InvalidEntry) as err:   # being written, or not this course's: the last dates read
            if type(err).__name__ != self.trouble:
                log(f"due dates: the gradebook could not be read ({type(err).__name__}); the last ones read stay")
            self.trouble = type(err).__name__
            return self.dates, self.extensions
        self.trouble = ""
        return dates, extensions


class Service:
    def __init__(self, setup: g.Setup, policy: FeedbackPolicy, state: State, dues: DueDates,
                 make_grader: Callable[[], Any], jobs: int = 1, check_owner: bool = True, poll: float = 0.25,
                 limits: InboundLimits = InboundLimits(), queue_notice: float = NOTICE_AFTER):
        self.setup, self.policy, self.state, self.dues = setup, policy, state, dues
        self.make_grader, self.jobs, self.check_owner, self.poll = make_grader, jobs, check_owner, poll
        self.queue_notice = queue_notice
        self.folder = inbound(setup.exchange, setup.course_id)
        self.inbound = Inbound(self.folder, check_owner, limits)
        self.changed = True   # the instructor's page is out of date
        self.stopping = threading.Event()
        self.wake = threading.Condition()
        self.graders: list[Any] = []

    # ---------- arrivals
    def due(self, assignment: str, student: Optional[str] = None) -> Optional[float]:
        d = self.dues.get(assignment, student)
        return d.timestamp() if d else None

    def arrive(self, sub: Submission, now: float) -> Row:
        row = Row(name=sub.name, seq=0, student=sub.student, assignment=sub.assignment,
                  timestamp=sub.timestamp, arrived=now, state="refused", owner=sub.owner)
        row.seq = self.state.next_seq()    # new rows come from this thread only
        if sub.assignment and not (self.setup.master / "release" / sub.assignment).is_dir():   # --assignment
            row.state, row.note = "ignored", "not an assignment this service grades"
            self.state.add(row)
            log(f"ignored {sub.name}: {row.note}")
            return row
        if sub.problem:
            return self._refuse(row, sub, sub.problem)
        try:
            kept = self.inbound.keep(sub, self._kept(row), already=self.state.kept_bytes(sub.student))
        except TooBig as err:
            return self._refuse(row, sub, f"too big: {err}")
        except OSError as err:
            return self._refuse(row, sub, f"could not be copied ({type(err).__name__}: {err})")
        row.kept_bytes = kept.bytes
        if kept.left_out:
            log(f"kept {sub.name} without {', '.join(kept.left_out[:5])}"
                + (f" and {len(kept.left_out) - 5} more" if len(kept.left_out) > 5 else ""))
        while True:   # again if the waiting submission it would replace has just begun its grading
            decision = decide(self.policy, self.state.claimed(sub.student, sub.assignment), now,
                              self.due(sub.assignment, sub.student))
            row.state, row.attempt, row.not_before = decision.state, decision.attempt, decision.not_before
            if self.state.add(row, supersedes=decision.supersedes):
                break
        if decision.supersedes:
            old = self.state.get(decision.supersedes)
            turn = (f"is graded at {when(old.not_before)}" if old.not_before > now + 1 else
                    "is graded in its turn in the queue")
            self._notice(old, f"{old.assignment}: replaced by a newer submission",
                         [f"You submitted again at {sub.timestamp}; that submission takes this one's place "
                          f"(attempt {old.attempt}) and {turn}. This one is kept, not graded."])
            log(f"superseded {old.name} by {sub.name}")
        if row.state == "deferred":
            self._notice_deferred(row)
        elif row.not_before > now + 1:
            self._notice(row, f"{row.assignment}: attempt {row.attempt} of {self.policy.attempts}, graded at "
                              f"{when(row.not_before)}",
                         [f"Your previous graded attempt was less than {self.policy.minutes_between:g} minutes ago. "
                          f"This submission is kept and graded at {when(row.not_before)}; fetch feedback again "
                          "after that. Submitting again before then replaces it and uses no other attempt."])
        elif row.state == "queued":
            self._notice_queue(row, now)
        log(f"received {sub.name}: {row.state}, attempt {row.attempt}"
            + (f", graded from {when(row.not_before)}" if row.state == "queued" and row.not_before > now + 1 else ""))
        with self.wake:
            self.wake.notify_all()
        return row

    def _kept(self, row: Row) -> Path:
        return self.setup.folder("submissions", row.seq) / row.student / row.assignment

    def _notice(self, row: Row, title: str, lines: list[str], keys: Optional[Path] = None,
                notebooks: Optional[list[str]] = None) -> None:
        """A page with this box for each notebook of the submission, released through its secret (that
        of the service's copy, unless `keys` holds it)."""
        kept = self._kept(row)
        g.release(self.setup, row.seq, row.student, row.assignment, keys or kept,
                  g.notice_pages(g.submitted_notebooks(kept) if notebooks is None else notebooks, title,
                                 banner(lines + [self.policy.describe()], title)))

    def _refuse(self, row: Row, sub: Submission, why: str) -> Row:
        """Not graded: recorded, logged and shown on the instructor's page by name; its student is told
        why through the feedback channel when its secret can be read (else only the instructor knows)."""
        row.state, row.note = "refused", why
        self.state.add(row)
        self.changed = True
        log(f"refused {sub.name} (owner {sub.owner or 'unknown'}): {why}")
        if sub.secret and sub.student:
            keys = self.setup.folder("refused", row.seq)
            keys.mkdir(parents=True, exist_ok=True)
            (keys / "timestamp.txt").write_text(sub.timestamp)
            (keys / "submission_secret.txt").write_text(sub.secret)
            released = sorted(p.name for p in (self.setup.master / "release" / sub.assignment).glob("*.ipynb"))
            self._notice(row, f"{sub.assignment}: submission not graded",
                         [f"Your submission of {sub.timestamp} was not graded by the course's grader: {why}.",
                          "It used no attempt. Fix that and submit again; your instructor sees this submission "
                          "listed with the reason."], keys=keys, notebooks=list(sub.notebooks) or released)
            shutil.rmtree(keys, ignore_errors=True)
        return row

    def waiting(self, now: float) -> list[Waiting]:
        """The queue, each submission with its place and when its feedback is expected."""
        each = per_grading(self.state.recent_done(RECENT))
        return expected(self.state.queue(now), self.state.grading(), now, self.jobs, each)

    def _notice_queue(self, row: Row, now: float) -> None:
        """A submission that joins a long queue gets a page saying so: its place, and when its feedback
        is expected (the graded page replaces it)."""
        mine = next((w for w in self.waiting(now) if w.name == row.name), None)
        if mine is not None and mine.expected > self.queue_notice:
            self._notice(row, f"{row.assignment}: attempt {row.attempt} of {self.policy.attempts}, in the queue",
                         [mine.line(now)])

    def _notice_deferred(self, row: Row) -> None:
        due = self.due(row.assignment, row.student)
        after = f"after the deadline ({when(due)})" if due else "when your instructor grades the assignment"
        if not self.policy.enabled:
            why = "This course gives feedback after the deadline only."
        elif due is not None and row.arrived > due:
            why = "It arrived after the deadline."
        else:
            why = f"You have used your {self.policy.attempts} attempts with feedback for {row.assignment}."
        self._notice(row, f"{row.assignment}: submission received, feedback {after}",
                     [f"Your submission of {row.timestamp} is kept. {why}",
                      f"If it is the submission that counts, it is graded {after}, and its feedback comes then."])

    # ---------- the deadline
    def sweep(self, now: float) -> None:
        """For each assignment past its due date: each student's submission that counts, if it was
        deferred, is queued; the other deferred ones are told they do not count."""
        deferred = self.state.deferred()
        for key in sorted({(r.student, r.assignment) for r in deferred}):
            student, assignment = key
            due = self.dues.get(assignment, student)
            if due is None or due.timestamp() > now:
                continue
            rows = [r for r in self.state.of(student, assignment) if r.state not in ("refused",)]
            times = {r.name: t for r in rows if (t := parse_time(r.timestamp)) is not None}
            counts = counted(times, due, self.policy)
            for r in rows:
                if r.state != "deferred":
                    continue
                if r.name == counts:
                    self.state.set(r.name, state="queued", not_before=now, note="graded after the deadline")
                    log(f"deadline of {assignment}: queued {r.name}, the submission that counts")
                else:
                    self.state.set(r.name, state="not_counted", note=f"{counts} counts")
                    self._notice(r, f"{assignment}: not graded",
                                 [f"Your submission of {r.timestamp} does not count for the grade: "
                                  f"your submission of {times.get(counts, '?')} does, and it is graded."])
        with self.wake:
            self.wake.notify_all()

    # ---------- grading
    def grade(self, grader: Any, row: Row) -> None:
        start = time.perf_counter()
        unit = self.setup.unit(row.seq, row.student, row.assignment)
        kept = self._kept(row)
        result: UnitResult = grader.grade(unit)
        if self.stopping.is_set():   # stopped under it: graded again on the next start, released once
            return
        graded = time.perf_counter()
        deadline_grade = row.note == "graded after the deadline"
        pages = g.graded_pages(self.setup, unit, result, kept, *self._graded_box(row, result, deadline_grade),
                               withheld=self.policy.hidden_tests == "withheld" and not deadline_grade)
        g.release(self.setup, row.seq, row.student, row.assignment, kept, pages)
        g.tidy(unit)
        end = time.perf_counter()
        timings = dict(result.timings, grade=round(graded - start, 3), release=round(end - graded, 3),
                       waited=round(row.started - max(row.arrived, row.not_before), 3))
        with self.state.lock:
            # a grading machine's failure (grading_error) uses no attempt; tried again on the next start
            self.state.set(row.name, state="failed" if result.retry else "done", finished=time.time(), score=result.raw_score,
                           max_score=result.max_score, timings=json.dumps(timings),
                           gradings=(self.state.get(row.name).gradings + 1))
        log(f"graded {row.name}: attempt {row.attempt}, {result.raw_score:g}/{result.max_score:g}, waited "
            f"{timings['waited']:.2f} s, graded in {timings['grade']:.2f} s, released in {timings['release']:.2f} s "
            f"({', '.join(f'{k} {v:.2f}' for k, v in result.timings.items())})")

    def _graded_box(self, row: Row, result: UnitResult, deadline_grade: bool) -> tuple[str, str]:
        p = self.policy
        score = f"Score of this submission: {result.raw_score:g} of {result.max_score:g}."
        if deadline_grade:
            title = f"{row.assignment}: graded after the deadline"
            lines = [f"Your submission of {row.timestamp}, the one that counts, graded by the course's grader. "
                     + score, "Your instructor may still review it: the grade you receive is theirs."]
        else:
            left = max(0, p.attempts - row.attempt)
            title = f"{row.assignment}: attempt {row.attempt} of {p.attempts}"
            nxt = max(time.time(), row.not_before + p.minutes_between * 60)   # as decide() counts it
            due = self.due(row.assignment, row.student)
            lines = [f"Feedback on your submission of {row.timestamp}. " + score,
                     f"Attempts with feedback left for this assignment: {left}."
                     + (f" Your next graded attempt: from {when(nxt)}." if left else
                        " Submissions from now on are kept and graded "
                        + (f"after the deadline ({when(due)})." if due else "when your instructor grades."))]
            if result.retry:
                title = f"{row.assignment}: not graded yet"
                lines = [f"The grading machine failed on your submission of {row.timestamp} (not your code); "
                         "it used no attempt. Submit again for feedback now; your instructor is told and grades "
                         "it with the class."]
        return title, banner(lines + [p.describe()], title)

    def work(self, slot: int) -> None:
        grader = self.make_grader()
        self.graders.append(grader)
        try:
            while not self.stopping.is_set():
                row = self.state.claim()
                if row is None:
                    with self.wake:
                        self.wake.wait(timeout=min(self.poll * 4, 1.0))
                    continue
                try:
                    self.grade(grader, row)
                except Exception as err:   # the service's failure, not the student's: no attempt used
                    if self.stopping.is_set():
                        return
                    self.state.set(row.name, state="failed", note=f"service error: {type(err).__name__}: {err}")
                    log(f"FAILED {row.name}: {type(err).__name__}: {err} (no attempt used; grade covers it after the deadline)")
        finally:
            grader.stop()

    # ---------- the loop
    def report(self, now: float) -> str:
        counts = self.state.counts()
        waits = self.waiting(now)
        last = f", the last expected in {waits[-1].expected:.0f} s" if waits else ""
        return (f"queue: {len(waits)} waiting to be graded (longest {max((w.waited for w in waits), default=0):.1f} s"
                f"{last}), {counts.get('queued', 0) - len(waits)} waiting for their time,"
                f" {counts.get('grading', 0)} grading, {counts.get('done', 0)} done, {counts.get('deferred', 0)} "
                f"deferred, {counts.get('superseded', 0)} replaced, {counts.get('refused', 0)} refused")

    def run(self, until: Optional[Callable[[], bool]] = None) -> None:
        for row in self.state.recover():
            log(f"restarted: {row.name} was being graded; queued again")
        for work in sweep_leftovers():   # what a grading process killed with the service left
            log(f"removed what the killed grading of {work} left (its kernels' group and runtime folder)")
        known = self.state.names()
        threads = [threading.Thread(target=self.work, args=(n,), daemon=True) for n in range(self.jobs)]
        for t in threads:
            t.start()
        log(f"watching {self.folder} for course {self.setup.course_id}: {self.jobs} grading job(s); "
            f"{self.report(time.time())}")
        last_report, last_line = 0.0, ""
        while not self.stopping.is_set() and not (until and until()):
            now = time.time()
            for sub in self.inbound.scan(known):
                known.add(sub.name)
                try:
                    self.arrive(sub, time.time())
                except Exception as err:   # vanished, unreadable, or its notice not released: it alone
                    log(f"skipped {sub.name}: {type(err).__name__}: {err}")
            try:
                self.sweep(now)
            except Exception as err:   # the exchange refused a notice: logged; the states are already set
                log(f"deadline sweep: {type(err).__name__}: {err}")
            if now - last_report > 10:
                line = self.report(time.time())
                if line != last_line:
                    log(line)
                    self.changed = True
                last_report, last_line = now, line
            if self.changed:
                self.write_status()
            self.stopping.wait(self.poll)
        self.stop()
        for t in threads:
            t.join(timeout=10)

    def write_status(self) -> None:
        """The instructor's page (status.py), beside the service's state."""
        self.changed = False
        rows = self.state.all()
        bad = tuple(status.BadEntry(r.name, r.owner, r.note, stamp(r.arrived)) for r in reversed(rows)
                    if r.state == "refused")
        plus = tuple(sorted({r.student for r in rows if "+" in r.student and r.state != "refused"}))
        now = time.time()
        view = status.StatusView(course_id=self.setup.course_id, inbound=str(self.folder), updated=stamp(now),
                                 counts=tuple(sorted(self.state.counts().items())), waiting=tuple(self.waiting(now)),
                                 grading=len(self.state.grading()), jobs=self.jobs, bad=bad, plus_names=plus)
        try:
            status.write(self.state.path.parent, view)
        except OSError as err:
            log(f"the instructor's page could not be written: {err}")

    def stop(self) -> None:
        self.stopping.set()
        with self.wake:
            self.wake.notify_all()
        for grader in list(self.graders):
            grader.stop()


def install_sigterm(service: Service) -> None:
    def handler(signum: int, frame: Any) -> None:
        log(f"signal {signum}: stopping (what is being graded is graded again on the next start)")
        service.stopping.set()
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
