"""Every check of a cell's nbgrader metadata, in one place (as nbgrader's own utils.py does)."""
from __future__ import annotations

from typing import Any, Optional


def nbgrader_meta(cell: Any) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell: Any) -> Optional[str]:
    return nbgrader_meta(cell).get("grade_id")


def is_code(cell: Any) -> bool:
    return cell.get("cell_type") == "code"


def is_solution_cell(cell: Any) -> bool:
    """A cell students write (`### BEGIN SOLUTION` in the source)."""
    return is_code(cell) and bool(nbgrader_meta(cell).get("solution"))


def is_test_cell(cell: Any) -> bool:
    """An autograded test: a graded code cell that is not a solution."""
    meta = nbgrader_meta(cell)
    return is_code(cell) and bool(meta.get("grade")) and not meta.get("solution")


def has_nbgrader(cell: Any) -> bool:
    return "nbgrader" in cell.get("metadata", {})


def is_reference_cell(cell: Any) -> bool:
    """Solution cells and cells tagged `setup` (imports, provided helpers) define the reference."""
    return is_solution_cell(cell) or (is_code(cell) and "setup" in cell.get("metadata", {}).get("tags", []))


def points(cell: Any) -> float:
    """What a graded cell is worth (0 for any other cell)."""
    return float(nbgrader_meta(cell).get("points") or 0)
