"""Waiting for a task: adaptive polling, progress estimates, timeouts and Ctrl-C.

Polling starts around one second and backs off to a cap, with jitter. When the task reports
progress, the rate gives an estimate of when it will finish and the next poll is timed just
after it, so results come back soon after they are ready without a flood of requests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from vtrix.errors import Interrupted, TemporaryFailure, WaitTimeout
from vtrix.providers.base import TaskState


@dataclass
class PollPlan:
    """Delays between polls: ``first``, growing by ``factor`` up to ``cap`` seconds."""

    first: float = 1.0
    factor: float = 1.5
    cap: float = 10.0
    floor: float = 0.2
    jitter: float = 0.1


@dataclass
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


def wait_for(
    fetch: Callable[[], TaskState],
    *,
    task_id: str,
    timeout: float,
    on_progress: Callable[[TaskState, float | None], None] | None = None,
    plan: PollPlan | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> TaskState:
    """Poll ``fetch`` until the task is final. Raises WaitTimeout (124) or Interrupted (130)."""
    plan = plan or PollPlan()
    start = clock()
    deadline = start + timeout
    delay = plan.first
    eta = Eta()
    resume = f"Resume with: vtrix task wait {task_id}"
    try:
        while True:
            remaining_time = deadline - clock()
            try:
                state = fetch()
            except TemporaryFailure as exc:
                exc.task_id = task_id
                exc.hint = f"{exc.hint} The task {task_id} is still there. {resume}".strip()
                raise
            now = clock()
            eta.add(now, state.progress)
            left = eta.remaining(now)
            if on_progress:
                on_progress(state, left)
            if state.done:
                return state
            remaining_time = deadline - now
            if remaining_time <= 0:
                raise WaitTimeout(
                    f"Timed out after {timeout:g}s waiting for task {task_id} "
                    f"(last status: {state.remote_status or state.status}); it may still finish.",
                    hint=resume,
                    task_id=task_id,
                )
            nxt = delay
            if left is not None:
                nxt = min(nxt, max(left + 0.15, 0.5 if left <= 0.05 else plan.floor))
            nxt *= 1 + random.uniform(-plan.jitter, plan.jitter)
            sleep(max(min(nxt, remaining_time), 0.0))
            delay = min(delay * plan.factor, plan.cap)
    except KeyboardInterrupt:
        raise Interrupted(
            f"Interrupted while waiting for task {task_id}; the task was not "
            "cancelled and keeps running.",
            hint=resume,
            task_id=task_id,
        ) from None
