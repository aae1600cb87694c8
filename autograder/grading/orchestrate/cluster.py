"""`grade --scheduler tcp://HOST:PORT`: the same units, graded on a Dask cluster.

The client (the `grade` process) plans the units as a local run does and sends each to the cluster as
a task carrying a `Parcel`: the submission's files as bytes, the limits and the solutions' hash, so
that workers share no file system with it. A worker grades the unit in a temporary folder, through the
local batch's own path (`batch.grade_in`: a grading process, `unit.grade_unit`, the unit's deadline),
against a master folder built from its own checkout's solutions/ and cached; it returns a `Graded`
(result, feedback pages, autograded notebooks), and the client writes OUT as a local run does.

A worker whose solutions/ differ from the client's, or that has no working sandbox (unless
--no-sandbox), is refused when it joins (`CourseCheck`, a worker plugin) and leaves the cluster;
each task checks both again.

Worker settings (Dask configuration, e.g. environment variables of `dask worker`):
  autograder.solutions  DASK_AUTOGRADER__SOLUTIONS  solutions/ to grade against (default: the checkout's)
  autograder.cache      DASK_AUTOGRADER__CACHE      where masters are kept (default ~/.cache/autograder)
"""
from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import shutil
import sys
import tempfile
import threading
import uuid
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Callable, Optional

import dask.config
from distributed import Client, Future, KilledWorker, WorkerPlugin, as_completed, get_worker
from distributed.core import Status

from ...paths import SOLUTIONS
from . import master as master_mod
from ..isolation import kernel_caps, sandbox
from .batch import Options, Progress, Worker, finish, grade_in, plan
from ..records import Graded, Parcel, Unit, UnitResult
from ..pipeline.unit import failure_result, submission_entries

TOPIC = "autograder-refused"      # the events by which workers tell the client why they refused
PLUGIN = "autograder-course-check"
logger = logging.getLogger("autograder.cluster")


class Refused(RuntimeError):
    """This worker cannot grade for this client."""


# ---------- worker side
def worker_solutions() -> Path:
    return Path(dask.config.get("autograder.solutions", None) or SOLUTIONS)


def _cache() -> Path:
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "autograder"
    folder = Path(dask.config.get("autograder.cache", None) or home) / "masters"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


_master_lock = threading.Lock()


