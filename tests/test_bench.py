"""Every benchmark script runs: each has a tiny run here (--tiny: a few submissions, one notebook), so that
a moved module or a changed interface breaks a test, not the next measurement. What they measure is
measured by hand (bench/README.md); these runs check only that each script runs to its end and prints
its figures.

The fast tier (`make test-fast`) runs the scripts that need at most one kernel, and imports every
other one (its module-level imports: where a moved module shows); the tiny runs that grade (a grading
process, a service: 10-30 s each on 2 cores) are in `make test`. Two tiny runs are left to be run by
hand (`--tiny`), to keep `make test` within its budget (the bench tiny runs may add about 60 s of
its wall time): bench/cluster.py's (a Dask LocalCluster, 54 s + 20 s of set-up under load 13;
tests/test_cluster.py grades on one) and bench/hub.py's (root, accounts and a JupyterHub whose
students' environment it builds, minutes; tests/test_hub.py runs the hub).
"""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
# script -> what its tiny run's output must hold
QUICK = {
    "vs_loops.py": "ratio loops/vectorized",
    "vs_pytorch.py": "ms",
    "numerical_backprop.py": "times the loop backward",
    "notebook_times.py": "tiny.ipynb",
    "stalls.py": "slowest cells",
    "kernel_start.py": "CPU per kernel",
}
# these start from the session's grader folder for notebook 1 (--master)
GRADING = {
    "profile_unit.py": "CPU per unit",
    "grader.py": "s of wall time per notebook",
    "identical.py": "identical: grades.csv",
    "service.py": "one at a time, 1: median",
}
BY_HAND = ("cluster.py", "hub.py")   # tiny runs not in the suite (see above)


def tiny(script: str, tmp: Path, *extra: str) -> str:
    """The script's tiny run, its temporary files in `tmp` (TMPDIR): where it leaves any, a user's /tmp
    would keep them."""
    scratch = tmp / "tmpdir"
    scratch.mkdir()
    done = subprocess.run([sys.executable, str(BENCH / script), "--tiny", *extra], capture_output=True, text=True,
                          timeout=900, env=dict(os.environ, TMPDIR=str(scratch)))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert not list(scratch.iterdir()), f"{script} left {sorted(p.name for p in scratch.iterdir())} in its TMPDIR"
    return done.stdout


def test_every_bench_script_has_a_tiny_run():
    assert sorted(p.name for p in BENCH.glob("*.py") if p.name != "common.py") == sorted([*QUICK, *GRADING, *BY_HAND])
    assert all('"--tiny"' in (BENCH / script).read_text() for script in BY_HAND)


@pytest.mark.parametrize("script", sorted(QUICK))
def test_tiny_run(script, tmp_path):
    out = tiny(script, tmp_path)
    assert QUICK[script] in out, out[-3000:]


@pytest.mark.parametrize("script", sorted([*GRADING, *BY_HAND]))
def test_the_grading_scripts_import(script, monkeypatch):
    """Their module-level imports, in this process (the tiny runs below run them whole)."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    try:
        spec = importlib.util.spec_from_file_location(f"bench_{Path(script).stem}", BENCH / script)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert callable(module.main)
    finally:   # bench/'s own modules (common, grader, ...) do not stay importable by those names
        for name in set(sys.modules) - before:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(str(BENCH)):
                del sys.modules[name]


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(GRADING))
def test_tiny_run_of_a_grading_script(script, first_master, tmp_path):
    out = tiny(script, tmp_path, "--master", str(first_master))
    assert GRADING[script] in out, out[-3000:]
