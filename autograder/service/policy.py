"""The course's feedback policy, declared once in nbgrader_config.py, and what it decides for each
new submission.

    c.FeedbackPolicy.attempts = 3                 # graded attempts with feedback per assignment
    c.FeedbackPolicy.minutes_between = 10         # minimum time between two graded attempts
    c.FeedbackPolicy.hidden_tests = "verdicts"    # before the deadline: "verdicts" or "withheld"
    c.FeedbackPolicy.counts = "last_before_deadline"   # or "last" (nbgrader collect's default)
    c.FeedbackPolicy.enabled = True               # False: the service grades nothing before the deadline

`decide` is pure (the state's rows in, one decision out), so that every rule is tested on small inputs.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from datetime import datetime, timezone
from typing import Optional

from traitlets import Bool, Enum, Float, Int
from traitlets.config import Configurable

from ..authoring.course import load_course


class FeedbackPolicy(Configurable):
    """What students get from the grading service before the deadline (`python -m autograder serve`)."""

    enabled = Bool(True, help="grade submissions and release their feedback as they arrive; False: every "
                              "submission waits for the instructor's grading after the deadline").tag(config=True)
    attempts = Int(3, help="graded attempts with feedback per student and assignment; later submissions "
                           "are kept and graded after the deadline").tag(config=True)
    minutes_between = Float(10.0, help="minimum minutes between two graded attempts of one student's "
                                       "assignment; a submission sooner waits until then").tag(config=True)
    hidden_tests = Enum(["verdicts", "withheld"], "verdicts",
                        help="before the deadline, hidden tests show their names and verdicts (never code or "
                             "cases) or are withheld (only the visible tests' verdicts)").tag(config=True)
    counts = Enum(["last_before_deadline", "last"], "last_before_deadline",
                  help="which submission the official grade takes: the last before the deadline "
                       "(nbgrader collect --before-duedate) or the last (late penalty applies)").tag(config=True)

    def describe(self) -> str:
        """The policy in words, for the student README and the feedback pages."""
        if not self.enabled:
            return ("Feedback comes once, after the deadline, when your instructor grades the assignment.")
        hidden = ("names and verdicts of the hidden tests (never their code or cases)"
                  if self.hidden_tests == "verdicts" else "the verdicts of the visible tests only (hidden tests' "
                  "results come after the deadline)")
        counts = ("your last submission before the deadline" if self.counts == "last_before_deadline"
                  else "your last submission (a late one with the course's late penalty)")
        waits = self.minutes_between > 0
        apart = f", at least {self.minutes_between:g} minutes apart" if waits else ""
        past = "submissions past the limit are kept and graded after the deadline."
        rules = f"A submission sooner than that waits until the time is up; {past}" if waits else past.capitalize()
        return (f"Each submission of an assignment is graded by the course's grader within seconds, up to "
                f"{self.attempts} graded attempt(s) per assignment{apart}; "
                f"use Fetch Feedback to read the result. Before the deadline the feedback shows {hidden}. "
                f"{rules} Your grade is {counts}, graded by your instructor.")


def course_policy(course: Path) -> FeedbackPolicy:
    """The policy the course folder's nbgrader configuration declares."""
    return FeedbackPolicy(config=load_course(course).config)


def student_section(policy: FeedbackPolicy) -> str:
    """The student README's section on feedback after submitting (autograder/authoring/distribution.py)."""
    how = ("In JupyterLab: the Assignments tab, **Fetch Feedback** beside your submission; in a terminal: "
           "`nbgrader fetch_feedback <assignment> --course=<course>`. Each submission's page says which attempt "
           "it was, how many remain and when the next graded attempt is allowed.")
    return f"\n## After you submit: feedback\n\n{policy.describe()}\n" + ("" if not policy.enabled else f"\n{how}\n")


@dataclass(frozen=True)
class Claimed:
    """A submission of the same student's assignment that holds (or held) a graded attempt."""
    name: str
    attempt: int
    at: float                # when it is (or was) graded: the arrival, or the time it waited for
    pending: bool            # not graded yet (waiting for its time, or queued)
    queued: bool = False     # its grading has not begun (waiting for its time, or for a grading slot)


@dataclass(frozen=True)
class Decision:
    """What happens to one new submission."""
    state: str                          # "queued" (graded at `not_before`) or "deferred" (after the deadline)
    attempt: int                        # 1-based number of this submission among the student's graded ones
    not_before: float                   # epoch seconds: graded no sooner
    supersedes: Optional[str] = None    # a waiting submission this one replaces (it keeps its attempt)


def decide(policy: FeedbackPolicy, claimed: list[Claimed], arrived: float, duedate: Optional[float]) -> Decision:
    """The decision for a submission that arrived at `arrived`, given the student's claimed attempts
    on the same assignment (any order). A submission not graded yet, waiting for its time or in the
    queue behind others (a deadline rush), is replaced by the newer one, which takes its attempt and
    its time: resubmitting quickly never takes two attempts, and the student's newest work is what is
    graded."""
    if not policy.enabled or (duedate is not None and arrived > duedate):
        return Decision("deferred", 0, arrived)
    waiting = [c for c in claimed if c.pending and (c.at > arrived or c.queued)]
    if waiting:
        w = max(waiting, key=lambda c: c.at)
        return Decision("queued", w.attempt, w.at, supersedes=w.name)
    used = len(claimed)
    if used >= policy.attempts:
        return Decision("deferred", used + 1, arrived)
    last = max((c.at for c in claimed), default=None)
    start = arrived if last is None else max(arrived, last + policy.minutes_between * 60)
    if duedate is not None and start > duedate:   # its time would come after the deadline
        return Decision("deferred", used + 1, arrived)
    return Decision("queued", used + 1, start)


def counted(timestamps: dict[str, datetime], duedate: Optional[datetime], policy: FeedbackPolicy) -> Optional[str]:
    """Which of a student's submissions (name -> nbgrader timestamp) the official grade takes, as
    `nbgrader collect` (with --before-duedate when the policy says so) chooses it."""
    if not timestamps:
        return None
    ordered = sorted(timestamps, key=timestamps.get, reverse=True)
    if policy.counts == "last_before_deadline" and duedate is not None:
        before = [n for n in ordered if timestamps[n] <= duedate]
        if before:
            return before[0]
    return ordered[0]


def when(epoch: float) -> str:
    """A time as students read it on a feedback page (UTC, to the minute)."""
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
