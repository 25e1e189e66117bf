"""The async client: the same flows as :class:`vtrix.Client` (:mod:`vtrix.flows`), driven on
an event loop. Nothing blocks the loop: each HTTP exchange and each blocking step (the
ledger, an upload) runs on a small shared pool of worker threads, and waits are coroutines
sleeping on the loop's own timers — a thousand concurrent waits share one scheduler and a
handful of threads, not a thread each. Retries, redaction, the host policy and the 429 hold
are those of the one HTTP layer.

    async with AsyncClient() as client:
        result = await client.run("kirin_v3_i2v", image_url="https://…")
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any, TypeVar

from vtrix.client import Client, Prepared, Result, Task
from vtrix.config import Settings
from vtrix.flows import ProgressCallback, Submitted, any_http, lookup_flow, submit_flow, wait_flow
from vtrix.http import Call, Http, Plan, Send, Sleep, Step, Transport, TransportError
from vtrix.ledger import Ledger

T = TypeVar("T")


class AsyncTask(Task):
    """A submitted task, awaited with :meth:`wait`."""

    def __init__(self, aclient: AsyncClient, task: Task) -> None:
        super().__init__(
            task.client,
            task.state,
            endpoint=task.endpoint,
            idempotency_key=task.idempotency_key,
            reused=task.reused,
        )
        self.aclient = aclient

    async def wait(  # type: ignore[override]
        self,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        poll_interval: float | None = None,
    ) -> Result:
        """Wait until the task ends (``timeout`` is a deadline for everything)."""
        flow = wait_flow(
            self.client,
            self.state,
            self.endpoint,
            timeout=timeout,
            on_progress=on_progress,
            poll_interval=poll_interval,
        )
        self.state = await self.aclient.drive(self.client.provider(self.provider).http, flow)
        return self.client.result_of(self.state)


class AsyncClient:
    """Talks to both gateways without blocking the event loop. Keys and URLs resolve as the
    CLI's do. ``max_connections`` bounds the worker threads (and so the requests in flight)."""

    def __init__(
        self,
        api_key: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        *,
        settings: Settings | None = None,
        ledger: Ledger | bool = True,
        transport: Transport | None = None,
        max_connections: int = 16,
    ) -> None:
        self.sync = Client(
            api_key, profile, base_url, settings=settings, ledger=ledger, transport=transport
        )
        self.max_connections = max_connections
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_connections, thread_name_prefix="vtrix-http")

    def __repr__(self) -> str:
        return f"AsyncClient(profile={self.sync.settings.profile!r})"

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    @property
    def settings(self) -> Settings:
        return self.sync.settings

    @property
    def ledger(self) -> Ledger | None:
        return self.sync.ledger

    # ------------------------------------------------------------------ driving

    async def drive(self, http: Http, plan: Plan[T]) -> T:
        """Carry out a plan on the running loop (exceptions, cancellation included, are
        raised inside the plan so that it can record what it must first)."""
        step = next(plan)
        while True:
            try:
                outcome = await self._do(http, step)
            except BaseException as exc:
                try:
                    step = plan.throw(exc)
                except StopIteration as done:
                    value: T = done.value
                    return value
                continue
            try:
                step = plan.send(outcome)
            except StopIteration as done:
                result: T = done.value
                return result

    async def _do(self, http: Http, step: Step) -> Any:
        import asyncio  # imported when used: the generated model modules import this module

        loop = asyncio.get_running_loop()
        if isinstance(step, Send):
            wait = http.hold_until - http.clock()
            if wait > 0:
                await asyncio.sleep(min(wait, max(step.deadline - http.clock(), 0)))
            send = partial(
                http.transport.send, step.request, deadline=step.deadline, max_bytes=step.max_bytes
            )
            try:
                return await loop.run_in_executor(self._pool, send)
            except TransportError as exc:
                return exc
        if isinstance(step, Sleep):
            if step.rate_limited:
                http.hold(step.seconds)
            await asyncio.sleep(step.seconds)
            return None
        assert isinstance(step, Call)
        if step.blocking:
            return await loop.run_in_executor(self._pool, step.fn)
        return step.fn()

    async def _blocking(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(
            self._pool, partial(fn, *args, **kwargs)
        )

    # ------------------------------------------------------------------- calls

    async def prepare(self, model_id: str, params: dict[str, Any]) -> Prepared:
        """Validate and build the request (a live spec, if one is needed, is fetched off the
        loop)."""
        prepared: Prepared = await self._blocking(self.sync.prepare, model_id, params)
        return prepared

    async def submit_prepared(
        self,
        prepared: Prepared,
        *,
        idempotency_key: str | None = None,
        batch: str | None = None,
        line: int | None = None,
        resend_unknown: bool = False,
    ) -> AsyncTask:
        flow = submit_flow(
            self.sync,
            prepared,
            idempotency_key=idempotency_key,
            batch=batch,
            line=line,
            resend_unknown=resend_unknown,
        )
        done: Submitted = await self.drive(self.sync.provider(prepared.spec.provider).http, flow)
        return AsyncTask(self, self.sync.task_of(done))

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
        prepared = await self.prepare(model_id, {**(params or {}), **kwargs})
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
        task = await self.submit(model_id, params, idempotency_key=idempotency_key, **kwargs)
        return await task.wait(timeout=timeout, on_progress=on_progress)

    async def get_task(self, task_id: str, provider: str | None = None) -> AsyncTask:
        """A task by id, its gateway found as :meth:`Client.get_task` finds it."""
        http = any_http(self.sync, provider)
        state, endpoint = await self.drive(http, lookup_flow(self.sync, task_id, provider))
        return AsyncTask(self, Task(self.sync, state, endpoint=endpoint))

    async def wait(
        self,
        task: Task | str,
        *,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
    ) -> Result:
        """Wait for a task (or a task id) to end."""
        if isinstance(task, str):
            task = await self.get_task(task)
        elif not isinstance(task, AsyncTask):
            task = AsyncTask(self, task)
        assert isinstance(task, AsyncTask)
        return await task.wait(timeout=timeout, on_progress=on_progress)

    async def save(
        self, result: Result, directory: str | os.PathLike[str], **options: Any
    ) -> list[str]:
        """Save a result's files (see :meth:`Client.save`), off the loop."""
        saved: list[str] = await self._blocking(self.sync.save, result, directory, **options)
        return saved
