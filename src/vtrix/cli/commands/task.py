"""``vtrix task get|wait|list`` (and ``vtrix status``)."""

from __future__ import annotations

import time

import click

from vtrix.cli.context import client_for
from vtrix.cli.lazy import summary
from vtrix.gateways import PROVIDERS
from vtrix.output import Reporter, emit, human_result, print_result, to_json

PROVIDER = click.option(
    "--provider",
    type=click.Choice(PROVIDERS),
    help="Which gateway the task is on (default: from the history, else vtrix).",
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


def _show(state: object, output: str) -> None:
    from vtrix.providers.base import TaskState

    assert isinstance(state, TaskState)
    if output == "json":
        emit(to_json(state.raw))
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
        emit(text)


@task.command(name="get")
@click.argument("task_id")
@PROVIDER
@OUTPUT
@click.option("--api-key", metavar="KEY", help="API key (overrides env and profile).")
@click.pass_context
def get(
    ctx: click.Context, task_id: str, provider: str | None, output: str, api_key: str | None
) -> None:
    """Status and result of TASK_ID, once."""
    from vtrix import history

    name = provider or (e.provider if (e := history.find(task_id)) else "vtrix")
    client = client_for(ctx, require_key=True, provider=name, api_key=api_key)
    t = client.get_task(task_id, provider=name)
    _show(t.state, output)


status = click.Command(
    name="status", callback=get.callback, params=get.params, help=summary("status")
)


@task.command(name="wait")
@click.argument("task_id")
@PROVIDER
@OUTPUT
@click.option("--timeout", type=click.FloatRange(min=0), default=600, show_default=True)
@click.option("--quiet", "-q", is_flag=True)
@click.pass_context
def wait(
    ctx: click.Context, task_id: str, provider: str | None, output: str, timeout: float, quiet: bool
) -> None:
    """Wait for TASK_ID to finish and print its result."""
    from vtrix import history
    from vtrix.cli.context import Globals

    g = ctx.find_object(Globals) or Globals()
    name = provider or (e.provider if (e := history.find(task_id)) else "vtrix")
    client = client_for(ctx, require_key=True, provider=name)
    reporter = Reporter(quiet=quiet or g.quiet)
    t = client.get_task(task_id, provider=name)
    reporter.line(f"Waiting for {task_id}...")
    result = t.wait(
        timeout=timeout,
        on_progress=lambda s, r: reporter.progress(s.progress, r, s.remote_status or s.status),
    )
    reporter.line()
    reporter.ok("Done")
    print_result(result, output)


@task.command(name="list")
@click.option(
    "--output", "-o", type=click.Choice(["table", "json", "id"]), default="table", show_default=True
)
@click.option("--limit", type=int, default=50, show_default=True)
def list_tasks(output: str, limit: int) -> None:
    """Tasks submitted from this machine (local history; newest last)."""
    from dataclasses import asdict

    from vtrix import history

    entries = history.load()[-limit:]
    if output == "json":
        emit(to_json([asdict(e) for e in entries]))
    elif output == "id":
        for e in entries:
            emit(e.id)
    else:
        lines = [f"{'TASK':<28}  {'MODEL':<32}  {'PROVIDER':<8}  {'CREATED':<19}  STATUS"]
        for e in entries:
            when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.created_at))
            lines.append(f"{e.id:<28}  {e.model:<32}  {e.provider:<8}  {when:<19}  {e.status}")
        emit("\n".join(lines))
