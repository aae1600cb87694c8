"""The grader's options, declared once as traits of `Grader`: `grade` and `serve` take them on the command
line (`--Grader.memory=2GiB`, or the short `--memory 2GiB`) and from the course's nbgrader_config.py
(`c.Grader.memory = "2GiB"`), as nbgrader's own options are set. The limits become the frozen `Limits`
record (records.py) here, in one place; that record is what travels to the workers and the kernels."""
from __future__ import annotations

import os
from typing import Any

from traitlets import Bool, Integer, List, Unicode
from traitlets.config import Configurable

from .isolation.readiness import caps_or_refusal
from .records import Limits, parse_size, size_text


class Size(Integer):
    """A number of bytes, given as one (`1024`) or with a unit (`500k`, `200MiB`, `2G`; powers of 1024)."""
    info_text = "a size: bytes, or with k, M or G (powers of 1024), as 200MiB or 2G"

    def validate(self, obj: Any, value: Any) -> int:
        if isinstance(value, str):
            try:
                value = parse_size(value)
            except (ValueError, IndexError):
                self.error(obj, value)
        return super().validate(obj, value)

    def from_string(self, s: str) -> Any:
        return s   # validate() reads the units

    def default_value_repr(self) -> str:
        return repr(size_text(self.default_value))


class Grader(Configurable):
    """How students' notebooks are graded (`grade`, `serve`, the course's Autograde): the machine's share and
    the isolation of each kernel. Caps on each kernel: what a cell gets past them fails, named in its
    feedback and integrity.csv."""
    jobs = Integer(os.cpu_count() or 1, help="students graded at once on this machine (default: its cores); with "
                                             "scheduler: submissions handed to the cluster at once (serve)"
                   ).tag(config=True)
    scheduler = Unicode("", help="tcp://HOST:PORT: grade on the Dask cluster of this scheduler instead of this "
                                 "machine (README, 'Grading on a cluster'); empty: here").tag(config=True)
    assignments = List(Unicode(), help="only these assignments (--assignment A, repeatable); empty: every "
                                       "assignment (grade in a course: those its students submitted)"
                       ).tag(config=True)
    sandbox = Bool(True, help="run students' code in the bubblewrap sandbox; False (--no-sandbox) only where the "
                              "sandbox cannot work: their code then runs with your rights").tag(config=True)
    caps = Bool(True, help="hold the memory, process and disk caps below: a control group per graded unit, which "
                           "every kernel joins (cgroup v2 where the grader's own group delegates memory and pids; "
                           "else cgroup v1's hierarchies, as root; else `systemd-run --user --scope`); the first "
                           "that works is used and named when grading starts, and with none grading refuses and "
                           "says why. False (--no-caps): none, only on a machine with nothing to protect"
                ).tag(config=True)
    show_hidden = Bool(False, help="show hidden tests' code in the feedback (grade)").tag(config=True)
    timeout = Integer(Limits.timeout, help="seconds per cell").tag(config=True)
    notebook_timeout = Integer(Limits.notebook_timeout, help="seconds per notebook; later cells are not run"
                               ).tag(config=True)
    memory = Size(Limits.memory_bytes, help="memory cap per kernel, its files in /tmp included (they are memory); "
                                            "a single bigger allocation gets MemoryError").tag(config=True)
    max_output = Size(Limits.max_output_bytes, help="stored output per notebook; the rest is dropped with a note"
                      ).tag(config=True)
    max_file = Size(Limits.file_bytes, help="largest file a kernel may write").tag(config=True)
    processes = Integer(Limits.processes, help="processes and threads per kernel (one uses about 10)"
                        ).tag(config=True)
    disk = Size(Limits.disk_bytes, help="all a kernel may write: its working folder and /tmp are one in-memory "
                                        "file system of this size (bubblewrap --size, 0.7 or later), into which "
                                        "the submission is copied; nothing it writes reaches the disk"
                ).tag(config=True)

    def isolation(self, command: str) -> "str | None | bool":
        """What holds the caps here (None: no caps; "auto": each cluster worker's own), or False after
        saying why students' code cannot run isolated (readiness.py)."""
        return caps_or_refusal(not self.sandbox, not self.caps, self.scheduler or None, command)

    def limits(self) -> Limits:
        """The record every unit carries: what one submitted notebook may use."""
        return Limits(timeout=self.timeout, notebook_timeout=self.notebook_timeout, memory_bytes=self.memory,
                      max_output_bytes=self.max_output, file_bytes=self.max_file, processes=self.processes,
                      disk_bytes=self.disk)


# the short forms on grade's and serve's command lines: `--memory 2GiB` is `--Grader.memory=2GiB`
ALIASES = {"jobs": "Grader.jobs", "scheduler": "Grader.scheduler", "assignment": "Grader.assignments",
           "timeout": "Grader.timeout", "notebook-timeout": "Grader.notebook_timeout", "memory": "Grader.memory",
           "max-output": "Grader.max_output", "max-file": "Grader.max_file", "processes": "Grader.processes",
           "disk": "Grader.disk"}
FLAGS = {"no-sandbox": ({"Grader": {"sandbox": False}}, "run students' code without isolation (Grader.sandbox)"),
         "no-caps": ({"Grader": {"caps": False}}, "no memory, process or disk caps (Grader.caps)")}
