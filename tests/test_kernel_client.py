"""The grader's kernel client notices an arrived message even when its wake-up was lost (a lost wake-up
once stalled a cell for its whole time limit)."""
import asyncio
import time

import zmq
import zmq.asyncio
from jupyter_client.session import Session

from autograder.grading.pipeline.kernel_client import POLL_SLICE, SlicedPollChannel

LIMIT = 20.0  # the wait's time limit; an unsliced wait returns the message only when it expires


async def _wait_after_lost_wakeup() -> tuple[dict, float]:
    ctx = zmq.asyncio.Context()
    kernel, client = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    kernel.bind("inproc://lost-wakeup")
    client.connect("inproc://lost-wakeup")
    session = Session()
    channel = SlicedPollChannel(client, session)

    async def reply() -> None:
        await asyncio.sleep(0.2)  # the client is already waiting
        session.send(kernel, "execute_reply", {"status": "ok"})
        zmq.Socket.shadow(client.underlying).get(zmq.EVENTS)  # reading the state consumes the edge-triggered wake-up

    task = asyncio.ensure_future(reply())
    start = time.monotonic()
    msg = await channel.get_msg(timeout=LIMIT)
    await task
    for s in (kernel, client):
        s.close(linger=0)
    ctx.term()
    return msg, time.monotonic() - start


def test_a_lost_wakeup_costs_one_slice_not_the_time_limit():
    msg, waited = asyncio.run(_wait_after_lost_wakeup())
    assert msg["msg_type"] == "execute_reply"
    assert waited < LIMIT / 2, f"the message was noticed only after {waited:.1f} s (slices of {POLL_SLICE} s)"
