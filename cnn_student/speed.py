"""Notebook 5's check that a function has no Python loop over output positions.

Two measures, one verdict:
- a timing, as a RATIO to a calibration workload timed in the same kernel a moment later (never an
  absolute time): the calibration is a Python loop of small NumPy calls, the cost that a loop over
  output positions pays once per position, so the ratio of a loop version hardly depends on the
  machine; a vectorized function pays it a few times per call and stays far below the limit;
- a reading of the function's source (ast): a loop whose variable moves a window by the stride
  (`h * stride`, or `range(0, n, stride)`) is a loop over output positions. Loops over the f*f window
  offsets or over chunks of examples are allowed.

In the student's kernel `check_vectorized` measures, reads the source it can find and says at once
what it saw. When grading it records the result and the measures; the grader reads the source from
the submitted notebook itself and decides with `verdict` in its own process, like every other check.
"""
from __future__ import annotations

import ast
import inspect
import textwrap
import time
from typing import Any, Callable, Optional

import numpy as np

from .failures import CheckFailed, plain
from .protocol import VECTORIZED, grading, record
from .serialize import encode
from .source import UNREADABLE, python_text
from .functions import build_args
from .spec import NOT_TIMED, POSITION_LOOP, TOO_SLOW

# A function slower than LIMIT calibrations is not vectorized. Measured on the timed cases (one run,
# tests/test_vectorized_speed.py): the pasted loop versions take 9 to 20 calibrations, every vectorized
# solution of the catalogue at most 0.25, so the limit leaves a factor of 2 on either side even on a
# machine 3 times more favourable to either kind of code.
LIMIT = 1.5
CALIBRATION_STEPS = 1000
# Each timing is the best of at least MIN_RUNS runs, more while under BUDGET seconds in all. 0.02 s gives
# the same ratios as 0.05 did at less than half the CPU (a graded notebook 5 spent about 0.2 s of its
# kernel's CPU on these timings): the catalogue's vectorized solutions at most 0.22 calibrations with
# either, the pasted loop versions at least 6.0 (three runs of each, interleaved, load 5 to 9).
MIN_RUNS, BUDGET = 5, 0.02


def _best(run: Callable[[], Any]) -> tuple[float, Any]:
    best, spent, runs, result = np.inf, 0.0, 0, None
    while runs < MIN_RUNS or spent < BUDGET:
        start = time.perf_counter()
        result = run()
        took = time.perf_counter() - start
        best, spent, runs = min(best, took), spent + took, runs + 1
        if runs >= MIN_RUNS and spent > BUDGET:
            break
    return best, result


def calibration_seconds() -> float:
    """The time of CALIBRATION_STEPS small NumPy calls from a Python loop (what one output position
    costs a loop version), best of a few runs."""
    x, w = np.ones((4, 4, 3)), np.ones((3, 3, 3))

    def run() -> None:
        for k in range(CALIBRATION_STEPS):
            np.sum(x[k % 2:k % 2 + 3, 0:3] * w)
    return _best(run)[0]


def measure(student: Callable[..., Any], args: tuple, calibration_scale: float = 1.0) -> tuple[Any, dict]:
    """(the student's result, {"seconds", "calibration"}). calibration_scale < 1 plays a machine on
    which the student's code runs 1/scale times slower than the calibration (the tests use it)."""
    seconds, result = _best(lambda: student(*args))
    return result, {"seconds": seconds, "calibration": calibration_seconds() * calibration_scale}


# ---------- the source scan
def _is_stride(value: ast.AST, names: set[str]) -> bool:
    """hparameters["stride"], hp.get("stride"), or a name already bound to the stride."""
    if isinstance(value, ast.Subscript):
        return isinstance(value.slice, ast.Constant) and value.slice.value == "stride"
    if isinstance(value, ast.Call):
        return any(isinstance(a, ast.Constant) and a.value == "stride" for a in value.args)
    return isinstance(value, ast.Name) and value.id in names


def _stride_names(fn: ast.FunctionDef) -> set[str]:
    """Names bound to the stride: assigned from hparameters["stride"] (or .get), or from such a name."""
    names = {"stride"}
    for node in ast.walk(fn):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple) \
                    and len(target.elts) == len(node.value.elts):
                pairs = zip(target.elts, node.value.elts)
            else:
                pairs = [(target, node.value)]
            for t, v in pairs:
                if _is_stride(v, names):
                    names |= {n.id for n in ast.walk(t) if isinstance(n, ast.Name)}
    return names


def _is_stride_product(node: ast.AST, var: set[str], strides: set[str]) -> bool:
    if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)):
        return False
    sides = [{n.id for n in ast.walk(side) if isinstance(n, ast.Name)} for side in (node.left, node.right)]
    return bool((sides[0] & var and sides[1] & strides) or (sides[1] & var and sides[0] & strides))


