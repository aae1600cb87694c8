"""What a graded kernel does before the student's first cell (isolation/sandbox.py): it compiles none of
the code it imports (the student package's bytecode is written ahead by the grader, the environment's
by its install), writes none, imports nothing grading never uses, and runs the Python a kernel started
plainly runs. A kernel is started as the grader starts one ahead (api.kernel_started_ahead: the pool, its
sandbox and caps), on a copy of the student package that nothing has compiled yet, as in a fresh clone."""
import json
import shutil

import pytest
from jupyter_client import BlockingKernelClient

from autograder.grading import api
from autograder.grading.isolation import sandbox
from autograder.paths import STUDENT_PACKAGE

pytestmark = pytest.mark.slow

# In the kernel: the modules it imported whose bytecode it had to compile (none on disk for the source,
# or one that does not match it), whether it may write bytecode, and where it found the student package.
LOOK = r'''
import importlib.util, json, os, sys
def _compiled_here(module):
    spec = getattr(module, "__spec__", None)
    if not (spec and spec.has_location and spec.cached and (spec.origin or "").endswith(".py")):
        return False
    try:
        with open(spec.cached, "rb") as f:
            head = f.read(16)
    except OSError:
        return True
    if head[:4] != importlib.util.MAGIC_NUMBER:
        return True
    if int.from_bytes(head[4:8], "little") & 1:   # hash-based: checked against the source by the import
        return False
    st = os.stat(spec.origin)
    return (int.from_bytes(head[8:12], "little"), int.from_bytes(head[12:16], "little")) != \
        (int(st.st_mtime) & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF)
import cnn_student.checks
print(json.dumps({"compiled": sorted(n for n, m in list(sys.modules.items()) if _compiled_here(m)),
                  "writes": not sys.dont_write_bytecode,
                  "unused": [m for m in ("jedi", "matplotlib", "matplotlib_inline", "psutil") if m in sys.modules],
                  "file": cnn_student.checks.__file__,
                  "code_file": next(f.__code__.co_filename for f in vars(cnn_student.checks).values()
                                    if getattr(f, "__module__", "") == "cnn_student.checks"
                                    and hasattr(f, "__code__"))}))
'''


def run_in_a_graded_kernel(code: str) -> dict:
    """`code`'s one printed JSON line, run in a kernel started as the grader starts one ahead, in its sandbox."""
    with api.kernel_started_ahead(api.Grader(), "auto") as connection_file:
        client = BlockingKernelClient(connection_file=str(connection_file))
        client.load_connection_file()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=60)
            out = []
            reply = client.execute_interactive(code, timeout=60, output_hook=lambda msg: out.append(
                msg["content"].get("text", "") if msg["msg_type"] == "stream" else ""))
        finally:
            client.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    return json.loads("".join(out))


@pytest.fixture
def fresh_package(tmp_path, monkeypatch):
    """A copy of the student package without bytecode, which the grader's kernels import."""
    copy = tmp_path / STUDENT_PACKAGE.name
    shutil.copytree(STUDENT_PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(sandbox, "STUDENT_PACKAGE", copy)
    return copy


def test_a_graded_kernel_compiles_nothing_it_imports_writes_no_bytecode_and_imports_nothing_unused(fresh_package):
    seen = run_in_a_graded_kernel(LOOK)
    assert seen["compiled"] == []
    assert not seen["writes"]
    assert seen["unused"] == []   # completion, figures, process statistics: imported when used, not ahead
    # bytecode compiled on the host names the source where the kernel found it: tracebacks read as before
    assert seen["file"].startswith(f"{sandbox.COURSE}/{STUDENT_PACKAGE.name}/")
    assert seen["code_file"] == seen["file"]


# What a student's code can see of the interpreter it runs in (all but the kernel's own connection file)
PYTHON = r'''
import gc, json, sys
print(json.dumps({"gc": [gc.isenabled(), gc.get_threshold()], "argv0": sys.argv[0], "path": sys.path,
                  "modules": sorted(sys.modules), "main": [__name__, type(sys.modules["__main__"]).__name__],
                  "flags": list(sys.flags)}))
'''


def test_a_graded_kernel_runs_the_python_that_python_m_ipykernel_launcher_runs(monkeypatch):
    """The grading kernel's start (sandbox.START: the collector off until its imports ahead are done) leaves
    a student's code the interpreter of a kernel started plainly, with the same imports ahead."""
    graded = run_in_a_graded_kernel(PYTHON)
    command = sandbox.command

    def plainly(spec, connection_file):
        argv = command(spec, connection_file)
        at = argv.index(sandbox.START)
        argv[at - 1:at + 1] = ["-m", "ipykernel_launcher"]
        argv.remove(f"--IPKernelApp.exec_lines={sandbox.GC_ON}")
        return argv

    monkeypatch.setattr(sandbox, "command", plainly)
    plain = run_in_a_graded_kernel(PYTHON)
    assert graded == plain
    assert graded["gc"][0]
