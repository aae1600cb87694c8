"""grades.csv, causes.csv and integrity.csv from the units' results; the score table printed at the end."""
from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Optional

import nbformat

from .integrity import cell_fingerprints
from ..pipeline.misconceptions import every_cause
from ..records import FIELDS, UnitResult
from .similarity import compare

GRADE_FIELDS = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                "raw_score", "late_submission_penalty", "score", "max_score")  # nbgrader's CSV export


CAUSE_FIELDS = ("student_id", "assignment", "function", "test", "cause_id", "cause")


def _stub_fingerprints(master: Optional[Path]) -> dict[tuple[str, str], dict]:
    """(assignment, notebook) -> fingerprints of the untouched notebook: identical stubs are not identical work."""
    if master is None:
        return {}
    return {(p.parent.name, p.name): json.loads(cell_fingerprints(nbformat.read(p, as_version=4).cells))
            for p in (master / "release").glob("*/*.ipynb")}


def cause_rows(results: list[UnitResult]) -> list[dict]:
    """One row per (student, test, cause) the grader diagnosed: OUT/causes.csv."""
    known = every_cause()
    rows = []
    for r in results:
        for test, s in sorted(r.tests.items()):
            for cid in s.causes:
                rows.append({"student_id": r.student_id, "assignment": r.assignment, "function": s.function,
                             "test": test, "cause_id": cid,
                             "cause": known[cid].description if cid in known else ""})
    return rows


def write_outputs(out: Path, results: list[UnitResult], master: Optional[Path]) -> None:
    """OUT/grades.csv, OUT/causes.csv, OUT/integrity.csv and OUT/results.json (every unit's result, for the
    report). Identical work is listed in integrity.csv only where it is unusual in this class (similarity.py)."""
    results = sorted(results, key=lambda r: (r.student_id, r.assignment))
    with open(out / "grades.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=GRADE_FIELDS)
        writer.writeheader()
        for r in results:
            writer.writerow({"assignment": r.assignment, "duedate": r.duedate, "timestamp": r.timestamp,
                             "student_id": r.student_id, "last_name": "", "first_name": "", "email": "",
                             "raw_score": r.raw_score, "late_submission_penalty": r.late_penalty,
                             "score": max(0.0, r.raw_score - r.late_penalty), "max_score": r.max_score})
    with open(out / "causes.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CAUSE_FIELDS)
        writer.writeheader()
        writer.writerows(cause_rows(results))
    rows = [f.row() for r in results for f in r.findings]
    similar = compare(results, _stub_fingerprints(master))
    for match in similar.listed:
        for student in match.students:
            rows.append({"student_id": student, "assignment": match.assignment, "notebook": match.notebook,
                         "rule": "identical_submission", "detail": match.detail(student)})
    rows.sort(key=lambda f: (f["student_id"], f["assignment"], f["notebook"], f["rule"], f["detail"]))
    with open(out / "integrity.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    (out / "results.json").write_text(json.dumps([r.to_dict() for r in results], indent=1))
    similar.write(out / "similarity.json")


def score_table(results: list[UnitResult]) -> str:
    names = sorted({r.assignment for r in results})
    by_student: dict[str, dict[str, UnitResult]] = defaultdict(dict)
    for r in results:
        by_student[r.student_id][r.assignment] = r
    width = max([len("student")] + [len(s) for s in by_student])
    head = f"{'student':{width}s} " + " ".join(f"{n[:14]:>14s}" for n in names) + f" {'total':>12s}"
    lines = [head, "-" * len(head)]
    for student, row in sorted(by_student.items()):
        cells, total, top = [], 0.0, 0.0
        for n in names:
            r = row.get(n)
            if r:
                total, top = total + r.raw_score, top + r.max_score
                cells.append(f"{r.raw_score:>6g} / {r.max_score:<5g}"[:14].rjust(14))
            else:
                cells.append(f"{'-':>14s}")
        lines.append(f"{student:{width}s} " + " ".join(cells) + f" {total:>5g} / {top:<5g}")
    return "\n".join(lines)
