"""Many tasks at once, resumable and never paid twice, on the async client.

Every line is validated before the first submit. A line's idempotency key comes from the
line itself (its ``key``, else its model and parameters: see
:func:`vtrix.batch.input.line_keys`), and the ledger knows every key it ever sent, so running
the input again — edited, reordered, appended to, re-encoded — never submits a line twice:
lines with a task are waited on and saved, lines whose outcome is unknown are reported and
left alone (unless ``resubmit_unknown``, which resends with the same key), lines another
vtrix process is sending right now are waited for, lines that never reached a gateway are
sent. One 429 slows the whole batch (the gateway's hold is shared); temporary read errors
are retried within the line's deadline.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from vtrix.base.record import record
from vtrix.batch.checking import Checked, validate_lines
from vtrix.batch.input import Line, line_keys
from vtrix.errors import (
    BudgetReached,
    Interrupted,
    LedgerUnavailable,
    SubmitInProgress,
    SubmitOutcomeUnknown,
    TaskFailed,
    TemporaryFailure,
    ValidationFailed,
    VtrixError,
    WaitTimeout,
)
from vtrix.store.entry import NOTHING_CREATED, SUBMITTING, Entry
from vtrix.task import FINAL, UNKNOWN, Result, TaskError
from vtrix.wire.base import TaskState

if TYPE_CHECKING:
    from vtrix.aio import AsyncClient, AsyncTask
    from vtrix.client import Client
    from vtrix.engine.prepare import Prepared
    from vtrix.files.save_request import SaveRequest
    from vtrix.store.accounts import Account

SUCCEEDED, FAILED, OUTCOME_UNKNOWN, INVALID = "succeeded", "failed", "unknown", "invalid"
TIMED_OUT = "timed out"
BUDGET = "not sent: budget"
LEDGER_DOWN = "not sent: ledger"  # the ledger went away: nothing more was sent
# The error code of a line that ended so (a task's own failure keeps the task's code).
LINE_ERRORS = {
    OUTCOME_UNKNOWN: "outcome_unknown",
    TIMED_OUT: "wait_timeout",
    INVALID: "invalid_params",
}


@record
class LineResult:
    """How one input line ended (one line of ``--results``): the line's outcome and its task
    in the one task shape (:class:`vtrix.task.Result`)."""

    line: int
    key: str | None
    model: str
    status: str  # the line's outcome: succeeded, failed, unknown, timed out, invalid
    task_id: str | None = None
    error: str | None = None
    resumed: bool = False  # the line's task existed before this run
    task: Result | None = None  # the task as last seen (None: no task was created)
    provider: str = ""
    idempotency_key: str | None = None
    error_code: str | None = None

    def result(self) -> Result:
        """The line's task (a stand-in with ``id`` null when no task was created), its
        ``error`` saying why the line did not succeed."""
        code = self.error_code or LINE_ERRORS.get(self.status, "task_failed")
        error = TaskError(code, self.error) if self.error else None
        if self.task is not None:
            if error is None or self.task.error is not None:
                return self.task
            shown = copy.copy(self.task)  # a record, not a dataclass: copied, then told why
            shown.error = error
            return shown
        from vtrix.base.gateways import provider_for_id

        return Result(
            id=None,
            model=self.model,
            provider=self.provider or provider_for_id(self.model),
            status=UNKNOWN if self.status == OUTCOME_UNKNOWN else FAILED,
            error=error,
            idempotency_key=self.idempotency_key,
        )

    def as_json(self) -> dict[str, Any]:
        """The line (``line``, ``key``, ``outcome``), then the task's shape."""
        return {
            "line": self.line,
            "key": self.key,
            "outcome": self.status,
            **self.result().to_dict(),
        }


@record
class Options:
    concurrency: int = 8
    timeout: float = 600
    resubmit_unknown: bool = False
    save: SaveRequest | None = None
    poll_interval: float | None = None
    budget: Any = None  # a Decimal: see vtrix.batch.budget
    allow_unpriced: bool = False


