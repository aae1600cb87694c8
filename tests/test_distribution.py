"""The student distribution, installed as a student would: a fresh folder and venv outside the checkout.

A finished notebook validates with nbgrader there; an untouched one runs and asks for code; nothing
there can reach the instructor's files (no `autograder`, no solutions/, no path into the checkout).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.authoring.distribution import write_distribution
from autograder.paths import ROOT
from autograder.authoring.variants import filled_student_notebook, solution_sources

pytestmark = pytest.mark.slow
FIRST = "01_conv_forward"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    stages = tmp_path_factory.mktemp("student")
    write_distribution(stages)
    dist = stages / max(p.name for p in stages.iterdir())  # the last stage: every notebook released
    venv = dist / ".venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(dist), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    if "PIP_CACHE_DIR" in os.environ:
        env["PIP_CACHE_DIR"] = os.environ["PIP_CACHE_DIR"]
    else:
        env["PIP_CACHE_DIR"] = str(Path.home() / ".cache" / "pip")  # reuse what `make venv` downloaded
    # the README's first command
    proc = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "-r", "requirements.txt", "."],
                          cwd=dist, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dist, venv, env


def _run(installed, *args, cwd=None, timeout=600):
    dist, venv, env = installed
    return subprocess.run(args, cwd=cwd or dist, env=dict(env, MPLBACKEND="Agg"), capture_output=True,
                          text=True, timeout=timeout)


def test_distribution_holds_only_what_students_receive(installed):
    dist, _, _ = installed
    # (besides what the install itself leaves: the venv, pip's build/ and egg-info)
    top = sorted(p.name for p in dist.iterdir()
                 if p.name not in (".venv", "build") and not p.name.endswith(".egg-info"))
    assert top == ["README.md", "cnn_student", "data", "notebooks", "pyproject.toml", "requirements.txt"]
    shipped = [p for p in dist.rglob("*") if not {".venv", "build"} & set(p.relative_to(dist).parts)]
    assert not [p for p in shipped if p.name.startswith("autograder") or p.name == "solutions"]
    assert "jupyter lab" in (dist / "README.md").read_text()


def test_installed_package_has_no_path_back_to_the_checkout(installed):
    dist, venv, _ = installed
    script = ("import cnn_student, importlib.util, sys; print(cnn_student.__file__); "
              "print(importlib.util.find_spec('autograder')); print(sys.path)")
    proc = _run(installed, str(venv / "bin" / "python"), "-c", script, cwd=dist / "notebooks" / FIRST)
    where, autograder, path = proc.stdout.splitlines()
    assert where.startswith(str(venv)), where
    assert autograder == "None"
    assert str(ROOT) not in path


def test_finished_notebook_validates(installed):
    dist, venv, _ = installed
    path = dist / "notebooks" / FIRST / f"{FIRST}.ipynb"
    nbformat.write(filled_student_notebook(nbformat.read(path, as_version=4), solution_sources(FIRST)), path)
    proc = _run(installed, str(venv / "bin" / "nbgrader"), "validate", str(path.relative_to(dist)))
    assert "Success! Your notebook passes all the tests." in proc.stdout, proc.stdout[-3000:] + proc.stderr[-2000:]


@pytest.mark.parametrize("assignment", ["02_pool_forward", "04_sharing_vs_sparsity"])
def test_untouched_notebook_runs_and_asks_for_code(installed, assignment):
    """Run All on an untouched notebook there: figures load their data, only stubs and tests fail."""
    dist, venv, _ = installed
    script = f"""
import json, nbformat
from nbclient import NotebookClient
path = "notebooks/{assignment}/{assignment}.ipynb"
nb = nbformat.read(path, as_version=4)
NotebookClient(nb, timeout=300, allow_errors=True, resources={{"metadata": {{"path": "notebooks/{assignment}"}}}}).execute()
print(json.dumps([(c.get("metadata", {{}}).get("nbgrader", {{}}), o.get("ename"), o.get("evalue"))
                  for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]))
"""
    proc = _run(installed, str(venv / "bin" / "python"), "-c", script)
    assert proc.returncode == 0, proc.stderr[-3000:]
    errors = json.loads(proc.stdout.strip().splitlines()[-1])
    assert errors, "an untouched notebook must fail its tests"
    for meta, ename, evalue in errors:
        assert meta.get("grade") or meta.get("solution"), f"a teaching cell raised {ename}: {evalue}"
        assert ename == "NotImplementedError" and "not written yet" in evalue, (ename, evalue)
