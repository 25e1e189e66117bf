"""``vtrix task get|wait|list`` (and ``vtrix status``)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import click

from vtrix.cli.completion import complete_task
from vtrix.cli.context import Globals, client_for
from vtrix.cli.lazy import summary
from vtrix.cli.saving import save_options, save_outputs, save_request
from vtrix.errors import DownloadFailed, VtrixError
from vtrix.gateways import PROVIDERS
from vtrix.output import (
    Reporter,
    emit,
    human_result,
    print_failure,
    print_result,
    print_state,
    to_json,
)

if TYPE_CHECKING:
    from vtrix.ledger import Entry
    from vtrix.providers.base import TaskState

PROVIDER = click.option(
    "--provider",
    type=click.Choice(PROVIDERS),
    help="Which gateway the task is on (default: from the ledger, else the id's shape, "
    "else every gateway a key is set for).",
)
OUTPUT = click.option(
    "--output",
    "-o",
    type=click.Choice(["human", "url", "json"]),
    default="human",
    show_default=True,
)


@click.group(help=summary("task"))
def task() -> None:
    pass


def _show(state: TaskState, output: str) -> None:
    if output == "json":
        print_state(state)
    elif output == "url":
        for url in state.urls:
            emit(url)
    else:
        text = human_result(
            status=state.remote_status or state.status,
            task_id=state.id,
            model=state.model,
            urls=state.urls,
            cost=state.cost,
        )
        if state.progress is not None and not state.done:
            text += f"\nProgress: {state.progress:.0f}%"
        if state.error:
            text += f"\nError:   {state.error}"
        if state.expires_at is not None and state.urls:
            when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(state.expires_at))
            gone = state.expires_at <= time.time()
            text += f"\n{'Expired:' if gone else 'Expires:'} {when}" + (
                " (the result URLs no longer work)" if gone else ""
            )
        emit(text)


@task.command(name="get")
@click.argument("task_id", shell_complete=complete_task)
@PROVIDER
@OUTPUT
@click.option("--api-key", metavar="KEY", help="API key (overrides env and profile).")
@save_options
@click.pass_context
def get(
    ctx: click.Context,
    /,
    task_id: str,
    provider: str | None,
    output: str,
    api_key: str | None,
    **save: Any,
) -> None:
    """Status and result of TASK_ID, once. With --save, its files (a cut download resumes)."""
    saving = save_request(save)
    client = client_for(ctx, require_key=bool(provider), provider=provider, api_key=api_key)
    t = client.get_task(task_id, provider=provider)
    if saving is None:
        _show(t.state, output)
        return
    if not t.state.done:
        _show(t.state, output)
        raise DownloadFailed(
            f"task {task_id} is not finished ({t.state.remote_status or t.state.status}); "
            "nothing saved yet",
            hint=f"Wait and save with: vtrix task wait {task_id} --save {saving.directory}",
        )
    reporter = Reporter(quiet=(ctx.find_object(Globals) or Globals()).quiet)
    result = client.result_of(t.state)
    print_result(result, output, save_outputs(client, result, saving, reporter, output))


status = click.Command(
    name="status", callback=get.callback, params=get.params, help=summary("status")
)


@task.command(name="wait")
@click.argument("task_id", shell_complete=complete_task)
@PROVIDER
@OUTPUT
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=600,
    show_default=True,
    help="Seconds before the command ends (the lookup, the wait and a --save download).",
)
@click.option("--quiet", "-q", is_flag=True)
@save_options
@click.pass_context
def wait(
    ctx: click.Context,
    /,
    task_id: str,
    provider: str | None,
    output: str,
    timeout: float,
    quiet: bool,
    **save: Any,
) -> None:
    """Wait for TASK_ID to finish and print its result (with --save, save its files)."""
    g = ctx.find_object(Globals) or Globals()
    saving = save_request(save)
    client = client_for(ctx, require_key=bool(provider), provider=provider)
    reporter = Reporter(quiet=quiet or g.quiet)
    deadline = time.monotonic() + timeout  # the whole command ends by then
    try:
        t = client.get_task(task_id, provider=provider, deadline=deadline)
    except VtrixError as exc:
        if getattr(exc, "deadline", False):
            from vtrix.errors import WaitTimeout
            from vtrix.tasks import resume_hint

            raise WaitTimeout(
                f"Timed out after {timeout:g}s looking task {task_id} up; it may still run.",
                hint=resume_hint(task_id),
                task_id=task_id,
            ) from None
        raise
    reporter.line(f"Waiting for {task_id}...")
    try:
        result = t.wait(
            timeout=max(deadline - time.monotonic(), 0.0),
            on_progress=lambda s, r: reporter.progress(s.progress, r, s.remote_status or s.status),
        )
    except VtrixError as exc:
        reporter.line()
        print_failure(exc, t.state, output)
        raise
    reporter.line()
    reporter.ok("Done")
    if saving is not None:
        saving = saving._replace(deadline=deadline)
    saved = save_outputs(client, result, saving, reporter, output) if saving else []
    print_result(result, output, saved)


@task.command(name="list")
@click.option(
    "--output", "-o", type=click.Choice(["table", "json", "id"]), default="table", show_default=True
)
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--all", "everything", is_flag=True, help="Also submits that were rejected.")
@click.option(
    "--refresh", is_flag=True, help="Ask the gateways for the status of unfinished tasks."
)
@click.pass_context
def list_tasks(
    ctx: click.Context, output: str, limit: int, everything: bool, refresh: bool
) -> None:
    """Tasks submitted from this machine (the ledger; newest last).

    A submit whose outcome is unknown (sent, no clear answer) is listed with its idempotency
    key: resubmit with `--idempotency-key KEY` only where the gateway honours it."""
    client = client_for(ctx)
    ledger = client.ledger
    if ledger is not None:
        ledger.check()  # a ledger that cannot be read is an error, never an empty table
    entries = (ledger.recent(limit, everything=everything) if ledger else None) or []
    if refresh:
        entries = _refresh(ctx, entries)
    if output == "json":
        emit(to_json([_as_json(e) for e in entries]))
    elif output == "id":
        for e in entries:
            emit(e.task_id or f"key:{e.key}")
    else:
        emit(_table(entries))


def _refresh(ctx: click.Context, entries: list[Entry]) -> list[Entry]:
    from vtrix.providers.base import FINAL

    client = client_for(ctx)
    reporter = Reporter(quiet=(ctx.find_object(Globals) or Globals()).quiet)
    for e in entries:
        if e.task_id and e.state not in FINAL and client.settings.key_for(e.provider):
            try:
                client.get_task(e.task_id, provider=e.provider)
            except VtrixError as exc:
                reporter.warn(f"{e.task_id}: {exc.message}")
    ledger = client.ledger
    return [(ledger.by_key(e.key) if ledger else None) or e for e in entries]


def _as_json(e: Entry) -> dict[str, Any]:
    """The task shape of :mod:`vtrix.document` (``raw`` is not kept in the ledger: empty),
    with the ledger's own fields after it."""
    from vtrix.document import document, error_for_status

    error = (error_for_status(e.state), e.error) if e.error else None
    doc = document(
        id=e.task_id,
        model=e.model,
        provider=e.provider,
        status=e.shown_state,
        urls=e.urls,
        files=e.files,
        cost=e.cost,
        error=error,
        created_at=e.created_at,
    )
    return {**doc, "idempotency_key": e.key, "remote_status": e.remote_status}


def _when(t: float) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))
    except (OverflowError, OSError, ValueError):
        return "?"


def _table(entries: list[Entry]) -> str:
    lines = [f"{'TASK':<28}  {'MODEL':<32}  {'PROVIDER':<8}  {'CREATED':<19}  STATUS"]
    for e in entries:
        shown = e.task_id or f"? key {e.key}"
        status = e.shown_state
        if not e.task_id and e.error:
            status += f" ({json.dumps(e.error)[1:-1][:60]})"
        lines.append(
            f"{shown:<28}  {e.model:<32}  {e.provider:<8}  {_when(e.created_at):<19}  {status}"
        )
    return "\n".join(lines)
