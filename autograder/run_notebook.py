"""Run a notebook top to bottom in a fresh kernel, as a student's "Run All" would (tests, bench)."""
from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 120, allow_errors: bool = False,
            extra_env: dict[str, str] | None = None) -> tuple[nbformat.NotebookNode, float]:
    """The executed notebook and its wall time in seconds; the kernel runs in the notebook's folder."""
    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, MPLBACKEND="module://matplotlib_inline.backend_inline", **(extra_env or {}))
    with tempfile.TemporaryDirectory(prefix="cnnrun-") as runtime:
        # local IPC sockets (absolute paths) rather than unencrypted TCP ports
        km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(runtime, "kernel"))
        client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=allow_errors,
                                resources={"metadata": {"path": str(Path(path).parent)}})
        start = time.perf_counter()
        try:
            client.execute(env=env)
        finally:
            if km.has_kernel:  # nbclient leaves a kernel manager it was given running
                km.shutdown_kernel(now=True)
        return nb, time.perf_counter() - start


def errors(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """(cell index, error name, error value) for every cell that raised."""
    return [(i, out.ename, out.evalue) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.output_type == "error"]
