"""grades.csv and integrity.csv from the units' results; the score table printed at the end."""
from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Optional

import nbformat

from .integrity import FIELDS, solution_fingerprint
from .records import UnitResult

GRADE_FIELDS = ("assignment", "duedate", "timestamp", "student_id", "last_name", "first_name", "email",
                "raw_score", "late_submission_penalty", "score", "max_score")  # nbgrader's CSV export


def _stub_fingerprints(master: Optional[Path]) -> set[str]:
    """Fingerprints of the untouched notebooks: identical stubs are not identical work."""
    if master is None:
        return set()
    return {solution_fingerprint(nbformat.read(p, as_version=4).cells) for p in (master / "release").glob("*/*.ipynb")}


def write_outputs(out: Path, results: list[UnitResult], master: Optional[Path]) -> None:
    """OUT/grades.csv, OUT/integrity.csv and OUT/results.json (every unit's result, for the report)."""
    results = sorted(results, key=lambda r: (r.student_id, r.assignment))
    with open(out / "grades.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=GRADE_FIELDS)
        writer.writeheader()
        for r in results:
            writer.writerow({"assignment": r.assignment, "duedate": r.duedate, "timestamp": r.timestamp,
                             "student_id": r.student_id, "last_name": "", "first_name": "", "email": "",
                             "raw_score": r.score, "late_submission_penalty": r.late_penalty,
                             "score": max(0.0, r.score - r.late_penalty), "max_score": r.max_score})
    stubs = _stub_fingerprints(master)
    same: dict[tuple, list[str]] = defaultdict(list)
    rows = []
    for r in results:
        for f in r.findings:
            if f.rule == "fingerprint":
                if f.detail not in stubs:
                    same[(r.assignment, f.notebook, f.detail)].append(r.student_id)
            else:
                rows.append(f.row())
    for (assignment, notebook, _), who in same.items():
        if len(who) > 1:
            for student in who:
                others = ", ".join(s for s in who if s != student)
                rows.append({"student_id": student, "assignment": assignment, "notebook": notebook,
                             "rule": "identical_submission", "detail": f"same solution code as {others}"})
    rows.sort(key=lambda f: (f["student_id"], f["assignment"], f["notebook"], f["rule"], f["detail"]))
    with open(out / "integrity.csv", "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=FIELDS)
        writer.writeheader()
        writer.writerows(rows)
    (out / "results.json").write_text(json.dumps([r.to_dict() for r in results], indent=1))


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
                total, top = total + r.score, top + r.max_score
                cells.append(f"{r.score:>6g} / {r.max_score:<5g}"[:14].rjust(14))
            else:
                cells.append(f"{'-':>14s}")
        lines.append(f"{student:{width}s} " + " ".join(cells) + f" {total:>5g} / {top:<5g}")
    return "\n".join(lines)
