"""Notebook 4 runs the network with the student's own layers, read from their notebooks 1-3 in the same
course folder, so that nobody has to paste five functions to see their own code train.

Each earlier notebook is read (never run as a whole): its setup cell and the cells that hold the student's
code run, in order, in a namespace of their own, so nothing in notebook 4 changes but the four layers
handed back. Each layer is then tried on its visible test cases; a layer that is missing, not written,
raising or wrong is replaced by the one notebook 4 provides, and the printed report says which and why.
At grading nothing is read: the provided layers are used, so no grade depends on another notebook.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from .compare import describe_args, explain
from .expected import cases_of, lookup
from .protocol import grading
from .source import UNREADABLE, python_text
from .functions import build_args, get_spec
from .time_limit import OverTimeLimit, time_limit

# layer -> the assignment whose notebook holds the student's version (the course's release order)
SOURCES = {"conv_forward": "01_conv_forward", "pool_forward": "02_pool_forward",
           "conv_backward": "03_backprop", "pool_backward": "03_backprop"}
SECONDS = 20.0  # CPU time for reading one notebook's cells and for trying one layer


@dataclass
class OwnLayers:
    """The four layers notebook 4's check uses, and for each where it comes from and why."""
    conv_forward: Callable
    conv_backward: Callable
    pool_forward: Callable
    pool_backward: Callable
    origin: dict[str, str] = field(default_factory=dict)   # layer -> "yours" or "provided"
    notes: list[str] = field(default_factory=list)          # what the report said, line by line

    def layers(self) -> dict[str, Callable]:
        return {name: getattr(self, name) for name in SOURCES}


def _notebook_path(folder: Path, assignment: str) -> Optional[Path]:
    exact = folder / assignment / f"{assignment}.ipynb"
    if exact.is_file():
        return exact
    others = sorted((folder / assignment).glob("*.ipynb")) if (folder / assignment).is_dir() else []
    return others[0] if len(others) == 1 else None


def _student_cells(path: Path) -> list[tuple[str, str]]:
    """(name, source) of the setup cell and of every cell that holds the student's code, in order."""
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    chosen = []
    for cell in cells:
        meta = (cell.get("metadata") or {}).get("nbgrader") or {}
        if cell.get("cell_type") == "code" and (meta.get("solution") or meta.get("grade_id") == "setup"):
            source = cell.get("source", "")
            chosen.append((meta.get("grade_id", "?"), "".join(source) if isinstance(source, list) else source))
    return chosen


def _run_notebook_cells(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The namespace left by the notebook's setup and solution cells, and a note for each cell that failed."""
    namespace: dict[str, Any] = {"__name__": f"notebook_{path.stem}"}
    problems = []
    for name, source in _student_cells(path):
        try:
            code = compile(python_text(source), f"<{path.name}: {name}>", "exec")
        except UNREADABLE as err:
            problems.append(f"its cell {name} cannot be read as Python ({type(err).__name__}: {err})")
            continue
        try:
            with time_limit(SECONDS, cpu=True):
                exec(code, namespace)
        except OverTimeLimit:
            problems.append(f"its cell {name} ran longer than {SECONDS:g} s and was stopped")
        except Exception as err:  # noqa: BLE001  (the student's cell failed: say how, and go on)
            problems.append(f"its cell {name} raised {type(err).__name__}: {err}")
    return namespace, problems


def _try(name: str, fn: Callable) -> Optional[str]:
    """None when `fn` gives the reference result on every visible case of `name`; else why not."""
    spec = get_spec(name)
    for case in cases_of(name):
        args = build_args(name, case)
        call = f"{name}({describe_args(spec, args)})"
        try:
            with time_limit(SECONDS, cpu=True):
                result = fn(*args)
        except NotImplementedError:
            return "is not written yet (it raises NotImplementedError)"
        except OverTimeLimit:
            return f"ran longer than {SECONDS:g} s on {call}"
        except Exception as err:  # noqa: BLE001  (any error of the student's layer is the news)
            return f"raises {type(err).__name__} on {call}: {err}"
        found, expected = lookup(name, case)
        if found and explain(name, case, expected, result):
            return f"gives a wrong result on {call} (its test cell in that notebook says why)"
    return None


def load_own_layers(conv_forward: Callable, conv_backward: Callable, pool_forward: Callable,
                    pool_backward: Callable, folder: str | Path = "..", quiet: bool = False) -> OwnLayers:
    """Your conv_forward, pool_forward, conv_backward and pool_backward from your notebooks 1-3 in `folder`
    (the course folder, which holds one folder per assignment), each replaced by the provided layer given
    here when it is missing, not written, raising or wrong; prints which is used and why."""
    provided = {"conv_forward": conv_forward, "conv_backward": conv_backward,
                "pool_forward": pool_forward, "pool_backward": pool_backward}
    own = OwnLayers(**provided)
    say = own.notes.append
    if grading():
        for name in SOURCES:
            own.origin[name] = "provided"
        say("At grading your other notebooks are not read: the provided layers are used (nothing graded "
            "depends on them).")
    else:
        folder = Path(folder).resolve()
        loaded: dict[str, tuple[dict[str, Any], Path]] = {}
        for assignment in dict.fromkeys(SOURCES.values()):
            path = _notebook_path(folder, assignment)
            if path is None:
                say(f"notebook {assignment}: not found in {folder / assignment} (fetched into this course "
                    f"folder?): its layers are the provided ones.")
                continue
            namespace, problems = _run_notebook_cells(path)
            loaded[assignment] = (namespace, path)
            for problem in problems:
                say(f"notebook {assignment}: {problem}.")
        for name, assignment in SOURCES.items():
            own.origin[name] = "provided"
            if assignment not in loaded:
                continue
            namespace, path = loaded[assignment]
            fn = namespace.get(name)
            where = f"{path.parent.name}/{path.name}"
            if not callable(fn):
                say(f"{name}: not defined in {where}; the provided one is used.")
                continue
            why = _try(name, fn)
            if why:
                say(f"{name}: yours, from {where}, {why}; the provided one is used.")
                continue
            setattr(own, name, fn)
            own.origin[name] = "yours"
            say(f"{name}: yours, from {where} (it passes its {len(cases_of(name))} visible cases).")
    if not quiet:
        print("\n".join(own.notes))
        used = [name for name, origin in own.origin.items() if origin == "yours"]
        print(f"\nthe check below runs {len(used)} of your layers" + (f" ({', '.join(used)})" if used else "")
              + (" and the provided ones for the rest." if len(used) < len(SOURCES) else "."))
    return own
