"""What grading runs: a notebook's teaching cells that no graded cell needs are not run at grading.

Most of a graded notebook's time went to cells that decide no point: figures, widgets, the training
runs, the benchmark and the import of matplotlib (per reference notebook at grading, 1.0-2.8 s of
cells fell to 0.2-0.65 s). The student's own notebook runs them all; the grader runs a teaching cell
only when something that runs needs it.

A code cell is a candidate for skipping when it is no nbgrader cell (no solution, test or locked
cell) and its source is exactly that of a cell of the released notebook: a cell the student wrote or
changed always runs. A candidate still runs when a cell that runs uses a name it binds, or when a
cell that runs could reach names in ways a reading of the code cannot follow (exec, eval, globals,
IPython's numbered outputs, magics other than %matplotlib and shell escapes, star imports, functions
that set globals); decided to a fixed point, since a candidate that runs needs names of its own. A
store into an attribute or item (`d["k"] = 1`, `plt.rcParams[...] = ...`) binds the name it starts
from. What the reading cannot see is a change made by a call (`np.random.seed(0)`, `lst.append(1)`):
that is why only released, unchanged cells, the instructor's, are candidates, and why
tests/test_needed.py fails when a skipped cell of the released notebooks makes such a call.
"""
from __future__ import annotations

import ast
import re
import symtable
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import nbformat
from IPython.core.inputtransformer2 import TransformerManager

from cnn_student.source import UNREADABLE

from ...authoring.cells import has_nbgrader

# names through which code can reach any variable of the notebook's namespace, or another cell's output
OPAQUE = {"exec", "eval", "globals", "locals", "vars", "dir", "get_ipython", "__import__", "__builtins__",
          "__main__", "sys", "inspect", "importlib", "In", "Out", "_", "__", "___", "_i", "_ii", "_iii",
          "_ih", "_oh", "_dh"}
HISTORY = re.compile(r"_i?\d+")  # _5, _i5: IPython's numbered inputs and outputs
NOTE = "[not run at grading: no graded cell needs what this cell defines; your own notebook runs it]"


def released(path: Path) -> Any:
    """The released notebook at `path` (the grader's master), read once per grading process as long as
    the file is unchanged: intake and execution read it for every unit. Callers only read it."""
    st = path.stat()
    return _read_released(str(path), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=32)
def _read_released(path: str, mtime_ns: int, size: int) -> Any:
    return nbformat.read(path, as_version=4)


@lru_cache(maxsize=512)
def _names(source: str) -> tuple[frozenset[str], frozenset[str]] | None:
    """(names the cell binds, names it uses), or None when it cannot be read or reaches names opaquely."""
    # `%matplotlib inline` only chooses how figures are shown; any other magic or shell escape takes
    # arguments (strings) that a reading of the code cannot follow
    lines = [line for line in source.splitlines() if not line.lstrip().startswith("%matplotlib")]
    try:
        python = TransformerManager().transform_cell("\n".join(lines))
        table = symtable.symtable(python, "<cell>", "exec")
        tree = ast.parse(python)
    except UNREADABLE:
        return None  # code this reading cannot follow (it runs, and with it the whole notebook)
    if "get_ipython()" in python:
        return None
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            return None  # binds names no reading can list
        if isinstance(node, ast.Global):
            return None  # a function that sets globals binds them where it is called, not where defined
        if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, (ast.Store, ast.Del)):
            root = node  # a store into an attribute or an item changes the object the name holds
            while isinstance(root, (ast.Attribute, ast.Subscript)):
                root = root.value
            if isinstance(root, ast.Name):
                bound.add(root.id)
    used: set[str] = set()
    # the module scope's names, and the global names of every function, class and comprehension in it
    # (a function's own parameters and locals are not the notebook's names)
    stack = [table]
    while stack:
        scope = stack.pop()
        stack.extend(scope.get_children())
        top = scope.get_type() == "module"
        for sym in scope.get_symbols():
            if not (top or sym.is_global()):
                continue
            if sym.is_referenced():
                used.add(sym.get_name())
            if sym.is_assigned() or sym.is_imported() or (top and sym.is_namespace()):
                bound.add(sym.get_name())
    if used & OPAQUE or any(HISTORY.fullmatch(name) for name in used):
        return None
    return frozenset(bound), frozenset(used)


def skipped(cells: list, released_sources: Iterable[str]) -> set[int]:
    """Indices (in `cells`) of the code cells that grading need not run."""
    given = {s.strip() for s in released_sources}
    code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    names = {i: _names(cells[i].source) for i in code}
    if any(found is None for found in names.values()):
        return set()  # a cell that may reach (or bind) any name: run everything
    candidates = {i for i in code if not has_nbgrader(cells[i]) and cells[i].source.strip()
                  and cells[i].source.strip() in given}
    needed: set[str] = set().union(*(names[i][1] for i in code if i not in candidates))
    changed = True
    while changed:  # a candidate that must run needs names of its own
        changed = False
        for i in sorted(candidates):
            bound, used = names[i]
            if bound & needed:
                candidates.discard(i)
                needed |= used
                changed = True
    return candidates
