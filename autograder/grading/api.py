"""The grader's public API: everything outside autograder/grading/ calls the grader through this module
(tests/test_imports.py holds every caller to it), and the `grade` command itself grades through it.

    what                                   names                                  who calls it
    -------------------------------------  -------------------------------------  ------------------------------------
    the options, declared once             Grader, KernelPool, ALIASES, FLAGS     grading/cli.py, service/cli.py
    grading a class into OUT               grade_class, score_table               grading/cli.py (`grade`), the course's
                                                                                  Autograde (orchestrate/autograde.py),
                                                                                  demo/
    the grader's course folder             grader_folder, grader_folder_hash      bench/grader.py, bench/cluster.py
    grading submission after submission    Session (unit, grade, grader, close)   service/ (`serve`),
                                                                                  bench/profile_unit.py
    the machine's readiness                sandbox_available, Grader.isolation,   demo/, service/, deploy/
                                           sweep_leftovers, cgroup_v2_root,
                                           cgroup_parents, remove_groups,
                                           kill_until_gone
    the records that cross the boundary    Limits, Unit, UnitResult               service/, bench/
    pages                                  banner, with_banner, report,           service/, the launcher's `report`,
                                           class_summary                          demo/
    a kernel as the grader runs one        kernel_client                          authoring/run_notebook.py
                                           kernel_started_ahead                   bench/kernel_start.py

Importing this module is cheap (records, options, readiness, the page box: about 0.05 s of CPU), so that
deploy/ and the launcher can use it: the grading stages (orchestrate/, pipeline/, the report's
matplotlib; about 1.1 s of CPU, measured with `python -c "import ..."`) are imported inside the
functions that run them.
"""
from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

from ..authoring.course import Course
from ..paths import SOLUTIONS
from .isolation import kernel_caps, leftovers, sandbox
from .isolation.pool import KernelPool, Pool, Setting
from .isolation.readiness import held_limits
from .outputs.pagebox import banner, with_banner
from .records import Isolation, Limits, Unit, UnitResult
from .settings import ALIASES, FLAGS, Grader

__all__ = ["ALIASES", "FLAGS", "Grader", "KernelPool", "Limits", "Session", "Unit", "UnitResult", "banner",
           "cgroup_parents", "cgroup_v2_root", "class_summary", "grade_class", "grader_folder",
           "grader_folder_hash", "kernel_client", "kernel_started_ahead", "kill_until_gone", "remove_groups", "report", "sandbox_available",
           "score_table", "sweep_leftovers", "with_banner"]


def _options(grader: Grader, caps: Optional[str], assignments: Optional[list[str]] = None, **more: Any) -> Any:
    """The batch's Options for these settings (`assignments` instead of grader.assignments when given): built
    here only, for grade_class and Session alike."""
    from .orchestrate.batch import Options   # a stage: imported when used (docstring)
    return Options(jobs=max(1, grader.jobs), sandbox=grader.sandbox, show_hidden=grader.show_hidden,
                   assignments=(grader.assignments if assignments is None else assignments) or None,
                   caps_mechanism=caps, **more)


# ---------- grading a class
def grade_class(submissions: Path, out: Path, grader: Grader, caps: Optional[str], *,
                course: Optional[Course] = None, kernels_ahead: int = KernelPool.size.default_value,
                assignments: Optional[list[str]] = None, quiet: bool = False,
                units: Optional[frozenset[tuple[str, str]]] = None, regrade: bool = False,
                say: Optional[Callable[[str], None]] = None) -> list[UnitResult]:
    """Grade every (student, assignment) of `submissions` (nbgrader's submitted layout) that has no current
    result in `out`, on this machine or on `grader.scheduler`'s Dask cluster, then write OUT (grades.csv,
    causes.csv, integrity.csv, results.json, feedback/) and, when the submissions are `course`'s, the
    course (gradebook, autograded/, feedback/). Returns every unit's result.

    `grader` holds the options (jobs, sandbox, limits, scheduler, assignments, show_hidden); `caps` what
    holds the caps (Grader.isolation's answer; "auto": detected here; None: none); `assignments`, when
    given, instead of grader.assignments (empty: every assignment); `kernels_ahead` per grading process
    (KernelPool.size); `units` (student, assignment) to grade, the others only read for OUT (default all);
    `regrade` grades those again; `say` takes the lines for the instructor (default stderr); `quiet` drops
    the progress lines.
    Ctrl-C or SIGTERM raise KeyboardInterrupt after the grading processes are stopped.
    Callers: `grade` (grading/cli.py), the course's Autograde (orchestrate/autograde.py), `make demo`."""
    from .orchestrate import batch   # the stages: see the module's docstring
    more: dict[str, Any] = {} if say is None else {"say": say}   # else the batch's own: stderr
    opts = _options(grader, caps, assignments, limits=grader.limits(), course=course, kernels_ahead=kernels_ahead,
                    quiet=quiet, units=units, regrade=regrade, **more)
    if grader.scheduler:
        from .orchestrate import cluster   # Dask's distributed: 0.3 s of start-up that a local run does not pay
        return cluster.run(submissions, out, opts, grader.scheduler)
    return batch.run(submissions, out, opts)


