"""nbgrader's Execute step, hardened: a kernel that dies, a notebook that runs too long or prints
too much costs the cells concerned, with the reason written where the student will read it."""
from __future__ import annotations

import time
from typing import Any

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Integer

from cnn_student.checks import RECORD_MIME


# seconds spent per stage by the last notebooks run in this process (the unit adds them to its timings):
# "kernel_start" (sandbox and kernel up, until the first cell starts) and "cells"
TIMINGS: dict[str, float] = {}


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])


class SandboxedExecute(Execute):
    """Runs each cell in the sandboxed kernel (kernel_name is set to the grading kernelspec)."""

    max_output_bytes = Integer(1_000_000, help="stored output per notebook; the rest is dropped with a note").tag(config=True)
    notebook_timeout = Integer(600, help="seconds for the whole notebook; later cells are not run").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None):
        self._stored = 0
        self._truncated: set[int] = set()
        self._stopped: str | None = None
        self._deadline = time.monotonic() + self.notebook_timeout
        self._started = time.perf_counter()
        self._first_cell: float | None = None
        try:
            return super().preprocess(nb, resources, km)
        finally:
            end = time.perf_counter()
            first = self._first_cell or end
            TIMINGS["kernel_start"] = round(TIMINGS.get("kernel_start", 0.0) + first - self._started, 3)
            TIMINGS["cells"] = round(TIMINGS.get("cells", 0.0) + end - first, 3)

    def preprocess_cell(self, cell: NotebookNode, resources: Any, index: int):
        if cell.cell_type != "code":
            return cell, resources
        if self._first_cell is None:
            self._first_cell = time.perf_counter()
        if self._stopped is None and time.monotonic() > self._deadline:
            self._stopped = (f"not run: the notebook used up its {self.notebook_timeout} s time limit "
                             "(look for a cell that runs for a very long time or never ends)")
        if self._stopped:
            cell.outputs = [error_output("NotRun", self._stopped)]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            cell.outputs.append(error_output(
                "KernelDied", "the Python kernel stopped while running this cell (exit(), os._exit(), a "
                "crash, or more memory than allowed); the cells after it were not run"))
            self._stopped = "not run: the kernel stopped in an earlier cell (see the KernelDied error above)"
        if index in self._truncated:
            cell.outputs.append(NotebookNode(output_type="stream", name="stderr", text=(
                f"\n[output truncated: this notebook printed more than {self.max_output_bytes // 1000} kB; "
                "the grader kept the beginning]\n")))
        return cell, resources

    def output(self, outs: list, msg: dict, display_id: Any, cell_index: int):
        content = msg.get("content", {})
        is_record = RECORD_MIME in content.get("data", {})
        size = len(str(content.get("text", ""))) + sum(len(str(v)) for v in content.get("data", {}).values())
        # check records are small and needed for the grade; everything else shares the budget
        if not is_record:
            if self._stored + size > self.max_output_bytes and msg["msg_type"] in (
                    "stream", "display_data", "execute_result", "update_display_data"):
                self._truncated.add(cell_index)
                return None
            self._stored += size
        return super().output(outs, msg, display_id, cell_index)