def worker_master(only: Optional[tuple[str, ...]]) -> tuple[Path, str]:
    """This worker's master folder for these assignments, built from its own solutions/ on first use
    and kept under the cache folder by hash (shared by the workers of one host, kept across runs)."""
    solutions = worker_solutions()
    with _master_lock:  # the threads of this worker
        digest = master_mod.master_hash(solutions, list(only) if only else None)
        folder = _cache() / digest
        with open(_cache() / f"{digest}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers of this host wait for one build
            if not (folder / "solutions.sha").exists():
                build = Path(tempfile.mkdtemp(prefix="building-", dir=_cache()))
                made, _ = master_mod.prepare(build, solutions, list(only) if only else None)
                made.rename(folder)  # complete or absent, whatever happens to this worker
                shutil.rmtree(build, ignore_errors=True)
    return folder, digest


@lru_cache(maxsize=1)
def caps_here() -> tuple[Optional[str], str]:
    """This worker's mechanism for the kernel caps (kernel_caps.detect), probed once per process."""
    return kernel_caps.detect()


def refusal(client_hash: Optional[str], sandboxed: bool, hold_caps: bool = True) -> Optional[str]:
    """Why this worker cannot grade for a client whose solutions hash to `client_hash` (None: not
    checked here), with or without the sandbox and the caps; None when it can."""
    mine = master_mod.solutions_hash(worker_solutions()) if client_hash else None
    if mine != client_hash:
        return (f"its solutions/ ({worker_solutions()}) hash to {mine}, the client's to {client_hash}: "
                "install the course on it from the client's commit (`make venv system`)")
    if sandboxed:
        ok, why = sandbox.available()
        if not ok:
            return f"it has no working sandbox: {why}; or grade with --no-sandbox"
    if hold_caps:
        mechanism, why = caps_here()
        if mechanism is None or (sandboxed and not kernel_caps.bwrap_has_size()):
            return (f"it cannot hold the kernels' memory, process and disk caps: "
                    f"{why or 'its bubblewrap has no --size'}; or grade with --no-caps")
    return None


class CourseCheck(WorkerPlugin):
    """Run on every worker when it joins (and on those present when the client registers it):
    a worker that cannot grade for this client says why and leaves the cluster."""

    def __init__(self, solutions_hash: str, sandboxed: bool, hold_caps: bool = True):
        self.solutions_hash, self.sandboxed, self.hold_caps = solutions_hash, sandboxed, hold_caps

    async def setup(self, worker) -> None:
        why = refusal(self.solutions_hash, self.sandboxed, self.hold_caps)
        if why is None:
            return
        message = f"worker {worker.address} refused: {why}"
        logger.error(message)
        worker.log_event(TOPIC, message)
        asyncio.get_running_loop().call_later(
            1.0, lambda: asyncio.ensure_future(worker.close(nanny=True, reason="autograder: refused")))
        raise Refused(message)

    def teardown(self, worker) -> None:
        """When the worker closes (not when a client registers the plugin again): its grading processes,
        kept per thread for unit after unit, are stopped and what they and their kernels started ahead held
        is removed, as at the end of a local batch; left to die with their threads, they left it behind."""
        if worker.status == Status.closing:
            Worker.stop_all()


def _unpack(parcel: Parcel, tmp: Path, master: Path) -> Unit:
    """The parcel as a unit in a temporary folder: the submission as the client's files were."""
    subs = tmp / "submissions"
    folder = subs / parcel.student / parcel.assignment
    if parcel.submitted:
        folder.mkdir(parents=True)
        for rel, data in parcel.files.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data)
        for rel, target in parcel.links.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, folder / rel)  # recorded and skipped by the intake, as on the client
        for rel, size in parcel.oversized.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            with open(folder / rel, "wb") as fh:
                fh.truncate(size)  # sparse: the intake sees its size and refuses it, as on the client
    return Unit(student=parcel.student, assignment=parcel.assignment, submissions=subs,
                work=tmp / "units" / parcel.student / parcel.assignment, master=master,
                master_hash=parcel.master_hash, out=tmp / "out", show_hidden=parcel.show_hidden,
                isolation=replace(parcel.isolation, caps_mechanism=caps_here()[0] if parcel.hold_caps else None))


def _graded(unit: Unit) -> Graded:
    feedback, autograded = unit.feedback, unit.autograded
    result = UnitResult.read(unit.result_path)
    assert result is not None, "grade_in always leaves a result"
    return Graded(result=result, feedback={p.name: p.read_bytes() for p in sorted(feedback.glob("*.html"))},
                  autograded={p.name: p.read_bytes() for p in (sorted(autograded.iterdir()) if autograded.is_dir() else [])
                              if p.suffix == ".ipynb" or p.name == "timestamp.txt"})


_slot = threading.local()  # each worker thread keeps its grading process (it dies with the thread)


def _cancelled() -> Callable[[], bool]:
    """Whether the client has cancelled the running task (read from the worker's own state, no call)."""
    worker = get_worker()
    key = worker.get_current_task()

    def cancelled() -> bool:
        task = worker.state.tasks.get(key)
        return task is None or task.state in ("cancelled", "released", "forgotten")
    return cancelled


def grade_parcel(parcel: Parcel) -> Graded:
    """The task: grade one unit on this worker, as a local run would."""
    master, digest = worker_master(parcel.assignments)
    if digest != parcel.master_hash:
        raise Refused(f"worker {get_worker().address} grades against solutions {digest}, "
                      f"the client's are {parcel.master_hash}: install the client's commit on it")
    why = refusal(None, parcel.isolation.sandbox, parcel.hold_caps)  # the solutions were compared just above
    if why:
        raise Refused(f"worker {get_worker().address} refused: {why}")
    logs = Path(get_worker().local_directory) / "autograder-logs"
    logs.mkdir(exist_ok=True)
    # in the worker's own folder, not /tmp: a worker killed mid-unit (out of memory, a lost node) runs no
    # clean-up, and Dask removes a dead worker's folder when the next worker starts on that machine
    with tempfile.TemporaryDirectory(prefix="autograder-unit-", dir=get_worker().local_directory) as tmp:
        unit = _unpack(parcel, Path(tmp), master)
        _slot.worker = grade_in(getattr(_slot, "worker", None), unit, parcel.isolation.limits.unit_deadline(),
                                logs / f"grading-{threading.get_ident()}.log", _cancelled())
        return _graded(unit)


