"""`python -m autograder grade`: every (student, assignment) of a submissions folder, in parallel,
resumable, each unit in a worker process with a deadline."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

from ...paths import SOLUTIONS, child_env
from ...authoring.release import assignments
from . import course, master as master_mod
from ...authoring.course import Course, find_course
from .course import on_stderr
from ..isolation import kernel_caps, leftovers
from ..isolation.pool import KernelPool
from ..isolation.readiness import held_limits
from ..outputs.aggregate import write_outputs
from ..records import Isolation, Limits, Unit, UnitResult, size_text
from ..pipeline.unit import failure_result


@dataclass
class Options:
    """How a batch runs (the limits each submission runs under are in `limits`)."""
    jobs: int = os.cpu_count() or 1
    sandbox: bool = True
    limits: Limits = field(default_factory=Limits)
    show_hidden: bool = False
    quiet: bool = False
    assignments: Optional[list[str]] = None  # default: every assignment in solutions/
    caps_mechanism: Optional[str] = "auto"  # what holds the memory and process caps (kernel_caps), "auto"; None: none
    course: Optional[Course] = None  # the nbgrader course the submissions belong to, when the caller found it
    kernels_ahead: int = KernelPool.size.default_value  # per grading process (KernelPool.size, the course's config)
    # (student, assignment) of the units to grade (None: all); the others' results are only read, for OUT's CSVs
    units: Optional[frozenset[tuple[str, str]]] = None
    regrade: bool = False            # grade those again even where they have a current result
    say: Callable[[str], None] = on_stderr  # where lines for the instructor go (grade: stderr)


def students(submissions: Path) -> list[str]:
    return sorted(p.name for p in submissions.iterdir() if p.is_dir() and not p.name.startswith("."))


def plan(submissions: Path, out: Path, opts: Options, solutions: Path = SOLUTIONS) -> tuple[list[Unit], list[Unit]]:
    """(units still to grade, all units). A unit with a result from the same solutions is done,
    unless the grader itself failed on it (then it is tried again)."""
    master, digest = master_mod.prepare(out, solutions, opts.assignments)
    mechanism = kernel_caps.detect()[0] if opts.caps_mechanism == "auto" else opts.caps_mechanism
    # the one record of how students' code is held, for every unit of the batch (records.Isolation)
    isolation = Isolation(limits=held_limits(opts.limits, mechanism, opts.sandbox), sandbox=opts.sandbox,
                          caps_mechanism=mechanism)
    units, todo = [], []
    for student in students(submissions):
        for assignment in assignments(solutions):
            if opts.assignments and assignment not in opts.assignments:
                continue
            unit = Unit(student=student, assignment=assignment, submissions=submissions.resolve(),
                        work=out.resolve() / ".grader" / "units" / student / assignment, master=master.resolve(),
                        master_hash=digest, out=out.resolve(), isolation=isolation,
                        show_hidden=opts.show_hidden)
            units.append(unit)
            if opts.units is not None and (student, assignment) not in opts.units:
                continue
            result = UnitResult.read(unit.result_path)
            if opts.regrade or result is None or result.master_hash != digest or result.retry:
                todo.append(unit)
    return todo, units


class Worker:
    """A grading process (worker.py), kept for unit after unit, which keeps `kernels_ahead` kernels
    started for its next units. Killing one (its deadline, Ctrl-C, SIGTERM, the service stopping) goes
    through `stop`, which also removes what its unit and its kernels started ahead held (leftovers.sweep)."""

    live: set["Worker"] = set()    # every running one, for stop_all
    lock = threading.Lock()

    def __init__(self, log: Path, kernels_ahead: int = KernelPool.size.default_value):
        leftovers.sweep()   # what grading processes killed outright left on this machine
        self.log = open(log, "a")
        self.proc = subprocess.Popen([sys.executable, "-m", "autograder.grading.orchestrate.worker",
                                      f"--KernelPool.size={kernels_ahead}"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, start_new_session=True,
                                     env=child_env(PYTHONUNBUFFERED="1"))
        self.replies: queue.Queue = queue.Queue()
        with Worker.lock:
            Worker.live.add(self)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            try:
                self.replies.put(json.loads(line))
            except json.JSONDecodeError:
                continue  # not an answer (the worker keeps its stdout for answers only)
        self.replies.put(None)  # the worker ended

    def grade(self, unit: Unit, deadline: float,
              cancelled: Optional[Callable[[], bool]] = None) -> tuple[bool, str]:
        """(whether the worker is still usable, why not); a grader error on the unit is logged.
        `cancelled` is asked every few seconds while the unit runs (a cluster run that was stopped)."""
        self.proc.stdin.write(unit.to_json() + "\n")
        self.proc.stdin.flush()
        end = time.monotonic() + deadline
        while True:
            left = end - time.monotonic()
            try:
                reply = self.replies.get(timeout=max(0.0, min(left, 2.0) if cancelled else left))
                break
            except queue.Empty:
                if time.monotonic() >= end:
                    return False, f"grading was stopped after {int(deadline)} s (the notebook's time limit was exceeded)"
                if cancelled():
                    return False, "grading was cancelled"
        if reply is None:
            return False, "the grading process of this submission crashed"
        if not reply.get("ok"):
            print(f"\nthe grader failed on {unit.student}/{unit.assignment}: {reply.get('error')} "
                  "(recorded as grading_error; graded again on the next run)", file=sys.stderr)
        return True, ""

    def stop(self) -> None:
        """Kill the grading process (its kernels die with it), then remove what its unit held."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log.close()
        with Worker.lock:
            Worker.live.discard(self)
        leftovers.sweep()

    def finish(self) -> None:
        """No more units: the grading process ends by itself, its kernels started ahead with it."""
        self.proc.stdin.close()
        self.proc.wait()
        self.log.close()
        with Worker.lock:
            Worker.live.discard(self)

    @classmethod
    def stop_all(cls) -> None:
        with cls.lock:
            workers = list(cls.live)
        for worker in workers:
            worker.stop()


