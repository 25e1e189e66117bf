"""Looking tasks up and waiting for them: ``vtrix task get`` (and ``vtrix status``) and
``vtrix task wait``, as options values and run functions (see :mod:`vtrix.cli.run_model`):
the click callbacks read flags into :class:`TaskOptions`; tests call the run functions with
a client on the mock transport and an :class:`~vtrix.cli.io.IO` of their own."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from vtrix.base.record import record, replace

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.cli.output import Reporter
    from vtrix.client import Client, Task
    from vtrix.files.save_request import SaveRequest


@record(frozen=True)
class TaskOptions:
    """What ``task get`` or ``task wait`` was asked: the ids, which gateway (None: the
    ledger's word, else the id's shape, else each gateway with a key), how to show each
    task, the deadline of the whole command (``wait``) and what to save."""

    task_ids: tuple[str, ...]
    provider: str | None = None
    output: str = "human"
    timeout: float = 600.0
    save: SaveRequest | None = None


def run_task_get(opts: TaskOptions, client: Client, io: IO) -> None:
    """Status and result of one task, once; with ``save``, its files (a finished task's)."""
    from vtrix.cli.ending import print_result
    from vtrix.engine.outcome import finished
    from vtrix.errors import DownloadFailed

    (task_id,) = opts.task_ids
    io.output = opts.output
    t = client.get_task(task_id, provider=opts.provider)
    io.note(model=t.model, provider=t.provider, task=t.result())
    if opts.save is None:
        show(t, opts.output, io)
        return
    if not t.state.done:
        if opts.output != "json":  # with -o json, the one object says why nothing was saved
            show(t, opts.output, io)
        raise DownloadFailed(
            f"task {task_id} is not finished ({t.state.shown_status}); nothing saved yet",
            hint=f"Wait and save with: vtrix task wait {task_id} --save {opts.save.directory}",
        )
    from vtrix.cli.saving import save_outputs

    result = finished(t.state, key=t.idempotency_key, by=t.submitted_by)
    saved = save_outputs(client, result, opts.save, io.reporter(), opts.output, io)
    print_result(result, opts.output, saved, io)


def run_task_wait(opts: TaskOptions, client: Client, io: IO) -> None:
    """Wait for each task and print its result (saving its files with ``save``). With
    several ids every one is waited on, within one deadline; the first failure is raised
    once all were tried, each printed as it came (``-o json``: one object per line)."""
    from vtrix.cli.ending import print_error
    from vtrix.errors import VtrixError

    io.output, io.json_lines = opts.output, True  # -o json: one task per line
    reporter = io.reporter()
    deadline = time.monotonic() + opts.timeout  # the whole command ends by then
    first: VtrixError | None = None
    ids = list(dict.fromkeys(opts.task_ids))
    for task_id in ids:
        try:
            _wait_one(opts, client, task_id, deadline, io, reporter)
        except VtrixError as exc:
            if len(opts.task_ids) == 1:
                raise
            print_error(io, exc)  # with -o json: one object per task
            io.note(task=None, printed=False)
            reporter.error(f"{task_id}: {exc.message}")
            first = first or exc
    if first is not None:
        io.done()
        raise first


def _wait_one(
    opts: TaskOptions, client: Client, task_id: str, deadline: float, io: IO, reporter: Reporter
) -> None:
    from vtrix.cli.ending import print_result
    from vtrix.errors import VtrixError

    try:
        t = client.get_task(task_id, provider=opts.provider, deadline=deadline)
    except VtrixError as exc:
        if getattr(exc, "deadline", False):
            from vtrix.engine.polling import resume_hint
            from vtrix.errors import WaitTimeout

            raise WaitTimeout(
                f"Timed out after {opts.timeout:g}s looking task {task_id} up; it may still run.",
                hint=resume_hint(task_id),
                task_id=task_id,
            ) from None
        raise
    io.note(model=t.model, provider=t.provider, task=t.result())
    reporter.line(f"Waiting for {task_id}...")
    try:
        result = t.wait(
            timeout=max(deadline - time.monotonic(), 0.0),
            on_progress=lambda s, r: reporter.progress(s.progress, r, s.shown_status),
        )
    except BaseException as exc:
        reporter.line()
        io.note(task=getattr(exc, "result", None) or t.result())
        raise
    reporter.line()
    reporter.ok("Done")
    saved: list[str] = []
    if opts.save is not None:
        from vtrix.cli.saving import save_outputs

        saving = replace(opts.save, deadline=deadline)
        saved = save_outputs(client, result, saving, reporter, opts.output, io)
    print_result(result, opts.output, saved, io)
    io.note(printed=False, task=None)  # the next task of `task wait ID ID` prints its own


def show(t: Task, output: str, io: IO) -> None:
    """A task as it stands (finished or not): ``json``, ``url`` or the human view."""
    from vtrix.cli.ending import print_task
    from vtrix.cli.output import human_result

    state = t.state
    if output == "json":
        print_task(t.result(), io)
    elif output == "url":
        for url in state.urls:
            io.emit(url)
    else:
        text = human_result(
            status=state.shown_status,
            task_id=state.id,
            model=state.model,
            urls=state.urls,
            cost=state.cost,
        )
        if state.progress is not None and not state.done:
            text += f"\nProgress: {state.progress:.0f}%"
        if state.error:
            text += f"\nError:   {state.error}"
        gone = state.expires_at is not None and state.expires_at <= time.time()
        if state.expires_at is not None and (state.urls or (gone and state.done)):
            when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(state.expires_at))
            why = "the result URLs no longer work" if state.urls else "the gateway deleted them"
            text += f"\n{'Expired:' if gone else 'Expires:'} {when}" + (f" ({why})" if gone else "")
        io.emit(text)


def run_task_cancel(opts: TaskOptions, client: Client, io: IO) -> None:
    """Cancel each task where its gateway can (fal); a gateway without cancel is refused with
    nothing sent (exit 2). With several ids each is tried; the first error is raised after."""
    from vtrix.cli.ending import print_error, print_task
    from vtrix.errors import VtrixError

    io.output, io.json_lines = opts.output, True
    reporter = io.reporter()
    first: VtrixError | None = None
    for task_id in dict.fromkeys(opts.task_ids):
        try:
            t = client.cancel_task(task_id, provider=opts.provider)
        except VtrixError as exc:
            if len(opts.task_ids) == 1:
                raise
            print_error(io, exc)
            io.note(task=None, printed=False)
            reporter.error(f"{task_id}: {exc.message}")
            first = first or exc
            continue
        io.note(model=t.model, provider=t.provider, task=t.result())
        if opts.output == "json":
            print_task(t.result(), io)
            io.note(printed=False)
        elif t.status == "canceled":
            io.emit(f"canceled {task_id}")
        else:
            io.emit(f"{task_id} had ended already ({t.state.shown_status}); nothing to cancel")
    if first is not None:
        io.done()
        raise first
