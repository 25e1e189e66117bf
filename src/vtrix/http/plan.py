"""Plans: the HTTP policy and the engine's flows written once as generators of steps
(:class:`Send`, :class:`Sleep`, :class:`Call`), and the two drivers that carry them out —
:func:`drive` synchronously, :func:`drive_async` on an event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any, TypeVar

from vtrix.base.constants import MAX_ANSWER_BYTES
from vtrix.base.record import record
from vtrix.http.transport import Request

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


@record(frozen=True)
class Finished:
    """What the async driver gets for a paid submit that was on the wire when its task was
    cancelled: the answer, delivered to the plan, and the cancellation, raised at the plan's
    next exchange or sleep (its ledger writes run first) or when it returns."""

    outcome: Any
    cancel: BaseException


class NotStarted(BaseException):
    """A cancelled paid submit whose request never started: certainly nothing was sent."""


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
    Exceptions, cancellation included, are raised inside the plan as :func:`drive` does;
    a paid submit cancelled on the wire is :class:`Finished` first."""
    step = next(plan)
    pending: BaseException | None = None
    try:
        while True:
            if pending is not None and not isinstance(step, Call):
                outcome, error = None, pending
                pending = None
            else:
                try:
                    outcome, error = await do(step), None
                except BaseException as exc:
                    outcome, error = None, exc
                if isinstance(outcome, Finished):
                    outcome, pending = outcome.outcome, outcome.cancel
            step = _advance(plan, outcome, error)
    except _Done as done:
        if pending is not None:
            raise pending from None
        value: T = done.value
        return value
