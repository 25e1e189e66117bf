"""The async client: the same engine as :class:`vtrix.Client` (a session and the plans of
:mod:`vtrix.engine.plans`), driven on an event loop by :func:`vtrix.http.drive_async`.
Nothing blocks the loop: each HTTP exchange and each blocking step (the ledger, an upload)
runs on a small shared pool of worker threads, and waits are coroutines sleeping on the
loop's own timers — a thousand concurrent waits share one scheduler and a handful of
threads, not a thread each.

    async with AsyncClient() as client:
        result = await client.run("kirin_v3_i2v", image_url="https://…")
"""

from __future__ import annotations

import os
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from vtrix.engine import prepare as _prepare
from vtrix.engine.facade import ClientBase
from vtrix.engine.handle import TaskHandle, handle_fields
from vtrix.engine.outcome import finished
from vtrix.engine.plans import ProgressCallback, lookup_flow, submit_flow, wait_flow
from vtrix.engine.saving import save as _save
from vtrix.http import drive_async
from vtrix.task import Result

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor
    from decimal import Decimal

    from typing_extensions import Unpack

    from vtrix.engine.prepare import Prepared, Resolved
    from vtrix.engine.pricing import Quote
    from vtrix.engine.saving import SaveOptions
    from vtrix.http import Http, Plan
    from vtrix.store.accounts import Account

T = TypeVar("T")

__all__ = ["AsyncClient", "AsyncTask"]


class AsyncTask(TaskHandle):
    """A submitted task, awaited with :meth:`wait`."""

    def __init__(self, client: AsyncClient, *args: Any, **kwargs: Any) -> None:
        super().__init__(client.session, *args, **kwargs)
        self.client = client

    async def wait(
        self,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        poll_interval: float | None = None,
    ) -> Result:
        """Wait until the task ends (``timeout`` is a deadline for everything)."""
        flow = wait_flow(
            self.session,
            self.state,
            self.endpoint,
            timeout=timeout,
            on_progress=on_progress,
            poll_interval=poll_interval,
        )
        self.state = await self.client.drive(self.session.provider(self.provider).http, flow)
        return finished(self.state, key=self.idempotency_key, by=self.submitted_by)

    async def cancel(self) -> bool:
        """Cancel the task where its gateway can (see :meth:`vtrix.client.Task.cancel`)."""
        from vtrix.engine.cancel import cancel_flow

        flow = cancel_flow(self.session, self.id, self.provider)
        found, taken = await self.client.drive(self.session.provider(self.provider).http, flow)
        self.state = found.state
        return bool(taken)


