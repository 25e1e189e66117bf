"""A paid submit sent off the event loop, never cut off on the wire by a cancellation (an MCP
client that went away, a batch stopped by a signal): its answer is awaited and the task id
recorded before the cancellation goes on; one whose request never started is "not sent"."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vtrix.http.plan import Finished, NotStarted
from vtrix.http.transport import TransportError

if TYPE_CHECKING:
    from concurrent.futures import Executor


async def paid_send(send: Callable[[], Any], pool: Executor) -> Any:
    """Send a paid submit off the loop. Cancelled before its request started: NotStarted
    (nothing was sent). Cancelled on the wire: its answer is awaited (the request has its
    own deadline) and handed back as :class:`Finished`, so that the task id is recorded
    before the cancellation goes on."""
    import asyncio

    def attempt() -> Any:
        try:
            return send()
        except TransportError as exc:
            return exc

    job = pool.submit(attempt)
    answer = asyncio.wrap_future(job)
    try:
        return await asyncio.shield(answer)
    except asyncio.CancelledError as exc:
        if job.cancel():
            raise NotStarted() from None
        while True:
            try:
                return Finished(await asyncio.shield(answer), exc)
            except asyncio.CancelledError:
                continue  # cancelled again: the answer is still what matters
