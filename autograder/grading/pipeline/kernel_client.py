"""The kernel client the grader and run_notebook give nbclient: jupyter_client's asyncio client,
whose waits for a message cannot miss one that has arrived.

zmq.asyncio learns of incoming messages through the socket's edge-triggered file descriptor; when
that wake-up is lost, a message sits in the socket unnoticed until the poll's time limit, whose
expiry does a real zmq_poll and finds it at once. nbclient waits for a cell's reply with one poll as
long as the cell's time limit, so a lost wake-up stalled runs for exactly that long, kernel and
client both idle (measured: runs that sat idle ~600 s; evidence in bench/README.md). Polling in slices of at most POLL_SLICE
seconds bounds such a stall to one slice, and costs one zmq_poll per slice while a cell runs.
"""
from __future__ import annotations

import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

POLL_SLICE = 0.5  # seconds
DOTTED_NAME = f"{__name__}.SteadyKernelClient"  # for KernelManager.client_class


class SlicedPollChannel(AsyncZMQSocketChannel):
    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:  # type: ignore[override]
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE if deadline is None else max(0.0, deadline - time.monotonic())
            if await self.socket.poll(int(min(left, POLL_SLICE) * 1000)):
                try:
                    return await self._recv()
                except ValueError:
                    # a frame that is no message of this kernel's (a bad signature, malformed): a
                    # student's forked processes can write garbage into inherited sockets; drop it
                    continue
            if deadline is not None and time.monotonic() >= deadline:
                raise Empty


class SteadyKernelClient(AsyncKernelClient):
    shell_channel_class = Type(SlicedPollChannel)  # type: ignore[assignment]
    iopub_channel_class = Type(SlicedPollChannel)  # type: ignore[assignment]
    control_channel_class = Type(SlicedPollChannel)  # type: ignore[assignment]

    async def wait_for_ready(self, timeout: float | None = None) -> None:  # type: ignore[override]
        """jupyter_client's wait (8.x `_async_wait_for_ready`: a kernel_info reply on shell, then a message
        on iopub; the heartbeat pre-wait it does only for clients no KernelManager made), without the
        0.2 s of silence on iopub it waits for at the end, a fifth of a graded notebook's kernel start:
        what is left on iopub belongs to the kernel_info request, and nbclient reads only the outputs
        whose parent is the cell it runs."""
        deadline = time.monotonic() + (timeout if timeout is not None else float("inf"))
        while True:
            self.kernel_info()
            try:
                msg = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)  # IOPub connected: start over if not
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")