def position_loops(fn: ast.FunctionDef) -> list[tuple[int, str]]:
    """(line, loop header) of every loop over output positions in fn: its variable times the stride
    places a window, or it steps through the input by the stride."""
    strides = _stride_names(fn)
    found = []
    loops = [(n, n.target, n.iter) for n in ast.walk(fn) if isinstance(n, ast.For)]
    loops += [(n, g.target, g.iter) for n in ast.walk(fn)
              if isinstance(n, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)) for g in n.generators]
    for node, target, it in loops:
        var = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        steps = isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" \
            and len(it.args) == 3 and any(isinstance(n, ast.Name) and n.id in strides for n in ast.walk(it.args[2]))
        body = node.body if isinstance(node, ast.For) else [node]
        moves = any(_is_stride_product(n, var, strides) for part in body for n in ast.walk(part))
        if steps or moves:
            found.append((node.lineno, ast.unparse(target) + " in " + ast.unparse(it)))
    return found


def _functions(sources: list[str]) -> dict[str, ast.FunctionDef]:
    """Top-level functions of the given cell sources, the last definition of a name winning (as when
    the cells run in order); `fast = slow` aliases are followed."""
    found: dict[str, ast.FunctionDef] = {}
    for source in sources:
        try:
            tree = ast.parse(python_text(source))
        except UNREADABLE:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = node
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in found:
                for t in node.targets:
                    if isinstance(t, ast.Name):
                        found[t.id] = found[node.value.id]
    return found


def loops_in(fn_name: str, sources: list[str]) -> Optional[list[tuple[int, str]]]:
    """Position loops of fn_name and of the functions it calls among the same sources; None when
    fn_name is not defined there."""
    functions = _functions(sources)
    if fn_name not in functions:
        return None
    seen, todo, loops = set(), [fn_name], []
    while todo:
        name = todo.pop()
        if name in seen or name not in functions:
            continue
        seen.add(name)
        fn = functions[name]
        loops += [(line, f"{fn.name}: {text}") for line, text in position_loops(fn)]
        todo += [n.func.id for n in ast.walk(fn) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    return loops


def verdict(fn: str, measures: Any, loops: Optional[list[tuple[int, str]]]) -> Optional[str]:
    """None when fn has no Python loop over output positions; otherwise what was seen (tagged with its cause)."""
    if not isinstance(measures, dict) or not all(isinstance(measures.get(k), (int, float)) and measures[k] > 0
                                                 for k in ("seconds", "calibration")):
        return NOT_TIMED(f"{fn} could not be timed (received {measures!r}).")
    ratio = measures["seconds"] / measures["calibration"]
    lines = []
    if loops:
        lines.append(f"{fn} loops over output positions (a loop variable moves the window by the stride): "
                     + "; ".join(f"line {line}: for {text}" for line, text in loops[:3]) + ".")
    if ratio > LIMIT:
        lines.append(f"On the timed case {fn} took {ratio:.2f} times a calibration workload of "
                     f"{CALIBRATION_STEPS} small NumPy calls from a Python loop, timed in the same kernel; "
                     f"a function without a Python loop over positions takes less than {LIMIT:g} "
                     f"(a loop version takes several).")
    if not lines:
        return None
    lines.append("Loops over the f*f offsets of the window, or over chunks of examples, are fine: each of "
                 "their steps covers every position at once.")
    text = "\n".join(textwrap.fill(line, width=100, subsequent_indent="    ") for line in lines)
    return (POSITION_LOOP if loops else TOO_SLOW)(text)


def check_vectorized(fn: str, student: Callable[..., Any], case: dict) -> None:
    """Time `student` on a case large enough that loops over positions show, read its source, and fail
    with an explanation if it loops over output positions. Graded when the notebook is submitted."""
    __tracebackhide__ = True  # noqa: F841
    args = build_args(fn, case)
    try:
        result, measures = measure(student, args)
    except NotImplementedError:
        raise plain(NotImplementedError(f"{fn} is not written yet: write it in its cell, run that cell, "
                                         f"then this test again.")) from None
    if grading():
        record(fn + VECTORIZED, case, {"result": encode({"value": result, **measures})})
    try:
        loops = loops_in(fn, [textwrap.dedent(inspect.getsource(student))])
    except (OSError, TypeError):
        loops = None  # no source to read here; the grader reads the submitted notebook
    message = verdict(fn, measures, loops)
    if message:
        raise plain(CheckFailed(message))
    print(f"{fn}: {measures['seconds'] / measures['calibration']:.3f} calibrations on the timed case, "
          f"no loop over output positions. ✔")

