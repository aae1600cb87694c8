"""The kernel sandbox works wherever the project is checked out, /tmp included."""
import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from autograder.grading.isolation import sandbox
from autograder.grading.records import Limits

pytestmark = pytest.mark.slow


def test_sandbox_is_available_here():
    ok, why = sandbox.available()
    assert ok, why


@pytest.mark.parametrize("disk", [0, 64 * 1024 ** 2], ids=["no-disk-cap", "disk-cap"])
def test_python_and_the_course_are_visible_when_the_checkout_is_under_tmp(tmp_path, monkeypatch, disk):
    """A venv under /tmp must not vanish under the sandbox's own /tmp (with the disk cap, /tmp is a
    folder of the working folder's tmpfs)."""
    assert str(tmp_path).startswith("/tmp/")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    scratch, runtime = tmp_path / "scratch", tmp_path / "runtime"
    scratch.mkdir()
    runtime.mkdir()
    monkeypatch.setattr(sys, "executable", str(venv / "bin" / "python"))
    monkeypatch.setattr(sys, "prefix", str(venv))
    (scratch / "given.py").write_text("x = 1\n")
    # the venv's debugger, hidden in the sandbox where the venv is mounted (under /tmp with the disk cap: a
    # hub's environments in a state folder under /tmp failed every kernel's start, bwrap finding no parent)
    debugpy = venv / "lib" / "site-packages" / "debugpy"
    debugpy.mkdir(parents=True)
    (debugpy / "__init__.py").write_text("")
    found = sandbox.importlib.util.find_spec
    monkeypatch.setattr(sandbox.importlib.util, "find_spec", lambda name, *a: SimpleNamespace(
        submodule_search_locations=[str(debugpy)]) if name == "debugpy" else found(name, *a))
    spec = sandbox.KernelSettings(sandbox=True, assignment="a", scratch=str(scratch), disk=bool(disk),
                                  limits=Limits(memory_bytes=2 ** 31, file_bytes=10 ** 8, disk_bytes=disk or 1))
    cmd = sandbox.command(spec, str(runtime / "kernel.json"))
    cut = cmd.index("--")
    start = cut + 5 if disk else cut + 1  # keep the copy-in step (sh -c COPY_IN sh), drop the kernel
    probe = cmd[:start] + [str(venv / "bin" / "python"), "-c",
                           "import json, os; print(json.dumps([os.getcwd(), sorted(os.listdir('/course')), sorted(os.listdir('.')), "
                           f"os.listdir({str(debugpy)!r})]))"]
    out = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    cwd, course, here, debugger = json.loads(out.stdout)
    assert cwd == "/course/notebooks/a"
    # never autograder; with the disk cap, the submission is read-only beside the course and copied in
    assert course == ([".submission"] if disk else []) + ["cnn_student", "data", "notebooks"]
    assert here == ["given.py"]
    assert debugger == []
