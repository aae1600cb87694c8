"""nbgrader's Execute step, hardened: a kernel that dies, a notebook that runs too long or prints
too much, or reaches a cap on memory, processes or disk, costs the cells concerned, with the reason
written where the student will read it."""
from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from jupyter_core.utils import run_sync
from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Dict, Integer, Unicode

from cnn_student.protocol import is_record

from ..isolation import kernel_caps, pool, sandbox
from . import ledger, needed
from ..records import Limits, size_text

CAP_NOTE = "[cap reached: "  # what the student reads; the grader's own account of it is the unit's ledger


def error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])  # uncoloured: red on pink is 2.7:1


def _note(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stderr", text=f"\n{CAP_NOTE}{text}]\n")


class SandboxedExecute(Execute):
    """Runs each cell in the sandboxed kernel (kernel_name is set to the grading kernelspec)."""

    # defaults from the one record of the limits; the unit's run stage sets both from its own
    max_output_bytes = Integer(Limits().max_output_bytes, help="stored output per notebook").tag(config=True)
    notebook_timeout = Integer(Limits().notebook_timeout, help="seconds for the whole notebook").tag(config=True)
    # one stream output per name and cell: how a cell's prints are split depends on timing, not on its
    # code, and feedback pages must not differ between two runs (nbclient's trait is not configurable)
    coalesce_streams = Bool(True)
    release_dir = Unicode("", help="the released assignment: its teaching cells, unchanged in a submission, "
                          "run only when a cell that runs needs them (needed.py)").tag(config=True)
    disk_bytes = Integer(0, help="the kernel's disk cap, named where a write past it failed (0: none)").tag(config=True)
    caps_group = Dict(help="the unit's control group (kernel_caps.Group.to_json), whose memory and process "
                      "caps a cell's outcome names; empty: no caps").tag(config=True)
    ledger = Unicode("", help="the unit's ledger (pipeline/ledger.py), which gets each notebook's seconds "
                     "(kernel_start: sandbox and kernel up, until the first cell starts; cells), the caps its cells "
                     "reached and the cells whose output was cut; '': none kept").tag(config=True)
    pool_key = Unicode("", help="the grading process's pool of kernels started ahead (isolation/pool.py), "
                       "ready for this unit's settings; '': the notebook's kernel starts here").tag(config=True)
    submission = Unicode("", help="the unit's copy of the submission: what a kernel taken from the pool "
                         "gets in its working folder").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: Any = None, km: Any = None):
        self._stored = 0
        self._recorded = 0
        self._ledger = ledger.find(self.ledger)
        self._notebook = (resources or {}).get("unique_key", "")
        self._truncated: set[int] = set()
        self._stopped: str | None = None
        self._deadline = time.monotonic() + self.notebook_timeout
        self._started = time.perf_counter()
        self._pooled = self._take_from_pool() if self.pool_key and km is None else None
        group_json = self.caps_group if not self._pooled else (self._pooled.group.to_json() if self._pooled.group else {})
        self._group = kernel_caps.Group.from_json(group_json) if group_json else None
        self._ooms = kernel_caps.oom_kills(self._group) if self._group else 0
        self._refused = kernel_caps.refused_forks(self._group) if self._group else 0
        self._first_cell: float | None = None
        self._skipped = self._teaching_cells_to_skip(nb, resources)
        try:
            return super().preprocess(nb, resources, self._pooled.manager if self._pooled else km)
        finally:
            if self._pooled:
                self._destroy_pooled()
            end = time.perf_counter()
            first = self._first_cell or end
            if self._ledger:
                self._ledger.add_timings({"kernel_start": first - self._started, "cells": end - first})

    # ---- a kernel started ahead: the submission reaches it only now that it is this unit's
    def _take_from_pool(self) -> pool.PooledKernel:
        kernel = pool.Pool.find(self.pool_key).take()
        try:
            shutil.copytree(self.submission, kernel.inbox, symlinks=True, dirs_exist_ok=True)
        except BaseException:
            pool.Pool.find(self.pool_key).destroy(kernel)
            raise
        return kernel

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        if self._pooled:   # before the first cell: the submission into the working folder, which becomes current
            assignment = Path(self.submission).name
            await self.async_wait_for_reply(kc.execute(sandbox.claim_code(assignment), silent=True,
                                                       store_history=False))
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)   # nbclient's is bound to its own

    def _destroy_pooled(self) -> None:
        """nbclient leaves a kernel it was given running: it is destroyed here, after its one notebook."""
        if self.kc is not None:
            self.kc.stop_channels()
            self.kc = None
        pool.Pool.find(self.pool_key).destroy(self._pooled)
        self._pooled = None

    def _teaching_cells_to_skip(self, nb: NotebookNode, resources: Any) -> set[int]:
        released = Path(self.release_dir) / f"{(resources or {}).get('unique_key', '')}.ipynb"
        if not self.release_dir or not released.is_file():
            return set()
        cells = needed.released(released).cells
        return needed.skipped(nb.cells, [c.source for c in cells if c.cell_type == "code"])

    def _cap_notes(self, cell: NotebookNode, index: int) -> None:
        """Name the cap a cell reached, where the student reads the cell's outcome, and in the unit's ledger."""
        errors = [o for o in cell.outputs if o.get("output_type") == "error"]
        disk = self.disk_bytes
        if disk and any("[Errno 28]" in str(o.get("evalue", "")) for o in errors):
            self._reached(cell, index, "disk", f"this notebook may write {size_text(disk)} in all, its working "
                          "folder and /tmp together; the write that went past it failed")
        if self._group:
            refused = kernel_caps.refused_forks(self._group)
            if refused > self._refused:
                self._refused = refused
                self._reached(cell, index, "processes", f"this notebook may run {self._group.limits.processes} "
                              "processes and threads at once; starting more failed")

    def _reached(self, cell: NotebookNode, index: int, cap: str, text: str) -> None:
        cell.outputs.append(_note(f"{cap}: {text}"))
        if self._ledger:
            self._ledger.reached(self._notebook, index, cap)

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
        if index in self._skipped:
            cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=needed.NOTE + "\n")]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            if self._group and kernel_caps.oom_kills(self._group) > self._ooms:
                cell.outputs.append(error_output(
                    "MemoryCapExceeded", f"the Python kernel was stopped in this cell: it used more than its "
                    f"memory cap of {size_text(self._group.limits.memory_bytes)} (arrays and files in /tmp count "
                    "together); the cells after it were not run"))
            else:
                cell.outputs.append(error_output(
                    "KernelDied", "the Python kernel stopped while running this cell (exit(), os._exit(), a "
                    "crash, or more memory than allowed); the cells after it were not run"))
            self._stopped = "not run: the kernel stopped in an earlier cell (see the error above)"
        self._cap_notes(cell, index)
        if index in self._truncated:
            if self._ledger:
                self._ledger.truncated.setdefault(self._notebook, set()).add(index)
            cell.outputs.append(NotebookNode(output_type="stream", name="stderr", text=(
                f"\n[output truncated: this notebook printed more than {self.max_output_bytes // 1000} kB; "
                "the grader kept the beginning]\n")))
        return cell, resources

    def output(self, outs: list, msg: dict, display_id: Any, cell_index: int):
        content = msg.get("content", {})
        recorded = is_record(content)
        size = len(str(content.get("text", ""))) + sum(len(str(v)) for v in content.get("data", {}).values())
        # check records are small and needed for the grade: a budget of their own, as large as the output's
        # (what a kernel sends is hostile: records past it are dropped, and their checks fail as never run)
        if recorded:
            self._recorded += size
            if self._recorded > self.max_output_bytes:
                return None
        else:
            if self._stored + size > self.max_output_bytes and msg["msg_type"] in (
                    "stream", "display_data", "execute_result", "update_display_data"):
                self._truncated.add(cell_index)
                return None
            self._stored += size
        return super().output(outs, msg, display_id, cell_index)