def score_table(results: Iterable[UnitResult]) -> str:
    """The class's scores as the terminal shows them after `grade` (a table per assignment)."""
    from .outputs.aggregate import score_table as table   # a stage: imported when used (docstring)
    return table(list(results))


def grader_folder(out: Path, assignments: Optional[list[str]] = None, solutions: Path = SOLUTIONS) -> tuple[Path, str]:
    """OUT/.grader/master, the grader's own course folder (solutions/ and the gradebook nbgrader builds from
    it), built when missing or out of date with solutions/; returns (folder, its hash). grade_class and
    Session build it themselves; bench/ builds it ahead to keep that out of what it times."""
    from .orchestrate import master   # a stage: imported when used (docstring)
    return master.prepare(out, solutions, assignments)


def grader_folder_hash(assignments: Optional[list[str]] = None, solutions: Path = SOLUTIONS) -> str:
    """The hash that names a grader's course folder for these assignments (a Dask worker's cache keys its
    folders by it: bench/cluster.py seeds that cache)."""
    from .orchestrate import master   # a stage: imported when used (docstring)
    return master.master_hash(solutions, assignments)


# ---------- grading submission after submission
class Session:
    """The grader held by a client that grades one submission at a time, for as long as it runs (the
    grading service; bench/profile_unit.py): prepared once from the `Grader` settings, then `unit(...)` and
    `grade(unit) -> UnitResult` per submission, `close()` at the end.

    Prepared once: the grader's course folder under `folder` (folder/.grader/master, as grader_folder), the
    caps' mechanism (`caps` as Grader.isolation answered; "auto": detected here), the limits as this
    machine holds them (readiness.held_limits), and, with grader.scheduler, the Dask client with the
    check every worker passes when it joins (orchestrate/cluster.py). Each thread that grades gets its own
    grading process, kept for its next submission with `kernels_ahead` kernels started (its log in `logs`),
    or its unit goes to the cluster; `in_process` grades in this process instead (a profiler's view of it).
    Lines for the operator go to `say`."""

    def __init__(self, folder: Path, grader: Grader, caps: Optional[str], *, logs: Optional[Path] = None,
                 kernels_ahead: int = KernelPool.size.default_value, in_process: bool = False,
                 solutions: Path = SOLUTIONS, say: Callable[[str], None] = lambda line: print(line, file=sys.stderr)):
        # how every unit of the session is held: one record, built here once (as batch.plan does for grade;
        # "auto" resolved as it resolves it)
        mechanism = kernel_caps.detect()[0] if caps == "auto" else caps
        self.isolation = Isolation(limits=held_limits(grader.limits(), mechanism, grader.sandbox),
                                   sandbox=grader.sandbox, caps_mechanism=mechanism)
        self.opts = _options(grader, caps, limits=self.isolation.limits, quiet=True, kernels_ahead=kernels_ahead)
        self.master, self.digest = grader_folder(folder, self.opts.assignments, solutions)
        self.logs = logs or Path(folder) / ".grader" / "logs"
        self.in_process = in_process
        self.client: Any = None
        if grader.scheduler:
            from distributed import Client   # Dask's start-up cost only for a session on a cluster
            from .orchestrate import cluster, master
            self.client = Client(grader.scheduler, timeout=30)
            # workers with other solutions or no sandbox are refused when they join, as for grade --scheduler
            try:
                self.client.register_plugin(cluster.CourseCheck(master.solutions_hash(solutions), grader.sandbox,
                                                                caps is not None), name=cluster.PLUGIN)
            except cluster.Refused as err:
                say(str(err))
        self.graders: list[Any] = []
        self.lock = threading.Lock()
        self.mine = threading.local()

    def unit(self, student: str, assignment: str, submissions: Path, work: Path, out: Path) -> Unit:
        """The unit of `student`'s `assignment`, submitted in submissions/<student>/<assignment>/, graded in
        `work` (its course folder and result.json), its feedback pages written under `out`; hidden tests'
        code stays hidden (a student reads these pages before the deadline)."""
        return Unit(student=student, assignment=assignment, submissions=submissions, work=work, master=self.master,
                    master_hash=self.digest, out=out, isolation=self.isolation, show_hidden=False)

    def grader(self) -> "_LocalGrader | _ClusterGrader | _HereGrader":
        """A grader for one thread of the client (`grade(unit) -> UnitResult`, `stop()`); close() stops them all."""
        made: Any
        if self.client is not None:
            made = _ClusterGrader(self)
        elif self.in_process:
            made = _HereGrader(self)
        else:
            made = _LocalGrader(self)
        with self.lock:
            self.graders.append(made)
        return made

    def grade(self, unit: Unit) -> UnitResult:
        """Grade one unit with this thread's grader (made on its first unit); the result is also in unit.work."""
        if getattr(self.mine, "grader", None) is None:
            self.mine.grader = self.grader()
        return self.mine.grader.grade(unit)

    def close(self) -> None:
        """Stop every grader (their processes and kernels), close the cluster's client, and remove what any
        grading process left on this machine (leftovers.sweep)."""
        with self.lock:
            graders, self.graders = self.graders, []
        for made in graders:
            made.stop()
        if self.client is not None:
            self.client.close()   # closing twice is harmless (a cluster grader's stop closes it too)
        leftovers.sweep()


