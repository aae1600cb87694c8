"""The import graph of the two packages, read from their source (every import, function-local ones
included): no cycle, nothing imports `autograder.__main__` (the launcher), no module takes another
package's private name, records.py, which every stage imports, imports none of them, and everything
outside autograder/grading/ (the service, deploy, demo, lms, authoring, the launcher, bench/'s scripts,
hub/'s configuration) reaches the grader through its public API, grading/api.py, only. (That
cnn_student never imports autograder: tests/test_packages.py.)"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from autograder.paths import ROOT

@dataclass(frozen=True)
class Import:
    """One `import` statement's target in the project, as the importing module sees it."""
    importer: str      # dotted module name
    module: str        # the project module it reaches
    name: str          # the name taken from it ("" for `import x.y` or a submodule)
    line: int


PACKAGES = ("autograder", "cnn_student")
SCRIPTS = ("bench", "hub")   # folders of scripts that import the packages (named bench.x, hub.x here)
GRADER, API = "autograder.grading", "autograder.grading.api"


def modules(root: Path = ROOT, scripts: bool = False) -> dict[str, Path]:
    found = {}
    folders = [(package, "**/*.py") for package in PACKAGES] + [(folder, "*.py") for folder in SCRIPTS if scripts]
    for folder, pattern in folders:
        for path in (root / folder).glob(pattern):
            parts = list(path.relative_to(root).with_suffix("").parts)
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(mods: dict[str, Path]) -> list[Import]:
    found = []
    for name, path in mods.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    if sub in mods:  # `from package import module`
                        found.append(Import(name, sub, "", node.lineno))
                    elif target in mods:
                        found.append(Import(name, target, alias.name, node.lineno))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    target = alias.name
                    while target and target not in mods and "." in target:
                        target = target.rsplit(".", 1)[0]
                    if target in mods:
                        found.append(Import(name, target, "", node.lineno))
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a cycle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def package_of(module: str, mods: dict[str, Path]) -> str:
    return module if mods[module].name == "__init__.py" else module.rpartition(".")[0]


def test_no_import_cycle():
    mods = modules()
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for imp in imports(mods):
        if imp.module != imp.importer:
            edges[imp.importer].add(imp.module)
    assert cycles(edges) == []


def test_nothing_imports_the_launcher():
    found = [f"{i.importer} line {i.line}" for i in imports(modules()) if i.module == "autograder.__main__"]
    assert found == []


def test_no_private_name_crosses_a_package():
    mods = modules()
    found = [f"{i.importer} line {i.line}: {i.name} from {i.module}" for i in imports(mods)
             if i.name.startswith("_") and not i.name.startswith("__")
             and package_of(i.module, mods) != package_of(i.importer, mods)]
    assert found == []


def test_records_import_no_stage():
    """records.py declares what travels between the stages; it imports none of them (paths only)."""
    found = [i.module for i in imports(modules()) if i.importer == "autograder.grading.records"]
    assert set(found) <= {"autograder.paths"}, found


def around_the_api(root: Path = ROOT) -> list[str]:
    """Imports of the grader's modules other than its public API from outside autograder/grading/."""
    mods = modules(root, scripts=True)
    return sorted(f"{i.importer} line {i.line}: {i.module}" for i in imports(mods)
                  if not (i.importer == GRADER or i.importer.startswith(GRADER + "."))
                  and (i.module == GRADER or i.module.startswith(GRADER + ".")) and i.module != API)


def test_the_grader_is_reached_through_its_api_only():
    assert around_the_api() == []


def test_the_api_rule_sees_what_it_must(tmp_path):
    """A planted function-local import of a grading stage in a service module, and a bench script's
    import of a grading record, are found; the API's own imports and the stages' among themselves are not."""
    for rel, text in {"autograder/__init__.py": "", "autograder/service/__init__.py": "",
                      "autograder/service/cli.py": "from ..grading.api import Grader\n"
                                                   "def build():\n    from ..grading.orchestrate import batch\n",
                      "autograder/grading/__init__.py": "", "autograder/grading/api.py": "from .orchestrate import batch\n",
                      "autograder/grading/records.py": "", "autograder/grading/orchestrate/__init__.py": "",
                      "autograder/grading/orchestrate/batch.py": "from ..records import Unit\n",
                      "cnn_student/__init__.py": "",
                      "bench/profile.py": "from autograder.grading import api\nfrom autograder.grading.records import Unit\n",
                      "hub/jupyterhub_config.py": "from autograder.grading.api import Grader\n"}.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert around_the_api(tmp_path) == ["autograder.service.cli line 3: autograder.grading.orchestrate.batch",
                                        "bench.profile line 2: autograder.grading.records"]


def test_the_graph_reader_sees_what_it_must(tmp_path):
    """The reader above finds a planted cycle (through a function-local import), a private name and an
    import of the launcher in a copy of two small packages."""
    for package, files in {
        "autograder": {"__init__.py": "", "__main__.py": "", "a.py": "from .b import f\n",
                       "b.py": "def f():\n    from . import a\n    from .sub.c import _hidden\n    import autograder.__main__\n",
                       "sub/__init__.py": "", "sub/c.py": "_hidden = 1\n"},
        "cnn_student": {"__init__.py": ""},
    }.items():
        for rel, text in files.items():
            path = tmp_path / package / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    mods = modules(tmp_path)
    found = imports(mods)
    edges: dict[str, set[str]] = {m: set() for m in mods}
    for imp in found:
        edges[imp.importer].add(imp.module)
    assert cycles(edges) == [["autograder.a", "autograder.b"]]
    assert any(i.name == "_hidden" and package_of(i.module, mods) != package_of(i.importer, mods) for i in found)
    assert any(i.module == "autograder.__main__" for i in found)


def unexplained_local_imports(root: Path = ROOT) -> list[str]:
    """Imports inside a function or method with no comment saying why they are not at the top of the
    module (a measured start-up cost, an optional dependency): one on the import's own line, or on the
    comment or import lines just above it (one comment may explain a group)."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            lines = path.read_text().splitlines()
            for node in ast.walk(ast.parse("\n".join(lines), str(path))):
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for inner in ast.walk(node):
                    if not isinstance(inner, (ast.Import, ast.ImportFrom)):
                        continue
                    n = inner.lineno - 1
                    explained = "#" in lines[inner.end_lineno - 1] or "#" in lines[n]
                    while not explained and n > 0 and lines[n - 1].strip().startswith(("#", "from ", "import ")):
                        n -= 1
                        explained = "#" in lines[n]
                    if not explained:
                        found.append(f"{path.relative_to(root)}:{inner.lineno}")
    return sorted(set(found))


def test_every_import_inside_a_function_says_why():
    assert unexplained_local_imports() == []


def test_the_local_import_reader_sees_what_it_must(tmp_path):
    (tmp_path / "autograder").mkdir()
    (tmp_path / "cnn_student").mkdir()
    (tmp_path / "autograder" / "m.py").write_text(
        "import os  # top\n\n\ndef f():\n    import json\n    # here: 1 s of start-up\n    import numpy\n"
        "    from x import (a,\n                   b)  # an optional dependency\n\n\nclass C:\n    def g(self):\n"
        "        import re\n")
    assert unexplained_local_imports(tmp_path) == ["autograder/m.py:14", "autograder/m.py:5"]
