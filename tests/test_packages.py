"""Two packages by audience: cnn_student (students) never reaches autograder (the instructor's)."""
import ast
import subprocess
import sys
from pathlib import Path

from autograder.paths import ROOT, STUDENT_PACKAGE


def _modules(package: Path) -> list[str]:
    return sorted(".".join(p.relative_to(package.parent).with_suffix("").parts).removesuffix(".__init__")
                  for p in package.rglob("*.py"))


def forbidden_imports(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    """The absolute imports in the file at `path` of a module of one of the `forbidden` packages."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
        found += [n for n in names if n.split(".")[0] in forbidden]
    return found


def test_student_package_source_names_no_instructor_module():
    for path in STUDENT_PACKAGE.rglob("*.py"):
        found = forbidden_imports(path, ("autograder", "nbgrader", "tests"))
        assert not found, f"{path.relative_to(ROOT)} imports {found}"


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


def test_the_scan_finds_a_planted_instructor_import(tmp_path):
    """The source scan above is not blind: the imports planted in a file are found, each of them."""
    planted = tmp_path / "planted.py"
    planted.write_text("import os\nfrom autograder.paths import ROOT\ndef f():\n    import nbgrader.api\n"
                       "from . import sibling\n")
    assert forbidden_imports(planted, ("autograder", "nbgrader", "tests")) == ["autograder.paths", "nbgrader.api"]


def test_instructor_package_source_names_no_test_module():
    """The product never needs the test tree: the sample class and the demo take the mistake catalogue
    from autograder/catalogue/, which the tests import too."""
    for path in (ROOT / "autograder").rglob("*.py"):
        found = forbidden_imports(path, ("tests",))
        assert not found, f"{path.relative_to(ROOT)} imports {found}"


def test_sample_class_is_made_without_the_checkout_on_the_path(tmp_path):
    """As installed (the editable install maps autograder/ and cnn_student/ only), outside the checkout:
    the catalogue and a generated class load, and neither the checkout nor `tests` is put on sys.path."""
    script = f"""
import sys
from pathlib import Path
from autograder.catalogue import modules
from autograder.demo.sample_class import make_class
assert len(list(modules())) >= 5
make_class(Path("class"), 2, only=["01_conv_forward"])
assert not [m for m in sys.modules if m.split(".")[0] == "tests"], "the product imported the tests"
assert {str(ROOT)!r} not in [str(Path(p).resolve()) for p in sys.path if p], "the checkout was put on sys.path"
print("ok", len(list(Path("class").glob("*/*/*.ipynb"))))
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg", "HOME": str(tmp_path)})
    assert proc.stdout.strip() == "ok 2", proc.stderr[-2000:]
