"""The kernel sandbox works wherever the project is checked out, /tmp included."""
import subprocess
import sys

import pytest

from autograder.grading import sandbox

pytestmark = pytest.mark.slow


def test_sandbox_is_available_here():
    ok, why = sandbox.available()
    assert ok, why


def test_python_and_the_course_are_visible_when_the_checkout_is_under_tmp(tmp_path, monkeypatch):
    """A venv under /tmp must not vanish under the sandbox's own /tmp."""
    assert str(tmp_path).startswith("/tmp/")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    scratch, runtime = tmp_path / "scratch", tmp_path / "runtime"
    scratch.mkdir()
    runtime.mkdir()
    monkeypatch.setattr(sys, "executable", str(venv / "bin" / "python"))
    monkeypatch.setattr(sys, "prefix", str(venv))
    spec = {"sandbox": True, "assignment": "a", "scratch": str(scratch), "memory_bytes": 2 ** 31,
            "file_bytes": 10 ** 8}
    cmd = sandbox.command(spec, str(runtime / "kernel.json"))
    cut = cmd.index("--")
    probe = cmd[:cut + 1] + [str(venv / "bin" / "python"), "-c",
                             "import os; print(os.getcwd(), sorted(os.listdir('/course')))"]
    out = subprocess.run(probe, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["/course/notebooks/a", "['cnn_student',", "'data',", "'notebooks']"]  # never autograder