# ---------- client side
def pack(unit: Unit, opts: Options) -> Parcel:
    """A unit's submission as data. Symlinks are never followed and files too big to copy are not read:
    the worker recreates both as such, and its intake records them as a local run does."""
    files, links, oversized = {}, {}, {}
    src = unit.submitted
    for rel, kind, path in submission_entries(src) if src.is_dir() else []:
        if kind == "link":
            links[str(rel)] = os.readlink(path)
        elif kind == "oversized":
            oversized[str(rel)] = path.stat().st_size
        else:
            files[str(rel)] = path.read_bytes()
    # the caps are the worker's to hold with its own mechanism: what the client's machine offers is moot
    return Parcel(student=unit.student, assignment=unit.assignment, master_hash=unit.master_hash,
                  assignments=tuple(opts.assignments) if opts.assignments else None,
                  isolation=replace(unit.isolation, limits=opts.limits, caps_mechanism=None),
                  show_hidden=unit.show_hidden, submitted=src.is_dir(),
                  hold_caps=opts.caps_mechanism is not None,
                  files=files, links=links, oversized=oversized)


def _why(err: BaseException) -> str:
    if isinstance(err, KilledWorker):
        return ("the workers grading this submission died each time (its kernels may exhaust a worker's "
                "memory); graded again on the next run")
    return f"the grader failed on this submission ({type(err).__name__}: {err})"


def run(submissions: Path, out: Path, opts: Options, scheduler: str) -> list[UnitResult]:
    """Grade on the cluster whose scheduler is at `scheduler`; OUT as `batch.run` writes it."""
    out.mkdir(parents=True, exist_ok=True)
    todo, units = plan(submissions, out, opts)
    refusals: set[str] = set()

    def refused(message: str) -> None:
        if message not in refusals:
            refusals.add(message)
            print(f"\n{message}", file=sys.stderr)

    client = Client(scheduler, timeout=30)
    try:
        client.subscribe_topic(TOPIC, lambda event: refused(event[1]))
        try:
            client.register_plugin(CourseCheck(master_mod.solutions_hash(SOLUTIONS), opts.sandbox,
                                               opts.caps_mechanism is not None), name=PLUGIN)
        except Refused as err:
            refused(str(err))
        threads = sum(client.nthreads().values())
        if not opts.quiet:
            print(f"{len(units)} submissions ({len(units) - len(todo)} already graded), cluster {scheduler} "
                  f"({threads} worker thread(s)), sandbox {'on' if opts.sandbox else 'OFF'}", file=sys.stderr)
        _grade_all(client, todo, opts, refused)
    finally:
        client.close()
    return finish(submissions, out, units, opts.course)


def _grade_all(client: Client, todo: list[Unit], opts: Options, refused: Callable[[str], None]) -> None:
    """Submit the units a window at a time (the scheduler holds a few parcels, not the class), write
    each result as it arrives; on Ctrl-C cancel what the cluster still has and stop."""
    progress = Progress(len(todo), opts.quiet)
    run_id = uuid.uuid4().hex[:8]
    waiting = iter(todo)
    sent: dict[str, tuple[Unit, Future]] = {}
    done = as_completed()

    def top_up() -> None:
        window = 2 * max(1, sum(client.nthreads().values())) + 2
        while len(sent) < window:
            unit = next(waiting, None)
            if unit is None:
                return
            future = client.submit(grade_parcel, pack(unit, opts), key=f"grade-{unit.student}-{unit.assignment}-{run_id}",
                                   pure=False)
            sent[future.key] = unit, future
            done.add(future)

    try:
        top_up()
        for future in done:
            unit, _ = sent.pop(future.key)
            if future.status == "finished":
                future.result().write(unit)
            else:
                err = future.exception()
                if isinstance(err, Refused):
                    refused(str(err))
                failure_result(unit, _why(err), retry=True)
            future.release()
            progress.step(f"{unit.student}/{unit.assignment}")
            top_up()
    except KeyboardInterrupt:
        client.cancel([future for _, future in sent.values()], force=True)
        raise
