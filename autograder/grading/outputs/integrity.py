"""Findings for the instructor to review (OUT/integrity.csv): what a submission's code does that a
solution to these exercises never needs, and what the sandbox saw happen. A finding is a reason to
look, not a verdict; grades are decided elsewhere and do not depend on it."""
from __future__ import annotations

import ast
import builtins
import hashlib
import json
import re
from typing import Any, Iterable

from cnn_student.source import UNREADABLE, python_text

from ...authoring.cells import grade_id, is_solution_cell

PROCESS_MODULES = {"subprocess", "socket", "urllib", "requests", "http", "multiprocessing", "ctypes",
                   "signal", "asyncio", "threading", "ftplib", "smtplib", "pty"}
FILE_MODULES = {"shutil", "pathlib", "glob", "tempfile", "io", "pickle", "sqlite3", "os"}
INSPECT_MODULES = {"inspect", "gc", "traceback", "importlib"}
PATCH_TARGETS = {"np", "numpy", "builtins", "__builtins__", "autograder", "cnn_student", "checks", "compare", "nbgrader",
                 "IPython", "get_ipython"}
EXIT_CALLS = {"exit", "quit", "_exit", "abort", "kill"}
NUMERICAL_CALLS = {"numerical_gradient", "check_conv_backward", "check_pool_backward"}  # cnn_student.gradcheck
FILE_CALLS = {"open", "remove", "unlink", "rmtree", "listdir", "scandir", "walk", "chdir", "system", "popen",
              "read_text", "write_text", "read_bytes", "write_bytes", "rename", "symlink"}


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def scan_source(source: str) -> list[tuple[str, str]]:
    """(rule, detail) for every suspicious construct in one cell's code."""
    try:
        tree = ast.parse(python_text(source))
    except SyntaxError as err:
        return [("syntax_error", f"line {err.lineno}: {err.msg}")]
    except UNREADABLE as err:
        return [("syntax_error", f"the cell cannot be parsed ({type(err).__name__})")]
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                top = name.split(".")[0]
                if top in PROCESS_MODULES:
                    found.append(("process_or_network", f"line {line}: import {name}"))
                elif top in INSPECT_MODULES:
                    found.append(("frame_inspection", f"line {line}: import {name}"))
                elif top in FILE_MODULES or (top == "sys"):
                    found.append(("file_access", f"line {line}: import {name}"))
                elif top in ("autograder", "cnn_student", "nbgrader"):
                    found.append(("checking_code", f"line {line}: import {name} in the student's own code"))
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                root = _root_name(target)
                if isinstance(target, (ast.Attribute, ast.Subscript)) and root in PATCH_TARGETS:
                    found.append(("monkeypatch", f"line {line}: assigns {ast.unparse(target)}"))
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("setattr", "delattr") and node.args and _root_name(node.args[0]) in PATCH_TARGETS:
                found.append(("monkeypatch", f"line {line}: {ast.unparse(node)[:80]}"))
            elif name in ("_getframe", "currentframe", "get_objects", "stack", "getsource", "globals"):
                found.append(("frame_inspection", f"line {line}: {name}()"))
            elif name in EXIT_CALLS:
                found.append(("exit", f"line {line}: {ast.unparse(node.func)}()"))
            elif name in FILE_CALLS:
                found.append(("file_access", f"line {line}: {ast.unparse(node)[:80]}"))
            elif name in NUMERICAL_CALLS:
                found.append(("numerical_gradient", f"line {line}: {name}() in the student's code: a gradient "
                              "estimated by finite differences passes the tolerance without backpropagation"))
            elif name in ("exec", "eval", "compile", "__import__"):
                found.append(("dynamic_code", f"line {line}: {name}()"))
        elif isinstance(node, ast.Attribute) and node.attr in ("f_back", "f_globals", "f_locals", "tb_frame",
                                                                "__globals__", "__code__", "__subclasses__"):
            found.append(("frame_inspection", f"line {line}: .{node.attr}"))
    return sorted(set(found), key=lambda f: (f[0], f[1]))


def solution_fingerprint(cells: Iterable[Any]) -> str:
    """A hash of the student's code with comments and blank space removed, to spot identical work."""
    parts = []
    for cell in cells:
        if is_solution_cell(cell):
            code = "\n".join(re.sub(r"#.*", "", l).rstrip() for l in cell.get("source", "").splitlines())
            parts.append(re.sub(r"\s+", " ", code).strip())
    return _hash("\n".join(parts))


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]  # a notebook may hold a lone surrogate


BUILTIN_NAMES = set(dir(builtins))


def cell_fingerprints(cells: Iterable[Any]) -> str:
    """What the class-wide comparison of grading/similarity.py needs of one notebook, as JSON: per
    solution cell, a hash of its code without comments and blank space, a hash of its comments, its
    number of code lines and the names it defines or uses (odd names shared by two students are a signal)."""
    found = {}
    for cell in cells:
        if not is_solution_cell(cell):
            continue
        source = cell.get("source", "")
        code = [re.sub(r"#.*", "", l).rstrip() for l in source.splitlines()]
        comments = sorted({m.strip().lower() for m in re.findall(r"#(.*)", source) if m.strip()})
        try:
            tree = ast.parse(source)
        except UNREADABLE:
            tree = ast.parse("")
        names = sorted(({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
                        | {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}) - BUILTIN_NAMES)
        found[str(grade_id(cell) or "")] = {
            "code": _hash(re.sub(r"\s+", " ", "\n".join(code)).strip()),
            "comments": _hash("\n".join(comments)) if comments else "",
            "lines": sum(1 for l in code if l.strip()), "names": names[:80]}
    return json.dumps({"notebook": solution_fingerprint(cells), "cells": found}, sort_keys=True)


SANDBOX_ERRORS = {
    "KernelDied": ("kernel_died", "the kernel stopped during a cell"),
    "CellTimeoutError": ("timeout", "a cell ran past the time limit"),
    "NotRun": ("not_run", "cells were not run"),
    "MemoryError": ("memory_limit", "a cell hit the memory cap"),
    "MemoryCapExceeded": ("memory_limit", "the kernel was stopped at the memory cap"),
    "PermissionError": ("sandbox_denied", "the sandbox refused a file operation"),
}
CAP_RULES = {"disk": "disk_limit", "processes": "process_limit"}


def observed(nb: Any, caps: dict[int, list[str]], truncated: set[int]) -> list[tuple[str, str]]:
    """What the sandbox saw: deaths, time-outs, memory, refused file access (the errors in the notebook's
    outputs), and from the grader's own account of the run (pipeline/ledger.py), never from what a cell
    printed: the caps each cell reached (`caps`: cell index -> "disk", "processes") and the cells whose
    output was cut (`truncated`)."""
    found = []
    for index, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") in SANDBOX_ERRORS:
                rule, text = SANDBOX_ERRORS[out["ename"]]
                if rule != "not_run":
                    found.append((rule, f"cell {index}: {text}: {str(out.get('evalue', ''))[:120]}"))
        for cap in caps.get(index, []):
            found.append((CAP_RULES[cap], f"cell {index}: the {cap} cap was reached"))
        if index in truncated:
            found.append(("output_truncated", f"cell {index}: output over the cap was dropped"))
    return found