class BatchRun:
    """One run of a batch: ``await BatchRun(...).run()`` -> a result per runnable line."""

    def __init__(
        self,
        client: AsyncClient,
        batch: str,
        lines: list[Checked],
        options: Options,
        on_event: Callable[[str, LineResult | None], None] | None = None,
    ) -> None:
        self.client = client
        self.batch = batch
        self.lines = lines
        self.options = options
        self.on_event = on_event or (lambda kind, result: None)
        self.results: dict[int, LineResult] = {}
        self.keys = line_keys([c.line for c in lines])
        self.account: Account | None = None
        if options.budget is not None:
            from vtrix.engine.money import batch_account

            self.account = batch_account(batch, options.budget)
        self.stopped: BudgetReached | None = None  # the cap that stopped sending
        self.ledger_down: LedgerUnavailable | None = None  # the ledger went away: stop sending

    def adopt_legacy_keys(self) -> None:
        """Keyed lines an earlier vtrix sent keep their rows (see :mod:`.legacy`)."""
        from vtrix.batch.legacy import adopt_legacy_keys

        adopt_legacy_keys(self.client.ledger, self.lines, self.keys)

    async def run(self) -> list[LineResult]:
        ledger = self.client.ledger
        self.adopt_legacy_keys()
        known = (ledger.by_keys(list(self.keys.values())) if ledger else None) or {}
        self.count_sent(list(known))
        sem = asyncio.Semaphore(self.options.concurrency)

        async def one(checked: Checked) -> None:
            async with sem:
                key = self.keys[checked.line.number]
                result = await self.run_line(checked, key, known.get(key))
            self.results[result.line] = result
            self.on_event("done", result)

        # Every line's task ends before this does, even when the batch is cancelled: a submit
        # on the wire records its task id first (gather without return_exceptions would
        # return at the first cancelled line, with others still sending).
        ended = await asyncio.gather(
            *(one(c) for c in self.lines if c.prepared is not None), return_exceptions=True
        )
        for outcome in ended:
            if isinstance(outcome, BaseException) and not isinstance(
                outcome, asyncio.CancelledError
            ):
                raise outcome
        return [self.results[n] for n in sorted(self.results)]

    def count_sent(self, keys: list[str]) -> None:
        """Lines of this input sent before (by any process) count against its budget."""
        ledger = self.client.ledger
        if self.account is None or ledger is None or not keys:
            return
        sent = ledger.by_keys(keys) or {}
        if sent:
            ledger.attach(self.account.name, list(sent))

    async def run_line(self, checked: Checked, key: str, row: Entry | None) -> LineResult:
        """Run one line to its end (``row``: what the ledger had for its key), never raising:
        how it ended is in the result."""
        line = checked.line
        model = checked.prepared.model_id if checked.prepared else line.model
        base = LineResult(line.number, line.key, model, OUTCOME_UNKNOWN, idempotency_key=key)
        deadline = time.monotonic() + self.options.timeout
        task: AsyncTask | None = None
        try:
            task, resumed = await self._task_for(checked, key, row, deadline)
            if task is None:
                base.error = f"the submit's outcome is unknown (idempotency key {key})"
                return base
            base.task_id, base.resumed = task.id, resumed
            base.provider, base.task = task.provider, task.result()
            self.on_event("running", base)
            result = await task.wait(
                timeout=max(deadline - time.monotonic(), 1.0),
                poll_interval=self.options.poll_interval,
            )
            base.task = result
            if self.options.save is not None:
                save = self.options.save
                try:
                    await self.client.save(
                        result,
                        save.directory,
                        overwrite=save.overwrite,
                        max_bytes=save.max_bytes,
                        allow_private_network=save.allow_private,
                    )
                except OSError as exc:  # paid and done: the URLs stay in the line's result
                    base.status, base.error_code = FAILED, "save_failed"
                    base.error = (
                        f"succeeded, but its files could not be saved in {save.directory}: "
                        f"{exc.strerror or exc}; save them with `vtrix task get {task.id} "
                        "--save DIR`"
                    )
                    return base
            base.status = SUCCEEDED
        except SubmitOutcomeUnknown as exc:
            base.error = exc.message
        except BudgetReached as exc:
            base.status, base.error, base.error_code = BUDGET, exc.message, exc.code
        except LedgerUnavailable as exc:  # before its submit: certainly not sent
            self.ledger_down = self.ledger_down or exc
            base.status, base.error, base.error_code = LEDGER_DOWN, exc.message, "not_sent"
        except TaskFailed as exc:
            base.status, base.error = FAILED, exc.message
            if exc.result is not None:
                base.task = exc.result
        except (WaitTimeout, Interrupted) as exc:
            # The task exists and may still finish; running the batch again waits for it.
            base.status = TIMED_OUT if base.task_id else OUTCOME_UNKNOWN
            base.error, base.error_code = exc.message, exc.code
            if task is not None:
                base.task = task.result()
        except VtrixError as exc:
            base.status, base.error, base.error_code = FAILED, exc.message, exc.code
        return base

    async def _task_for(
        self, checked: Checked, key: str, row: Entry | None, deadline: float
    ) -> tuple[AsyncTask | None, bool]:
        """The line's task: the one the ledger has (perhaps once another process has sent
        it), or a new submit (None: outcome unknown)."""
        if row is not None and not row.task_id and row.shown_state == SUBMITTING:
            row = await self._held_elsewhere(key, deadline, checked.line)
        if row is not None and row.task_id:
            return self._resumed(row), True
        if (
            row is not None
            and row.state not in NOTHING_CREATED
            and not self.options.resubmit_unknown
        ):
            return None, False  # sent before without a clear answer: never sent again blindly
        assert checked.prepared is not None
        if self.stopped is not None:
            raise BudgetReached(self.stopped.message + "; this line was not sent")
        if self.ledger_down is not None:
            raise LedgerUnavailable(self.ledger_down.message)
        try:
            return await self._submit(checked.prepared, key, checked.line.number, deadline), False
        except BudgetReached as exc:
            self.stopped = self.stopped or exc  # the batch stops sending: a rerun goes on
            raise BudgetReached(
                exc.message,
                hint="Run the same command with a larger --budget to go on: lines already "
                "sent are not sent again.",
            ) from None
        except SubmitInProgress:  # another process took the line between our look and now
            row = await self._held_elsewhere(key, deadline, checked.line)
            if row is not None and row.task_id:
                return self._resumed(row), True
            return None, False

    def _resumed(self, row: Entry) -> AsyncTask:
        from vtrix.aio import AsyncTask

        assert row.task_id is not None
        state = TaskState(row.task_id, row.provider, row.state, model=row.model)
        if row.state in FINAL:
            state.status = "queued"  # ask again: result URLs may have expired
        return AsyncTask(
            self.client,
            state,
            endpoint=row.endpoint,
            idempotency_key=row.key,
            submitted_by=row.submitter,
        )

    async def _held_elsewhere(self, key: str, deadline: float, line: Line) -> Entry | None:
        """Another vtrix process is sending this line: wait for its task id in the ledger
        (never send it from here too). None when that process ended without one."""
        ledger = self.client.ledger
        assert ledger is not None
        self.on_event("held", LineResult(line.number, line.key, line.model, "held"))
        while time.monotonic() < deadline:
            row = ledger.by_key(key)
            if row is None or row.task_id or row.shown_state != SUBMITTING:
                return row
            await asyncio.sleep(0.25)
        raise WaitTimeout(
            f"another vtrix process held this line's submit (idempotency key {key}) past "
            "the wait; nothing was sent from here",
            hint="Run the batch again once that process is done.",
        )

    async def _submit(
        self, prepared: Prepared, key: str, number: int, deadline: float
    ) -> AsyncTask:
        """Submit, waiting out rate limits (a 429 created nothing) within the deadline; the
        batch's budget, if any, is one of the accounts the submit is charged to."""
        attempt = 0
        while True:
            try:
                return await self.client.submit_prepared(
                    prepared,
                    idempotency_key=key,
                    batch=self.batch,
                    line=number,
                    resend_unknown=self.options.resubmit_unknown,
                    allow_unpriced=self.options.allow_unpriced,
                    accounts=(self.account,) if self.account is not None else (),
                    deadline=deadline,
                )
            except TemporaryFailure as exc:
                attempt += 1
                http = self.client.session.provider(prepared.spec.provider).http
                pause = exc.retry_after if exc.retry_after is not None else min(2.0**attempt, 30)
                if exc.status == 429:
                    http.hold(pause)
                if time.monotonic() + pause >= deadline or (exc.status != 429 and attempt >= 5):
                    raise
                await asyncio.sleep(pause)


