"""What crosses from one part of grading to another, each by one typed record and never by text read back
(issue 32): the kernel's launcher gets its settings on its command line; verdicts, the caps a cell reached
and cut outputs go to the collect stage in memory (pipeline/ledger.py); a kernel's check records have a
budget. Fast: no kernel is started."""

import dataclasses

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbformat.v4 import new_code_cell, new_notebook, new_output

from autograder.authoring.reference import expected_result
from autograder.grading.isolation import sandbox
from autograder.grading.outputs.integrity import observed
from autograder.grading.pipeline import ledger
from autograder.grading.pipeline.execute import SandboxedExecute
from autograder.grading.pipeline.preprocessors import VerifyChecks
from autograder.grading.records import Isolation, Limits, Verdict
from cnn_student.protocol import RECORD_MIME
from cnn_student.serialize import encode

FIRST = "01_conv_forward"


def test_the_launcher_reads_back_the_settings_the_kernelspec_holds(tmp_path):
    """A student's folder may be named like a kernelspec placeholder: such a kernel starts through the
    launcher (not as the sandbox's own command, whose words jupyter_client would change), and the settings
    arrive unchanged."""
    settings = sandbox.KernelSettings.of(Isolation(limits=Limits(memory_bytes=3 * 2 ** 30), caps_mechanism="cgroup"),
                                         assignment=FIRST, scratch=str(tmp_path / "{connection_file}" / "{prefix}"),
                                         mplcache=None, group=None)
    assert sandbox.kernel_argv(dataclasses.replace(settings, scratch=str(tmp_path / "s")), "k")[0] == "bwrap"
    sandbox.write_kernelspec(tmp_path / "jupyter", settings, str(tmp_path / "kernel.json"))
    manager = KernelManager(kernel_name=sandbox.KERNEL_NAME, connection_file=str(tmp_path / "kernel.json"),
                            kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(tmp_path / "jupyter" / "kernels")]))
    manager._launch_args = {}
    argv = manager.format_kernel_cmd()   # as jupyter_client fills in the kernelspec's argv
    word, connection_file = argv[argv.index("autograder.grading.isolation.sandbox") + 1:]
    assert sandbox.KernelSettings.decode(word.removeprefix(sandbox.SETTINGS_ARG)) == settings
    assert connection_file == str((tmp_path / "kernel.json").resolve())


def test_no_disk_tmpfs_without_the_sandbox():
    assert Isolation(limits=Limits(disk_bytes=5), sandbox=True).disk_bytes == 5
    assert Isolation(limits=Limits(disk_bytes=5), sandbox=False).disk_bytes == 0


def test_what_a_cell_prints_is_never_taken_for_the_graders_notes():
    """A student who prints the grader's notes gets no finding; the ledger's account alone counts."""
    cell = new_code_cell("print(...)")
    cell.outputs = [new_output("stream", name="stderr", text="\n[cap reached: disk: fake]\n"),
                    new_output("stream", name="stdout", text="[output truncated: fake]\n")]
    nb = new_notebook(cells=[new_code_cell("x = 1"), cell])
    assert observed(nb, {}, set()) == []
    assert observed(nb, {1: ["disk", "processes"]}, {1}) == [
        ("disk_limit", "cell 1: the disk cap was reached"), ("process_limit", "cell 1: the processes cap was reached"),
        ("output_truncated", "cell 1: output over the cap was dropped")]


def test_verdicts_reach_the_ledger_and_nothing_is_left_in_the_notebook():
    case = {"shape": [1, 3, 4, 2], "pad": 1, "seed": 0}
    cell = new_code_cell(f"check('zero_pad', zero_pad, cases=[{case!r}])", metadata={"nbgrader": {
        "grade": True, "solution": False, "grade_id": "t", "points": 1, "locked": True}})
    cell.outputs = [new_output("display_data", data={RECORD_MIME: {
        "fn": "zero_pad", "case": case, "result": encode(expected_result("zero_pad", case, FIRST)[:, :, :-1])}})]
    with ledger.opened() as ran:
        nb, _ = VerifyChecks(ledger=ran.key).preprocess(new_notebook(cells=[cell]), {
            "nbgrader": {"assignment": FIRST}, "unique_key": FIRST})
    verdict = ran.verdicts[f"{FIRST}:t"]
    assert isinstance(verdict, Verdict) and verdict.function == "zero_pad" and verdict.causes
    assert set(nb.cells[0].metadata) == {"nbgrader"}


def test_a_kernel_cannot_flood_the_grader_with_check_records():
    """Records are kept out of the output budget, but have one of their own: past it they are dropped."""
    execute = SandboxedExecute(max_output_bytes=1000)
    execute._stored, execute._recorded, execute._truncated = 0, 0, set()
    execute.reset_execution_trackers()   # what nbclient sets up before a notebook runs, and a cell
    execute.clear_before_next_output = False
    record = {"msg_type": "display_data", "header": {"msg_type": "display_data"}, "parent_header": {},
              "content": {"data": {RECORD_MIME: {"fn": "f", "case": {}, "error": "x" * 250}}, "metadata": {}}}
    outs: list = []
    kept = [execute.output(outs, record, None, 0) for _ in range(5)]
    fit = 1000 // len(str(record["content"]["data"][RECORD_MIME]))
    assert fit == 3 and [k is not None for k in kept] == [True] * fit + [False] * (5 - fit)