def grade_in(worker: Optional[Worker], unit: Unit, deadline: float, log: Path,
             cancelled: Optional[Callable[[], bool]] = None,
             kernels_ahead: int = KernelPool.size.default_value) -> Optional[Worker]:
    """Grade one unit in a worker process (started when `worker` is None), stopped at its deadline;
    returns the worker if it can take another unit. Local batches and cluster workers both grade here."""
    worker = worker or Worker(log, kernels_ahead)
    ok, why = worker.grade(unit, deadline, cancelled)
    if ok:
        return worker
    worker.stop()
    failure_result(unit, why)
    return None


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """SIGTERM stops a batch as Ctrl-C does (KeyboardInterrupt in the main thread), so that it kills
    its grading processes and removes what they held instead of leaving them behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Progress:
    def __init__(self, total: int, quiet: bool):
        self.total, self.done, self.start, self.quiet = total, 0, time.monotonic(), quiet
        self.lock = threading.Lock()
        self.tty = sys.stderr.isatty()
        self.last_line = -1

    def step(self, label: str) -> None:
        with self.lock:
            self.done += 1
            if self.quiet:
                return
            elapsed = time.monotonic() - self.start
            left = elapsed / self.done * (self.total - self.done)
            bar = "#" * int(30 * self.done / self.total)
            line = (f"[{bar:30s}] {self.done}/{self.total} graded · {elapsed:4.0f} s elapsed · "
                    f"about {left:4.0f} s left · {label}")
            if self.tty:
                print("\r" + line[:120].ljust(120), end="" if self.done < self.total else "\n", file=sys.stderr)
            elif self.done * 10 // self.total != self.last_line or self.done == self.total:
                self.last_line = self.done * 10 // self.total
                print(line, file=sys.stderr)


def _caps_line(units: list[Unit]) -> str:
    if not units or not units[0].isolation.caps_mechanism:
        return "caps OFF"
    held, limits = units[0].isolation, units[0].isolation.limits
    disk = f"disk {size_text(limits.disk_bytes)} (tmpfs)" if limits.disk_bytes else "disk uncapped"
    return f"caps: memory {size_text(limits.memory_bytes)} and {limits.processes} processes ({held.caps_mechanism}), {disk}"


def run(submissions: Path, out: Path, opts: Options) -> list[UnitResult]:
    out.mkdir(parents=True, exist_ok=True)
    todo, units = plan(submissions, out, opts)
    if not opts.quiet:
        print(f"{len(units)} submissions ({len(units) - len(todo)} already graded), "
              f"{opts.jobs} job(s), sandbox {'on' if opts.sandbox else 'OFF'}, {_caps_line(units)}", file=sys.stderr)
    logs = out / ".grader" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    pending: queue.Queue = queue.Queue()
    for unit in todo:
        pending.put(unit)
    progress = Progress(len(todo), opts.quiet)
    deadline = opts.limits.unit_deadline()

    stopping = threading.Event()
    jobs = max(1, min(opts.jobs, len(todo)))
    left = [jobs]                     # slots still running
    all_done = threading.Event()
    lock = threading.Lock()

    def slot(n: int) -> None:
        worker = None
        try:
            while not stopping.is_set():
                try:
                    unit = pending.get_nowait()
                except queue.Empty:
                    break
                worker = grade_in(worker, unit, deadline, logs / f"worker-{n}.log",
                                  kernels_ahead=opts.kernels_ahead)
                if stopping.is_set() and worker is None:   # killed by the interrupt, not by the unit: no result
                    unit.result_path.unlink(missing_ok=True)
                    return
                progress.step(f"{unit.student}/{unit.assignment}")
            if worker:
                worker.finish()
        finally:
            with lock:
                left[0] -= 1
                if not left[0]:
                    all_done.set()

    for n in range(jobs):
        threading.Thread(target=slot, args=(n,), daemon=True).start()
    # waited for through an Event, not Thread.join: a join interrupted by Ctrl-C marks a running thread
    # as stopped in Python 3.11 (bpo-45274's fix), and the interrupt must still find every slot
    with sigterm_interrupts():
        try:
            while not all_done.wait(1.0):
                pass
        except KeyboardInterrupt:   # Ctrl-C or SIGTERM: what is being graded is graded by the next run
            stopping.set()
            end = time.monotonic() + 30
            while time.monotonic() < end:
                Worker.stop_all()   # again for a process a slot started meanwhile
                if all_done.wait(0.2):
                    break
            raise
    return finish(submissions, out, units, opts.course, opts.say)


def finish(submissions: Path, out: Path, units: list[Unit], found: Optional[Course] = None,
           say: Callable[[str], None] = on_stderr) -> list[UnitResult]:
    """After the units have their results (graded here or on a cluster; with Options.units, those that
    have one): into the nbgrader course, when graded in one (`found`, else looked for), and OUT's CSVs."""
    results = [UnitResult.read(u.result_path) for u in units]
    results = course.record(found or find_course(submissions), results, units, say)
    done = [r for r in results if r is not None]
    write_outputs(out, done, units[0].master if units else None)
    return done
