"""Driving a checked batch to its end: :func:`drive`, what ``vtrix batch`` (alone or as one of
many ``--worker`` processes) hands its lines to. The command reads options and shows progress;
this runs the lines on an :class:`~vtrix.aio.AsyncClient` sharing the command's session."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtrix.batch.checking import Checked
    from vtrix.batch.run import BatchRun, LineResult, Options
    from vtrix.batch.worker import BatchEnd, WorkerRun
    from vtrix.client import Client

Event = Callable[[str, "LineResult | None"], None]


def drive(
    client: Client,
    batch: str,
    checked: list[Checked],
    options: Options,
    on_event: Event,
    *,
    lease: float | None = None,
    on_start: Callable[[], None] | None = None,
) -> tuple[list[LineResult], bool, BatchEnd | None]:
    """Run batch ``batch`` (as one of its workers when ``lease`` is given): this process's
    lines' results, whether it was interrupted (Ctrl-C, or a signal ``on_start`` turned into
    a cancel), and — for a worker — every line's outcome."""
    import asyncio

    from vtrix.aio import AsyncClient
    from vtrix.batch.run import BatchRun
    from vtrix.batch.worker import WorkerRun

    runner: BatchRun | WorkerRun | None = None
    whole: BatchEnd | None = None

    async def go() -> list[LineResult]:
        nonlocal runner, whole
        if on_start is not None:
            on_start()
        connections = min(max(options.concurrency, 4), 32)
        async with AsyncClient(session=client.session, max_connections=connections) as aclient:
            alone = BatchRun(aclient, batch, checked, options, on_event)
            runner = alone if lease is None else WorkerRun(alone, lease)
            done = await runner.run()
            if isinstance(runner, WorkerRun):
                whole = runner.batch_end()
            return done

    try:
        return asyncio.run(go()), False, whole
    except (KeyboardInterrupt, asyncio.CancelledError):
        return _so_far(runner), True, None


def _so_far(runner: Any) -> list[LineResult]:
    return [runner.results[n] for n in sorted(runner.results)] if runner is not None else []
