"""Run every solutions notebook top to bottom in a fresh kernel and print its wall time.

    .venv/bin/python bench/notebook_times.py [--tiny]

Times include kernel start-up. The goal (a student runs a notebook top to bottom without waiting): each loop-based notebook under 10 s, the
parameter-sharing notebook (training included) under 15 s, on a 2-core machine.
"""
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from autograder.authoring.run_notebook import errors, execute  # noqa: E402
from common import load, tiny_notebook  # noqa: E402

if __name__ == "__main__":
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, python {platform.python_version()}; {load()}")
    print(f"{'notebook':45s} {'seconds':>8s}  errors")
    with tempfile.TemporaryDirectory() as tmp:
        paths = [tiny_notebook(Path(tmp))] if "--tiny" in sys.argv[1:] else sorted((ROOT / "solutions").glob("*/*.ipynb"))
        for path in paths:
            nb, seconds = execute(path, allow_errors=True)
            print(f"{path.parent.name + '/' + path.name:45s} {seconds:8.1f}  {len(errors(nb))}")
