"""Cause ids are stable: the instructor compares classes and terms by them (causes.csv, the report).
A renamed or removed id fails here; a new one is added to tests/cause_ids.txt with its cause."""
import re
from pathlib import Path

import autograder.misconceptions  # noqa: F401  (the grader's causes for wrong concept answers)
import autograder.grading.pipeline.verify  # noqa: F401  (the causes of a test cell's verdict)
from cnn_student.spec import all_causes

COMMITTED = Path(__file__).with_name("cause_ids.txt")


def committed() -> set[str]:
    return {line.split()[0] for line in COMMITTED.read_text().splitlines() if line.strip() and not line.startswith("#")}


def test_cause_ids_are_the_committed_ones():
    ids = set(all_causes())
    assert not committed() - ids, f"cause ids removed or renamed (keep them stable): {sorted(committed() - ids)}"
    assert not ids - committed(), f"new cause ids: add them to {COMMITTED.name}: {sorted(ids - committed())}"


def test_every_cause_has_a_one_line_description_without_code():
    for cid, c in all_causes().items():
        assert re.fullmatch(r"[a-z_]+(\.[A-Za-z0-9_]+)+", cid), f"{cid}: ids are <function or topic>.<what>"
        assert c.id == cid and c.description.strip(), cid
        assert "\n" not in c.description and "`" not in c.description and len(c.description) < 140, cid
