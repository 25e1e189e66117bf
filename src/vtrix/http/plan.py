"""Plans: the HTTP policy and the engine's flows written once as generators of steps
(:class:`Send`, :class:`Sleep`, :class:`Call`), and the two drivers that carry them out —
:func:`drive` synchronously, :func:`drive_async` on an event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

from vtrix.base.record import record
from vtrix.http.transport import MAX_ANSWER_BYTES, Request

T = TypeVar("T")


@record(frozen=True)
class Send:
    request: Request
    deadline: float
    max_bytes: int = MAX_ANSWER_BYTES


@record(frozen=True)
class Sleep:
    seconds: float
    rate_limited: bool = False  # a 429: every request of this client should hold off


@record(frozen=True)
class Call:
    """Run ``fn`` and send its result back: ``blocking`` work (the ledger, a file upload)
    goes to a worker thread under the async driver; the rest runs in place."""

    fn: Callable[[], Any]
    blocking: bool = True


Step = Send | Sleep | Call


Plan = Generator[Step, Any, T]


class _Done(Exception):
    """The plan returned (its value in ``value``)."""

    def __init__(self, value: Any) -> None:
        self.value = value


def _advance(plan: Plan[T], outcome: Any, error: BaseException | None) -> Step:
    """The plan's next step after a step's outcome (or its error, raised inside the plan
    so that it can record what it must first); :class:`_Done` when the plan returns."""
    try:
        return plan.throw(error) if error is not None else plan.send(outcome)
    except StopIteration as done:
        raise _Done(done.value) from None


def drive(plan: Plan[T], do: Callable[[Step], Any]) -> T:
    """Run ``plan``, carrying out each step with ``do`` (the sync driver)."""
    step = next(plan)
    try:
        while True:
            try:
                outcome, error = do(step), None
            except BaseException as exc:
                outcome, error = None, exc
            step = _advance(plan, outcome, error)
    except _Done as done:
        value: T = done.value
        return value


async def drive_async(plan: Plan[T], do: Callable[[Step], Awaitable[Any]]) -> T:
    """Run ``plan`` on the running event loop, awaiting ``do`` for each step (the async
    driver; :meth:`vtrix.http.client.Http.do_async` carries a step out off the loop).
    Exceptions, cancellation included, are raised inside the plan as :func:`drive` does."""
    step = next(plan)
    try:
        while True:
            try:
                outcome, error = await do(step), None
            except BaseException as exc:
                outcome, error = None, exc
            step = _advance(plan, outcome, error)
    except _Done as done:
        value: T = done.value
        return value
