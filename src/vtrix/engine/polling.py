"""Waiting for a task: adaptive polling, progress estimates and one deadline for everything.

When is the next poll? In order of what is known:

* the task reports progress: its rate gives an estimate of the end, and the next poll comes
  just after it;
* the model has a history (the ledger's recent completed tasks): the wait sleeps until the
  typical end the ledger learned (:meth:`vtrix.store.queries.LedgerReads.timing`), then polls
  densely for a moment;
* otherwise the delay is half the time waited so far (1 s first), capped: dense early, when
  most tasks end, sparse later — a task of T seconds is seen done within about T/2 and costs
  about log1.5(T) polls.

A submit answer that says nothing but "pending" (Modellix's) is followed by a look at once: a
poll right after it is cheap and catches tasks that end at once. The learned duration shapes
the schedule after that look; it never delays it. (The next poll then comes 1.4 s later, so
a 3-s task still costs four polls: the look, 1.4 s, 2.1 s, 3.15 s.)

Jitter spreads polls of many waits.

``timeout`` is a deadline for the whole wait: polls, their retries (503s, 429s honouring
``Retry-After``), hung reads and slow bodies all end by it, and the wait ends with
:class:`WaitTimeout`. The wait is a plan (see :mod:`vtrix.http.client`), so the sync and the
async clients run the same loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from vtrix.base.constants import LAST_POLL_AHEAD, MISSING_POLLS, MISSING_STRETCH, NOT_FOUND_GRACE
from vtrix.base.record import field, record
from vtrix.errors import NotFound, TemporaryFailure, WaitTimeout
from vtrix.http import Plan, Sleep
from vtrix.wire.base import Provider, TaskState
from vtrix.wire.progress import ProgressScale
from vtrix.wire.reading import bad_answer


@record
class PollPlan:
    """When to poll (see the module docstring). ``expected``: the model's typical duration;
    ``age``: how long the task had been running when the wait began."""

    first: float = 1.0
    growth: float = 0.5
    cap: float = 10.0
    floor: float = 0.2
    jitter: float = 0.1
    expected: float | None = None
    age: float = 0.0
    dense: float = 0.3  # the delay between polls around an expected end
    after_look: float = 1.4  # the first delay after a look right at submit

    def delay(self, waited: float, eta_left: float | None, *, looked: bool = False) -> float:
        """Seconds until the next poll, ``waited`` seconds into the wait (``looked``: just
        after the look at submit time)."""
        if looked and not self.expected and eta_left is None:
            return max(self.after_look, self.first)
        age = self.age + waited
        if eta_left is not None:
            d = max(eta_left + 0.15, 0.5 if eta_left <= 0.05 else self.floor)
            return min(d, self.cap, max(self.growth * age, self.first))
        if self.expected:
            until = self.expected - age
            if until > self.dense:
                return min(until, self.cap)  # at the typical end, then densely
            if age < self.expected * 1.3 + 1:
                return self.dense
        return min(max(self.growth * age, self.first if waited == 0 else self.floor), self.cap)

    def jittered(self, seconds: float) -> float:
        import random  # only once a wait sleeps (start-up: docs/architecture.md)

        return seconds * (1 + random.uniform(-self.jitter, self.jitter))


@record
class Eta:
    """Estimates time to completion from (time, progress) samples."""

    samples: list[tuple[float, float]] = field(default_factory=list)

    def add(self, t: float, progress: float | None) -> None:
        if progress is None:
            return
        if self.samples and progress < self.samples[-1][1]:
            self.samples.clear()
        self.samples.append((t, progress))

    def remaining(self, now: float) -> float | None:
        """Seconds until 100%, or None if the rate is unknown."""
        if len(self.samples) < 2:
            return None
        (t0, p0), (t1, p1) = self.samples[0], self.samples[-1]
        if p1 <= p0 or t1 <= t0:
            return None
        rate = (p1 - p0) / (t1 - t0)
        return max((100.0 - p1) / rate - (now - t1), 0.0)


@record
class MissingStatus:
    """Answers with no status at all: after :data:`MISSING_POLLS` of them spanning
    :data:`MISSING_STRETCH` seconds, the wait gives up (with the resume hint). An unknown
    status word is not missing: it keeps the wait going."""

    task_id: str
    since: float | None = None
    count: int = 0

    def see(self, state: TaskState, now: float) -> None:
        if state.remote_status:
            self.since, self.count = None, 0
            return
        self.since = now if self.since is None else self.since
        self.count += 1
        if self.count >= MISSING_POLLS and now - self.since >= MISSING_STRETCH:
            error = bad_answer(
                f"status of task {self.task_id}",
                f"no status in {self.count} answers over {now - self.since:.0f}s",
                state.raw,
            )
            error.task_id = self.task_id
            error.hint = f"{error.hint} The task may still run: {resume_hint(self.task_id)}"
            raise error


def resume_hint(task_id: str) -> str:
    return f"Resume with: vtrix task wait {task_id}"


def wait_plan(
    provider: Provider,
    task_id: str,
    *,
    endpoint: str = "",
    timeout: float,
    on_progress: Callable[[TaskState, float | None], None] | None = None,
    plan: PollPlan | None = None,
    initial: TaskState | None = None,
) -> Plan[TaskState]:
    """Poll until the task is final; raises WaitTimeout (124) when ``timeout`` runs out.
    ``initial`` is the task as just seen (its progress starts the rate estimate)."""
    plan = plan or PollPlan()
    clock = provider.http.clock
    start = clock()
    deadline = start + timeout
    eta = Eta()
    scale = ProgressScale()
    fresh = initial is not None and initial.submitted_at is not None
    if initial is not None and initial.progress_raw is not None:
        initial.progress = scale.percent(initial.progress_raw)
    # A submit answer with progress is news enough to wait on; one without (Modellix says
    # only "pending") gets a look at once, which catches tasks that end at once.
    look_now = initial is None or initial.done or initial.progress_raw is None
    if initial is not None and not look_now:
        eta.add(start, initial.progress)
        first = plan.delay(0.0, None)  # a learned end is aimed at as it is (see below)
        yield Sleep(min(first if plan.expected else plan.jittered(first), timeout))
    looked = look_now and initial is not None
    missing = MissingStatus(task_id)
    last_call = False
    last_word = initial.shown_status if initial is not None else "unknown"
    ideal = 0.0  # when the last poll was meant to come, seconds into the wait
    # Wall time the task was last seen unfinished: it ended between then and the poll that
    # sees it done. Both bounds go to the ledger, which learns durations from them.
    running_seen = time.time() if initial is not None and not initial.done else None
    while True:
        try:
            state = yield from provider.task_plan(task_id, endpoint, deadline)
        except NotFound:
            if not fresh or clock() - start >= NOT_FOUND_GRACE or clock() >= deadline:
                raise
            yield Sleep(min(0.5, max(deadline - clock(), 0.0)))
            continue
        except TemporaryFailure as exc:
            if exc.deadline or clock() >= deadline:
                raise _timeout(task_id, timeout, _why_late(exc, last_word)) from None
            exc.task_id = task_id
            exc.hint = f"{exc.hint} The task {task_id} is still there. {resume_hint(task_id)}"
            raise
        now = clock()
        fresh = False  # seen once: a later 404 is real
        last_word = state.shown_status
        if state.progress_raw is not None:
            state.progress = scale.percent(state.progress_raw)
        missing.see(state, now)
        eta.add(now, state.progress)
        left = eta.remaining(now)
        if on_progress:
            on_progress(state, left)
        if state.done:
            state.finished_at, state.ran_until = time.time(), running_seen
            return state
        running_seen = time.time()
        remaining = deadline - now
        if remaining <= 0 or last_call:
            raise _timeout(task_id, timeout, state.shown_status)
        # A schedule without news (no progress, no history) runs on ideal times, so that
        # jitter spreads polls without compounding into lateness.
        cold = left is None and not plan.expected
        base = plan.delay(ideal if cold else now - start, left, looked=looked)
        ideal = (ideal if cold else now - start) + base
        # A learned end is aimed at as it is: jitter there would make half the polls early.
        jitter = 0.0 if plan.expected and left is None else plan.jittered(base) - base
        nxt = max(start + ideal + jitter - clock(), 0.0)
        looked = False
        if nxt >= remaining - LAST_POLL_AHEAD:
            # One last poll a little before the deadline, not after it.
            last_call, nxt = True, max(remaining - LAST_POLL_AHEAD, 0.0)
        yield Sleep(nxt)


def _why_late(exc: TemporaryFailure, last_word: str) -> str:
    """What the last status was when the deadline came during a poll: the gateway's rate
    limit or failure if that is what held the poll up, else the task's last status."""
    if exc.status == 429:
        wait = f", it asked to wait {exc.retry_after:.0f}s" if exc.retry_after else ""
        return f"{last_word}; the gateway was rate-limiting polls (HTTP 429{wait})"
    if exc.status >= 500:
        return f"{last_word}; the gateway was failing (HTTP {exc.status})"
    return last_word


def _timeout(task_id: str, timeout: float, last: str) -> WaitTimeout:
    return WaitTimeout(
        f"Timed out after {round(timeout, 1):g}s waiting for task {task_id} (last status: "
        f"{last}); "
        "it may still finish.",
        hint=resume_hint(task_id),
        task_id=task_id,
    )
