"""Run a notebook top to bottom in a fresh kernel, as a student's "Run All" would (tests, bench)."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from traitlets.config import Config

from ..grading.api import kernel_client


def execute(path: Path, timeout: int = 120, allow_errors: bool = False,
            extra_env: dict[str, str] | None = None, **client_options: Any) -> tuple[nbformat.NotebookNode, float]:
    """The executed notebook and its wall time in seconds; the kernel runs in the notebook's folder.
    client_options go to nbclient's NotebookClient (e.g. its on_cell_* hooks)."""
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline", **(extra_env or {}))
    with tempfile.TemporaryDirectory(prefix="cnnrun-") as runtime:
        # local IPC sockets (absolute paths) rather than unencrypted TCP ports
        config = Config({"KernelManager": {"transport": "ipc", "ip": os.path.join(runtime, "kernel"),
                                           "client_class": kernel_client()}})
        # nbclient makes its own manager, the asyncio one (AsyncKernelManager): handed a blocking
        # KernelManager, it polls the blocking client's sockets inside its event loop, with no
        # time limit while it waits for a cell's output, so one late or lost message stalls the
        # run for good (cell timeout, iopub_timeout and even SIGTERM wait on that loop; see
        # bench/stalls.py). Owning the manager, it also shuts the kernel down and closes the
        # client's sockets and heartbeat thread. Its client polls in short slices (kernel_client.py).
        client = NotebookClient(nb, timeout=timeout, allow_errors=allow_errors, kernel_name="python3",
                                config=config, shutdown_kernel="immediate",
                                resources={"metadata": {"path": str(Path(path).parent)}}, **client_options)
        start = time.perf_counter()
        client.execute(env=env)
        return nb, time.perf_counter() - start


def errors(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """(cell index, error name, error value) for every cell that raised."""
    return [(i, out.ename, out.evalue) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.output_type == "error"]