class AsyncClient(ClientBase):
    """Talks to both gateways without blocking the event loop (made as
    :class:`~vtrix.engine.facade.ClientBase` says). ``max_connections`` bounds the worker
    threads (and so the requests in flight)."""

    def __init__(self, *args: Any, max_connections: int = 16, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_connections = max_connections
        self._pool: ThreadPoolExecutor | None = None

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    @property
    def pool(self) -> ThreadPoolExecutor:
        """The worker threads (made on first use)."""
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.max_connections, thread_name_prefix="vtrix-http")
        return self._pool

    async def drive(self, http: Http, plan: Plan[T]) -> T:
        """Carry out a plan on the running loop."""
        return await drive_async(plan, partial(http.do_async, pool=self.pool))

    async def _blocking(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(
            self.pool, partial(fn, *args, **kwargs)
        )

    # ------------------------------------------------------------------- calls

    async def resolve(self, model_id: str, *, live: bool = False) -> Resolved:
        """The spec a submit of ``model_id`` is checked against (fetched off the loop;
        ``live``: look at the gateway's current spec first, as a submit does)."""
        resolved: Resolved = await self._blocking(
            _prepare.resolve, self.session, model_id, live=live
        )
        return resolved

    async def run_blocking(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run a blocking call on the client's worker threads."""
        return await self._blocking(fn, *args, **kwargs)

    async def prepare(
        self, model_id: str, params: dict[str, Any], *, resolved: Resolved | None = None
    ) -> Prepared:
        """Validate and build the request (a live spec, if one is needed, is fetched off the
        loop)."""
        prepared: Prepared = await self._blocking(
            _prepare.prepare, self.session, model_id, params, resolved=resolved
        )
        return prepared

    async def submit_prepared(
        self,
        prepared: Prepared,
        *,
        idempotency_key: str | None = None,
        batch: str | None = None,
        line: int | None = None,
        resend_unknown: bool = False,
        max_cost: Decimal | None = None,
        allow_unpriced: bool = False,
        quote: Quote | None = None,
        accounts: tuple[Account, ...] = (),
        deadline: float | None = None,
        hold: float = 0.0,
    ) -> AsyncTask:
        """Send a prepared submit once (see :meth:`vtrix.Client.submit_prepared`)."""
        from vtrix.engine.money import charge_for

        quote, charge = await self._blocking(
            partial(
                charge_for,
                self.session,
                prepared,
                max_cost=max_cost,
                allow_unpriced=allow_unpriced,
                quote=quote,
                accounts=accounts,
            )
        )
        flow = submit_flow(
            self.session,
            prepared,
            idempotency_key=idempotency_key,
            batch=batch,
            line=line,
            resend_unknown=resend_unknown,
            deadline=deadline,
            quote=quote,
            charge=charge,
            hold=hold,
        )
        done = await self.drive(self.session.provider(prepared.spec.provider).http, flow)
        return AsyncTask(self, done.state, **handle_fields(done))

    async def submit(
        self,
        model_id: str,
        params: dict[str, Any] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> AsyncTask:
        """Validate and submit; returns once the task exists."""
        resolved = await self.resolve(model_id, live=True)
        prepared = await self.prepare(model_id, {**(params or {}), **kwargs}, resolved=resolved)
        return await self.submit_prepared(prepared, idempotency_key=idempotency_key)

    async def run(
        self,
        model_id: str,
        params: dict[str, Any] | None = None,
        /,
        *,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> Result:
        """Submit and wait; the :class:`Result`, or TaskFailed, WaitTimeout …"""
        resolved = await self.resolve(model_id, live=True)
        prepared = await self.prepare(model_id, {**(params or {}), **kwargs}, resolved=resolved)
        task = await self.submit_prepared(prepared, idempotency_key=idempotency_key, hold=timeout)
        return await task.wait(timeout=timeout, on_progress=on_progress)

    async def get_task(self, task_id: str, provider: str | None = None) -> AsyncTask:
        """A task by id, its gateway found as :meth:`vtrix.Client.get_task` finds it."""
        flow = lookup_flow(self.session, task_id, provider)
        found = await self.drive(self.session.http(provider), flow)
        return AsyncTask(
            self,
            found.state,
            endpoint=found.endpoint,
            idempotency_key=found.key,
            submitted_by=found.by,
        )

    async def cancel_task(self, task_id: str, provider: str | None = None) -> AsyncTask:
        """Cancel a task by id where its gateway can (see :meth:`vtrix.Client.cancel_task`)."""
        from vtrix.engine.cancel import cancel_flow

        flow = cancel_flow(self.session, task_id, provider)
        found, _taken = await self.drive(self.session.http(provider), flow)
        return AsyncTask(self, found.state, endpoint=found.endpoint, idempotency_key=found.key)

    async def wait(
        self,
        task: AsyncTask | str,
        *,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
    ) -> Result:
        """Wait for a task (or a task id) to end."""
        if isinstance(task, str):
            task = await self.get_task(task)
        return await task.wait(timeout=timeout, on_progress=on_progress)

    async def save(
        self, result: Result, directory: str | os.PathLike[str], **options: Unpack[SaveOptions]
    ) -> list[str]:
        """Save a result's files (see :meth:`vtrix.Client.save`), off the loop."""
        saved: list[str] = await self._blocking(_save, self.session, result, directory, **options)
        return saved
