"""Cause ids are stable: the instructor compares classes and terms by them (causes.csv, the report).
A renamed or removed id fails here; a new one is added to tests/cause_ids.txt with its cause."""
import re
from pathlib import Path

from autograder.grading.pipeline.misconceptions import every_cause as all_causes  # the checks', the verdicts' and the answers'

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


def test_every_cause_whatever_was_imported_before():
    """In a fresh interpreter that imports nothing else first, every cause is there (no registry fills
    up as a side effect of which modules happened to be imported)."""
    import subprocess
    import sys
    script = ("from autograder.grading.pipeline.misconceptions import every_cause\n"
              "print(len(every_cause()), 'generic.not_checked' in every_cause())")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert out == [str(len(all_causes())), "True"], out
