"""Kernels started before the submission they will run, so that a grade does not wait for one.

Each is started exactly as a unit's kernel is (sandbox.py): its own bubblewrap sandbox, its own
control group with the unit's memory and process caps, which the process that becomes its sandbox joins
first (so the caps hold from its first instruction), its own tmpfs of the disk cap's size as its
working folder and /tmp, its own runtime folder for its IPC sockets. What differs is only when the
submission arrives: the sandbox binds an empty inbox, read-only, where a unit's kernel has its
submission; when a unit takes the kernel, the grader copies the submission into the inbox and the
kernel copies it into its working folder (sandbox.claim_code) before the student's first cell. A
kernel runs one notebook and is destroyed after it (its processes killed with its group, its folders
removed); nothing passes from one student's kernel to the next, since no kernel is used twice.

The pool is the grading process's (one per worker): it holds up to `size` kernels, starts the next
as soon as one is taken (while the unit it was taken for runs), and destroys all of them when the
process stops. Each kernel's runtime folder records its group and the process that holds them, as a
unit's does (leftovers.py), so that what a killed process's pool left goes with what its units left
(leftovers.sweep: by whoever stopped it, or by the next grading process on the machine).
"""
from __future__ import annotations

import itertools
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from traitlets import Int
from traitlets.config import Configurable

from ..records import Isolation
from . import kernel_caps, leftovers, sandbox


class KernelPool(Configurable):
    """Kernels started ahead of the submissions they will run (`grade`'s workers, `serve`)."""
    size = Int(1, min=0, help="kernels each grading process keeps started and ready for the next notebook, each "
                              "in its own sandbox and control group with the caps, destroyed after one notebook "
                              "(0: each kernel starts when its notebook is graded)").tag(config=True)


@dataclass(frozen=True)
class Setting:
    """What every kernel of a pool shares: kernels are started for the isolation of the units they will
    run, and a unit with another takes none."""
    isolation: Isolation
    mplcache: Optional[str]

    def poolable(self) -> bool:
        """Kernels can be started ahead in the sandbox with the disk cap's tmpfs (the default), into which
        the claim copies the submission; otherwise a unit starts its own kernel."""
        return bool(self.isolation.disk_bytes)


@dataclass
class PooledKernel:
    """One kernel started ahead: its manager, control group and folder (runtime, inbox, settings)."""
    manager: Any                         # jupyter_client's AsyncKernelManager
    group: Optional[kernel_caps.Group]
    folder: Path                         # its runtime folder (leftovers.py): owner.json, run/ (connection file,
                                         # sockets), in/ (the inbox), its kernelspec (with its settings)
    started: float

    @property
    def inbox(self) -> Path:
        return self.folder / "in"


class Pool:
    """Up to `size` kernels started ahead, for the units of one grading process. nbgrader builds its
    Execute preprocessor from configuration (deep-copied), so the preprocessor finds the pool by key."""

    counter = itertools.count()
    _by_key: dict[str, "Pool"] = {}

    def __init__(self, size: int, client_class: str):
        self.size, self.client_class = size, client_class
        self.setting: Optional[Setting] = None
        self.ready: list[PooledKernel] = []
        self.key = f"{os.getpid()}-{next(self.counter)}"
        Pool._by_key[self.key] = self

    @classmethod
    def find(cls, key: str) -> "Pool":
        return cls._by_key[key]

    # ---- taking and giving back
    def use(self, setting: Setting) -> None:
        """The next kernels are for units with these settings: kernels started for others are destroyed."""
        if setting != self.setting:
            self.close()
            self.setting = setting

    def take(self) -> PooledKernel:
        """A started kernel (started now when none is ready or the ready one died), and the next one
        started in its place, while this one runs its notebook."""
        from jupyter_core.utils import run_sync  # here: KernelPool's options are read without jupyter_client (0.06 s)
        kernel = None
        while self.ready and kernel is None:
            kernel = self.ready.pop(0)
            if not run_sync(kernel.manager.is_alive)():
                self.destroy(kernel)
                kernel = None
        kernel = kernel or self._start()
        self.fill()
        return kernel

    def fill(self) -> None:
        while self.setting is not None and len(self.ready) < self.size:
            self.ready.append(self._start())

    def destroy(self, kernel: PooledKernel) -> None:
        """Stop it at once, its group with whatever it started, its folder; safe on a dead kernel."""
        from jupyter_core.utils import run_sync  # here: as in take
        try:
            if kernel.group:
                # its group first: every process of it killed and gone in a few ms, so that jupyter_client
                # finds the kernel ended (a kill of its own then waits in steps of 0.1 s, idle, in every unit)
                kernel_caps.remove(kernel.group)
            if run_sync(kernel.manager.is_alive)():
                run_sync(kernel.manager.shutdown_kernel)(now=True)
        except RuntimeError:   # no kernel running any more
            pass
        finally:
            try:
                run_sync(kernel.manager.cleanup_resources)()
            finally:
                if kernel.group:
                    kernel_caps.remove(kernel.group)
                shutil.rmtree(kernel.folder, ignore_errors=True)

    def close(self) -> None:
        while self.ready:
            self.destroy(self.ready.pop())

    def shutdown(self) -> None:
        """No more units: every kernel destroyed, the pool forgotten."""
        self.close()
        self.setting = None
        Pool._by_key.pop(self.key, None)

    # ---- starting one
    def _start(self) -> PooledKernel:
        # here: `grade --help-all` and serve read KernelPool's options without jupyter_client (0.06 s measured)
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        assert self.setting is not None
        folder = leftovers.new_runtime()
        group = None
        try:
            isolation = self.setting.isolation
            mechanism, limits = isolation.caps_mechanism, isolation.limits
            name = kernel_caps.name_for(str(folder))
            planned = kernel_caps.named(mechanism, name, limits) if mechanism else None
            # first: the folder is never long without its record (a process killed here leaves it to `sweep`)
            leftovers.record(folder, f"a kernel started ahead ({folder.name})", mechanism, planned)
            (folder / "run").mkdir()
            (folder / "in").mkdir()
            if mechanism:
                group = kernel_caps.create(mechanism, name, limits)
            connection_file = str(folder / "run" / "kernel.json")
            sandbox.write_kernelspec(folder / "jupyter", sandbox.KernelSettings.of(
                isolation, assignment="", scratch=str(folder / "in"), mplcache=self.setting.mplcache, group=group),
                connection_file)
            manager = AsyncKernelManager(
                kernel_name=sandbox.KERNEL_NAME, transport="ipc", ip=str(folder / "run" / "kernel"),
                connection_file=connection_file, client_class=self.client_class,
                kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(folder / "jupyter" / "kernels")]))
            run_sync(manager.start_kernel)(env=dict(os.environ))
        except BaseException:
            if group:
                kernel_caps.remove(group)
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return PooledKernel(manager, group, folder, time.monotonic())


def setting_for(isolation: Isolation, master: Path) -> Setting:
    mplcache = master / "mplcache"
    return Setting(isolation=isolation, mplcache=str(mplcache) if mplcache.is_dir() else None)
