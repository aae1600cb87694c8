"""Where no LTI link exists: the course's scores as a gradebook import file for Canvas or Moodle, from
the rows of a grades.csv (`grade`'s OUT/grades.csv or `nbgrader export`'s, which share nbgrader's
export columns; after a review in Formgrader, export again and use nbgrader's). Each assignment is one
column of points (the `score` column: after the late penalty).

Canvas (Grades > Import): columns Student ("Last, First"), ID, SIS User ID, SIS Login ID, Section, then
one column per assignment; a second row "Points Possible" gives each assignment's maximum. Canvas
matches each row to a student by ID, SIS User ID or SIS Login ID: the course's student id goes in the
column LMSExport.canvas_id_column names (default ID: the Canvas user id, which `nbgrader zip_collect`
reads from a Canvas download). An assignment column Canvas does not know becomes a new assignment.

Moodle (Grades > Import > CSV file): columns Username or ID number or Email address (LMSExport.moodle_id_column,
holding the course's student id), First name, Last name, Email address, then one column per
assignment; in the import's mapping, "Identify user by" maps that column to the same user field, and
each assignment column to a grade item (or a new one).
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from traitlets import Enum
from traitlets.config import Configurable

CANVAS_FIXED = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_NAMES = ("First name", "Last name", "Email address")


class LMSExport(Configurable):
    """Which LMS column holds the course's student ids in the import files (the course's nbgrader_config.py)."""
    canvas_id_column = Enum(["ID", "SIS User ID", "SIS Login ID"], "ID",
                            help="the Canvas column the student ids go in: ID (Canvas user id), SIS User ID or "
                                 "SIS Login ID").tag(config=True)
    moodle_id_column = Enum(["Username", "ID number", "Email address"], "Username",
                            help="the Moodle user field the student ids are: Username, ID number or Email "
                                 "address").tag(config=True)


def read_grades(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _table(rows: list[dict]) -> tuple[list[str], dict[str, dict], dict[str, dict[str, str]], dict[str, str]]:
    """Assignments (in order), each student's names, their scores by assignment, each assignment's maximum."""
    assignments = sorted({r["assignment"] for r in rows})
    people: dict[str, dict] = {}
    scores: dict[str, dict[str, str]] = {}
    maxima: dict[str, str] = {}
    for r in rows:
        people.setdefault(r["student_id"], r)
        scores.setdefault(r["student_id"], {})[r["assignment"]] = f"{float(r['score']):g}"
        maxima[r["assignment"]] = f"{float(r['max_score']):g}"
    return assignments, people, scores, maxima


def canvas_csv(rows: list[dict], settings: LMSExport) -> str:
    assignments, people, scores, maxima = _table(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CANVAS_FIXED, *assignments])
    writer.writerow(["Points Possible", "", "", "", "", *(maxima[a] for a in assignments)])
    for student in sorted(people):
        r = people[student]
        name = ", ".join(p for p in (r.get("last_name"), r.get("first_name")) if p) or student
        fixed = {c: "" for c in CANVAS_FIXED} | {"Student": name, settings.canvas_id_column: student}
        writer.writerow([*fixed.values(), *(scores[student].get(a, "") for a in assignments)])
    return out.getvalue()


def moodle_csv(rows: list[dict], settings: LMSExport) -> str:
    assignments, people, scores, _ = _table(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = [settings.moodle_id_column] + [c for c in MOODLE_NAMES if c != settings.moodle_id_column]
    writer.writerow([*columns, *assignments])
    for student in sorted(people):
        r = people[student]
        known = {"First name": r.get("first_name", ""), "Last name": r.get("last_name", ""),
                 "Email address": r.get("email", ""), settings.moodle_id_column: student}
        writer.writerow([*(known[c] for c in columns), *(scores[student].get(a, "") for a in assignments)])
    return out.getvalue()


FORMATS = {"canvas": canvas_csv, "moodle": moodle_csv}
