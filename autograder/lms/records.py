"""What travels between the LMS link's parts, each declared once: a person as the LMS knows them, an
LMS course's grade service (from its launches), and one score of the course's gradebook on its way."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Person:
    """A student as the LMS identifies them, and the account they have here."""
    issuer: str
    subject: str          # the LTI `sub`: stable for one person on one platform, never reused
    username: str         # their Unix (and hub, and nbgrader) account
    name: str = ""
    given_name: str = ""
    family_name: str = ""
    email: str = ""


@dataclass(frozen=True)
class GradeService:
    """One LMS course's Assignment and Grade Services endpoint, as its last launch gave it."""
    issuer: str
    deployment_id: str
    context_id: str
    title: str
    lineitems: str                 # where line items are listed and created
    scopes: tuple[str, ...]

    @property
    def key(self) -> str:
        """How the outbox names this LMS course."""
        return f"{self.issuer}|{self.deployment_id}|{self.context_id}"


@dataclass(frozen=True)
class CourseScore:
    """One student's score for one assignment, as the course's gradebook holds it (nbgrader export's
    numbers: score = raw score less the late penalty, not below 0)."""
    student: str
    assignment: str
    score: float
    max_score: float
    late_penalty: float
    submitted: str                 # nbgrader's timestamp of the submission
    needs_manual_grade: bool       # a cell still waits for the instructor in Formgrader
    past_due: bool                 # the due date has passed (or there is none): no more submissions
