"""Every benchmark script runs: each has a tiny run here (a few submissions, seconds), so that a moved
module or a changed interface breaks a test, not the next measurement. What they measure is measured
by hand (bench/README.md); these runs check only that each script runs to its end and prints its
figures."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
# script -> (whether it takes the session's grader folder for notebook 1, what its output must hold)
TINY = {
    "vs_loops.py": (False, "ratio loops/vectorized"),
    "vs_pytorch.py": (False, "ms"),
    "numerical_backprop.py": (False, "times the loop backward"),
    "notebook_times.py": (False, "tiny.ipynb"),
    "stalls.py": (False, "slowest cells"),
    "profile_unit.py": (True, "CPU per unit"),
    "grader.py": (True, "s of wall time per notebook"),
    "identical.py": (True, "identical: grades.csv"),
    "service.py": (True, "one at a time, 1: median"),
    "cluster.py": (True, "cluster / local"),
}


# needs root and a JupyterHub with its accounts (about a minute): with the hub's own tests, `make test-hub`
SLOW = {"hub.py": "2 students through a JupyterHub"}


def test_every_bench_script_has_a_tiny_run():
    assert sorted(p.name for p in BENCH.glob("*.py") if p.name != "common.py") == sorted({**TINY, **SLOW})


@pytest.mark.slow
@pytest.mark.hub
@pytest.mark.parametrize("script", sorted(SLOW))
def test_tiny_run_on_a_hub(script):
    if os.geteuid() != 0:
        pytest.skip("the hub's accounts are real Unix users: run as root")
    prefix = os.environ.get("CNN_HUB_TEST_PREFIX", "cnnt-") + "b"   # accounts of their own
    done = subprocess.run([sys.executable, str(BENCH / script), "--tiny", "--prefix", prefix, "--port", "0"],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "median" in done.stdout, done.stdout[-3000:]


@pytest.mark.parametrize("script", sorted(TINY))
def test_tiny_run(script, first_master):
    seeded, expected = TINY[script]
    cmd = [sys.executable, str(BENCH / script), "--tiny"] + (["--master", str(first_master)] if seeded else [])
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert expected in done.stdout, done.stdout[-3000:]
