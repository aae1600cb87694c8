"""`python -m autograder merge OUT1 OUT2 ... --out OUT`: a class graded in parts, on several machines
(each `grade` run on a disjoint set of students), becomes one batch: units, feedback and CSVs."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from .aggregate import write_outputs
from .records import UnitResult


def merge(parts: list[Path], out: Path) -> None:
    results: dict[tuple[str, str], UnitResult] = {}
    master = None
    for part in parts:
        for path in sorted((part / ".grader" / "units").glob("*/*/result.json")):
            result = UnitResult.from_dict(json.loads(path.read_text()))
            key = (result.student_id, result.assignment)
            if key in results and results[key].master != result.master:
                raise SystemExit(f"{key} was graded against different solutions in two parts")
            results[key] = result
        if (part / "feedback").is_dir():
            shutil.copytree(part / "feedback", out / "feedback", dirs_exist_ok=True)
        candidate = part / ".grader" / "master"
        master = master or (candidate if candidate.is_dir() else None)
    hashes = {r.master for r in results.values()}
    if len(hashes) > 1:
        raise SystemExit("the parts were graded against different versions of solutions/: regrade with one")
    out.mkdir(parents=True, exist_ok=True)
    for (student, assignment), result in results.items():
        result.write(out / ".grader" / "units" / student / assignment)
    write_outputs(out, list(results.values()), master)
