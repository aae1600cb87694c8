"""Two packages by audience: cnn_student (students) never reaches autograder (the instructor's)."""
import ast
import subprocess
import sys
from pathlib import Path

from autograder.paths import ROOT, STUDENT_PACKAGE


def _modules(package: Path) -> list[str]:
    return sorted(".".join(p.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
                  for p in package.rglob("*.py"))


def test_student_package_source_names_no_instructor_module():
    for path in STUDENT_PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            assert not [n for n in names if n.split(".")[0] in ("autograder", "nbgrader", "tests")], \
                f"{path.relative_to(ROOT)} imports {names}"


def test_student_package_imports_without_the_instructor_package():
    """Every student module imports in a Python where `autograder` cannot be imported at all."""
    script = f"""
import importlib, sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "autograder":
            raise ImportError("the student package imported " + name)
sys.meta_path.insert(0, Refuse())
for name in {_modules(STUDENT_PACKAGE)!r}:
    importlib.import_module(name)
assert not [m for m in sys.modules if m.split(".")[0] == "autograder"]
print("ok")
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "PYTHONPATH": str(ROOT)})
    assert proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_the_check_fails_on_an_instructor_import(tmp_path):
    """The source scan above is not blind: a planted import is found."""
    planted = tmp_path / "planted.py"
    planted.write_text("from autograder.reference import namespace\n")
    tree = ast.parse(planted.read_text())
    assert any(isinstance(n, ast.ImportFrom) and n.module.startswith("autograder") for n in ast.walk(tree))