def summary_counts(results: list[LineResult]) -> Counter[str]:
    return Counter(r.status for r in results)


def exit_code(results: list[LineResult], interrupted: bool = False) -> int:
    """130 on Ctrl-C, else 3 if any outcome is unknown, 4 if a cap stopped the batch, 75 if
    the ledger went away (nothing more was sent: run it again), 124 if a wait ran out (its
    task may still finish), 1 if any line failed, else 0."""
    return exit_code_of({r.status for r in results}, interrupted)


def exit_code_of(statuses: set[str], interrupted: bool = False) -> int:
    """:func:`exit_code` of the lines' outcomes."""
    from vtrix import errors

    if interrupted:
        return errors.INTERRUPTED
    if OUTCOME_UNKNOWN in statuses:
        return errors.OUTCOME_UNKNOWN
    if BUDGET in statuses:
        return errors.BUDGET
    if LEDGER_DOWN in statuses:
        return errors.TEMPORARY
    if TIMED_OUT in statuses:
        return errors.WAIT_TIMEOUT
    if statuses - {SUCCEEDED}:
        return errors.FAILED
    return errors.OK


def run_batch(
    items: Iterable[Mapping[str, Any]],
    *,
    client: Client | None = None,
    concurrency: int = 8,
    timeout: float = 600,
    resubmit_unknown: bool = False,
) -> Iterator[LineResult]:
    """Run many tasks from Python; yields a :class:`LineResult` per item as each ends.

    Items are ``{"model": ..., "params": {...}, "key": ...}``. Every item is validated
    before anything is sent (ValidationFailed lists the bad ones). Running the same items
    again resumes: items already submitted are not submitted again."""
    import json
    import queue
    import threading

    from vtrix.aio import AsyncClient
    from vtrix.batch.input import batch_id
    from vtrix.client import Client
    from vtrix.errors import Problem

    sync = client or Client()
    raw = [dict(item) for item in items]
    lines = [
        Line(n, str(i.get("model", "")), dict(i.get("params") or {}), key=i.get("key"))
        for n, i in enumerate(raw, 1)
    ]
    checked = validate_lines(sync, lines)
    bad = [f"item {c.line.number}: {q}" for c in checked for q in c.problems]
    if bad:
        raise ValidationFailed("the batch", [Problem("", b) for b in bad])
    bid = batch_id(json.dumps(raw, sort_keys=True, default=str).encode())
    results: queue.Queue[LineResult | BaseException | None] = queue.Queue()
    options = Options(concurrency=concurrency, timeout=timeout, resubmit_unknown=resubmit_unknown)

    async def go() -> None:
        limit = min(max(concurrency, 4), 32)
        async with AsyncClient(session=sync.session, max_connections=limit) as aclient:
            await BatchRun(
                aclient,
                bid,
                checked,
                options,
                lambda kind, r: results.put(r) if kind == "done" else None,
            ).run()

    def work() -> None:
        try:
            asyncio.run(go())
        except BaseException as exc:
            results.put(exc)
        results.put(None)

    threading.Thread(target=work, name="vtrix-batch", daemon=True).start()
    while (got := results.get()) is not None:
        if isinstance(got, BaseException):
            raise got
        yield got