class _LocalGrader:
    """A grading process on this machine (orchestrate/worker.py), kept for the next unit."""

    def __init__(self, session: Session):
        self.session, self.worker = session, None
        session.logs.mkdir(parents=True, exist_ok=True)

    def grade(self, unit: Unit) -> UnitResult:
        from .orchestrate.batch import grade_in   # a stage: imported when used (docstring)
        s = self.session
        self.worker = grade_in(self.worker, unit, s.isolation.limits.unit_deadline(), s.logs / "worker.log",
                               kernels_ahead=s.opts.kernels_ahead)
        return UnitResult.read(unit.result_path)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None


class _ClusterGrader:
    """A Dask cluster's workers, through orchestrate/cluster.py as `grade --scheduler` uses them."""

    def __init__(self, session: Session):
        self.session = session

    def grade(self, unit: Unit) -> UnitResult:
        from .orchestrate import cluster   # a stage: imported when used (docstring)
        from .pipeline.unit import failure_result
        future = self.session.client.submit(cluster.grade_parcel, cluster.pack(unit, self.session.opts),
                                            key=f"serve-{unit.work.name}-{time.time_ns()}", pure=False)
        try:
            return future.result().write(unit)
        except Exception as err:   # a refused or lost worker: the grader's failure, not the student's
            return failure_result(unit, f"the cluster could not grade this submission ({type(err).__name__}: {err})",
                                  retry=True)

    def stop(self) -> None:
        self.session.client.close()   # the client is stopping: every thread's grader, at once


class _HereGrader:
    """Grading in this process (orchestrate/worker.py's UnitGrader, with its kernels started ahead)."""

    def __init__(self, session: Session):
        from .orchestrate.worker import UnitGrader   # a stage: imported when used (docstring)
        self.here = UnitGrader(session.opts.kernels_ahead)

    def grade(self, unit: Unit) -> UnitResult:
        return self.here.grade(unit)

    def stop(self) -> None:
        self.here.close()


# ---------- the machine's readiness
def sandbox_available() -> tuple[bool, str]:
    """(whether students' code can run in the bubblewrap sandbox here, why not)."""
    return sandbox.available()


def sweep_leftovers() -> list[str]:
    """Remove what grading processes that are gone left on this machine (their kernels' control groups, with
    any process still in them, and runtime folders); returns those units' work folders. The service sweeps
    when it starts; a Session when it closes; every grading process when it starts and stops."""
    return leftovers.sweep()


cgroup_v2_root = kernel_caps.v2_root
cgroup_parents = kernel_caps.parents
kill_until_gone = kernel_caps.kill_until_gone


def remove_groups(mechanism: str, dirs: list[str]) -> bool:
    """Kill every process in these control groups (`mechanism`'s: "cgroup1", "cgroup2"), then remove them, the
    deepest first; whether all went. deploy/cgroups.py removes the groups it delegated to the hub's accounts,
    the units' groups under them included."""
    return kernel_caps.remove(kernel_caps.Group(mechanism, list(dirs)))


# ---------- pages
def report(out: Path) -> str:
    """OUT/report.html, the instructor's report on a graded OUT (from OUT/results.json); returns the short
    table `report` prints."""
    from .outputs.report import report as make   # matplotlib: 0.4 s of start-up, for `report` only
    return make(out)


def class_summary(out: Path) -> str:
    """OUT/class_summary.html, the most common mistakes and what they mean, for the class (no student ids, no
    answers); returns the lines `report --for-students` prints."""
    from .outputs.report import class_summary as make   # a stage: imported when used (docstring)
    return make(out)


# ---------- a kernel as the grader runs one
def kernel_client() -> str:
    """The dotted name of the kernel client the grader gives nbclient (KernelManager.client_class): its waits
    poll in short slices, so a lost wake-up costs half a second, not a cell's time limit."""
    from .pipeline.kernel_client import DOTTED_NAME   # jupyter_client: 0.1 s that deploy/ does not pay
    return DOTTED_NAME


@contextmanager
def kernel_started_ahead(grader: Grader, caps: Optional[str]) -> Iterator[Path]:
    """One kernel started as a grading process's pool starts one ahead of its notebook (isolation/pool.py: its
    own sandbox, its control group with the grader's caps held by `caps`, its imports ahead) and destroyed as
    after its notebook when the block ends; yields its connection file."""
    mechanism = kernel_caps.detect()[0] if caps == "auto" else caps
    kernels = Pool(0, kernel_client())
    kernels.use(Setting(Isolation(limits=held_limits(grader.limits(), mechanism, grader.sandbox),
                                  sandbox=grader.sandbox, caps_mechanism=mechanism), mplcache=None))
    try:
        kernel = kernels.take()
        try:
            yield Path(kernel.manager.connection_file)
        finally:
            kernels.destroy(kernel)
    finally:
        kernels.shutdown()
