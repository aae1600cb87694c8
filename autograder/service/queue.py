"""The queue as people see it during a deadline rush: each waiting submission's place and when its
feedback is expected, for the instructor's status page (status.py, its queue section) and, as one
line, for the student.

The expectation is plain arithmetic on what the service measured: the submissions ahead of one, shared
among the grading jobs, each taking as long as the recent ones took (grading and release), plus what
is left of the gradings under way. It is an estimate, said as one ("about").
"""
from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from typing import Iterable

from .policy import when
from .state import Row

RECENT = 20              # gradings whose times make the estimate
FIRST_GUESS = 2.0        # seconds per grading before the service has measured any
NOTICE_AFTER = 20.0      # FeedbackService.queue_notice_seconds' default


@dataclass(frozen=True)
class Waiting:
    """One submission waiting for a grading slot."""
    name: str
    student: str
    assignment: str
    place: int           # 1: graded next
    waited: float        # seconds since its time came
    expected: float      # seconds from now until its feedback is expected

    def line(self, now: float) -> str:
        """What the student reads on the page released when it joins a long queue."""
        ahead = self.place - 1
        return (f"Your submission is in the grading queue: {ahead} submission{'s' if ahead != 1 else ''} of the class "
                f"{'are' if ahead != 1 else 'is'} graded before it. Its feedback is expected in about "
                f"{_duration(self.expected)} (around {when(now + self.expected)}); fetch feedback again then.")


def per_grading(done: Iterable[Row]) -> float:
    """Seconds one grading job takes per submission, from the most recent ones (grading and release)."""
    times = []
    for row in sorted(done, key=lambda r: r.finished or 0)[-RECENT:]:
        timings = json.loads(row.timings or "{}")
        if "grade" in timings:
            times.append(timings["grade"] + timings.get("release", 0.0))
    return statistics.median(times) if times else FIRST_GUESS


def expected(queue: list[Row], grading: list[Row], now: float, jobs: int, each: float) -> list[Waiting]:
    """Every waiting submission (in the order they are graded) with its place and expected feedback.
    The jobs free up as the gradings under way end (each expected to take `each`); the k-th waiting
    submission starts when the k-th job frees up, and its feedback comes `each` later."""
    jobs = max(1, jobs)
    free = sorted(max(0.0, (r.started or now) + each - now) for r in grading)[:jobs]
    free += [0.0] * (jobs - len(free))
    found = []
    for place, row in enumerate(queue, start=1):
        start = min(free)
        free[free.index(start)] = start + each
        found.append(Waiting(row.name, row.student, row.assignment, place, now - max(row.arrived, row.not_before),
                             start + each))
    return found


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(5, int(round(seconds / 5.0)) * 5)} seconds"
    return f"{int(round(seconds / 60.0))} minutes"
