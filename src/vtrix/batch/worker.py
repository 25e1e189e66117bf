"""``vtrix batch FILE --worker``: one of any number of processes, on any machines sharing the
ledger, that split one batch between them and never pay for a line twice.

Each worker enrols the batch's lines in the ledger (once for all), then takes lines one at a
time with a lease (:mod:`vtrix.store.claims`) and runs each as a plain batch does
(:class:`vtrix.batch.run.BatchRun`): the ledger's row, written under the line's idempotency
key before its submit, is what makes a line sent once whichever worker asks. While a worker
lives a heartbeat renews its leases; a killed worker's leases run out and its lines are taken
over: a line whose submit never started is sent, a line with a task is waited on, a line whose
submit may have gone out is left ``unknown`` (sent again, with the same key, only with
``--resubmit-unknown``). A worker ends when no line is left open or held by a live lease.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from vtrix.base.record import record
from vtrix.batch.run import BatchRun, LineResult
from vtrix.errors import UsageError
from vtrix.store import claims
from vtrix.store.entry import SUBMITTING, UNKNOWN, owner

if TYPE_CHECKING:
    pass

LEASE = 60.0  # seconds a claim lasts unless its worker renews it
ABANDONED = "its worker stopped (its lease ran out) while sending the submit"


class WorkerRun:
    """One worker's part of a batch: ``await WorkerRun(...).run()`` -> the lines it ran."""

    def __init__(self, runner: BatchRun, lease: float = LEASE) -> None:
        """``runner``: the batch as this process would run it alone; the worker shares its
        lines with the others through the ledger."""
        if runner.client.ledger is None:
            raise UsageError("batch workers share their work through the ledger, and it is off")
        self.ledger = runner.client.ledger
        self.runner = runner
        self.batch = runner.batch
        self.lease = lease
        self.worker = owner()
        self.by_line = {c.line.number: c for c in runner.lines if c.prepared is not None}

    @property
    def results(self) -> dict[int, LineResult]:
        return self.runner.results

    async def run(self) -> list[LineResult]:
        self.runner.adopt_legacy_keys()
        keys = self.runner.keys
        self.runner.count_sent(list(keys.values()))
        claims.enrol(self.ledger, self.batch, [(n, keys[n]) for n in sorted(self.by_line)])
        claims.reopen(self.ledger, self.batch)
        beat = asyncio.create_task(self._heartbeat())
        running: set[asyncio.Task[None]] = set()
        try:
            await self._share(running)
        finally:
            for task in running:
                task.cancel()
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(beat, *running, return_exceptions=True)
            # Stopping early (Ctrl-C, an error): whatever this worker still holds goes back
            # at once rather than when its lease runs out.
            with contextlib.suppress(Exception):
                claims.release(self.ledger, self.batch, self.worker)
        return [self.results[n] for n in sorted(self.results)]

    async def _share(self, running: set[asyncio.Task[None]]) -> None:
        """Claim lines while this worker has room (up to ``concurrency`` at once), run each,
        and end when no line is left for anyone. One loop claims: idle room costs one claim
        a second, not one per idle slot."""
        room = self.runner.options.concurrency
        while True:
            while len(running) < room:
                got = claims.claim(self.ledger, self.batch, self.worker, self.lease)
                if got is None:
                    break
                running.add(asyncio.create_task(self._one(got)))
            pause = min(1.0, self.lease / 4)
            if not running:
                left, soonest = claims.remaining(self.ledger, self.batch)
                if left == 0:
                    return
                # Lines held by other workers: wait, and take over any whose lease runs out.
                if soonest is not None:  # seconds, by the database's clock
                    pause = min(max(soonest + 0.05, 0.05), pause)
                await asyncio.sleep(pause)
                continue
            done, _ = await asyncio.wait(
                running, timeout=pause, return_when=asyncio.FIRST_COMPLETED
            )
            running.difference_update(done)
            for task in done:
                task.result()  # a ledger failure ends the worker (its lines go back)

    async def _one(self, got: claims.Claim) -> None:
        checked = self.by_line.get(got.line)
        if checked is None:  # a line this worker's input lacks (another file?)
            claims.finish(self.ledger, self.batch, got.line, self.worker, "invalid")
            return
        row = self.ledger.by_key(got.key)
        if got.taken_over and row is not None and not row.task_id and row.state == SUBMITTING:
            # Its worker lost the lease while sending it: the gateway may have the task.
            self.ledger.outcome(got.key, UNKNOWN, ABANDONED)
            row = self.ledger.by_key(got.key)
        result = await self.runner.run_line(checked, got.key, row)
        self.results[result.line] = result
        claims.finish(self.ledger, self.batch, got.line, self.worker, result.status)
        self.runner.on_event("done", result)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            with contextlib.suppress(Exception):  # a missed beat only shortens the lease
                claims.heartbeat(self.ledger, self.batch, self.worker, self.lease)

    def batch_end(self) -> BatchEnd:
        """Every finished line's outcome, whichever worker ran it; this worker's statements."""
        return BatchEnd(claims.outcomes(self.ledger, self.batch), self.ledger.database.round_trips)


@record
class BatchEnd:
    """How the whole batch stands when a worker ends."""

    outcomes: dict[int, str]  # every finished line's outcome
    statements: int  # ledger statements this worker sent (what a benchmark counts)
