"""``vtrix task get|wait|list`` (and ``vtrix status``): the flags read into options, run by
:mod:`vtrix.cli.run_task` and :mod:`vtrix.cli.run_task_list`."""

from __future__ import annotations

from typing import Any

import click

from vtrix.base.gateways import PROVIDERS
from vtrix.cli import ending
from vtrix.cli.click_types import DURATION, Word
from vtrix.cli.completion import complete_task
from vtrix.cli.context import Globals, client_for
from vtrix.cli.io import io_of
from vtrix.cli.lazy import summary
from vtrix.cli.run_task_list import TASK_STATES
from vtrix.cli.saving import save_options, save_request

PROVIDER = click.option(
    "--provider",
    type=Word(tuple(PROVIDERS), "gateway"),
    help="Which gateway the task is on (default: from the ledger, else the id's shape, "
    "else every gateway a key is set for).",
)
OUTPUT = ending.output_option("human", "url", "json")


@click.group(help=summary("task"))
def task() -> None:
    pass


@task.command(name="get")
@click.argument("task_id", shell_complete=complete_task)
@PROVIDER
@OUTPUT
@click.option("--api-key", metavar="KEY", help="API key (overrides env and profile).")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
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
    from vtrix.cli.run_task import TaskOptions, run_task_get

    io = io_of(ctx)
    io.quiet = bool(save.pop("quiet", False)) or (ctx.find_object(Globals) or Globals()).quiet
    opts = TaskOptions((task_id,), provider=provider, output=output, save=save_request(save))
    client = client_for(ctx, require_key=bool(provider), provider=provider, api_key=api_key)
    run_task_get(opts, client, io)


status = click.Command(
    name="status", callback=get.callback, params=get.params, help=summary("status")
)


@task.command(name="wait")
@click.argument(
    "task_ids", metavar="TASK_ID...", nargs=-1, required=True, shell_complete=complete_task
)
@PROVIDER
@OUTPUT
@click.option(
    "--timeout",
    type=DURATION,
    default=600,
    show_default=True,
    help="Seconds (or 90s, 5m, 1h) before the command ends: every lookup, wait and --save "
    "download.",
)
@click.option("--quiet", "-q", is_flag=True)
@save_options
@click.pass_context
def wait(
    ctx: click.Context,
    /,
    task_ids: tuple[str, ...],
    provider: str | None,
    output: str,
    timeout: float,
    quiet: bool,
    **save: Any,
) -> None:
    """Wait for each TASK_ID to finish and print its result (with --save, save its files).
    With several ids, every one is waited on (one shared deadline); the exit code is the
    first failure's. -o json prints JSON Lines: one task object per line."""
    from vtrix.cli.run_task import TaskOptions, run_task_wait

    io = io_of(ctx)
    io.quiet = quiet or (ctx.find_object(Globals) or Globals()).quiet
    saving = save_request(save)
    opts = TaskOptions(task_ids, provider=provider, output=output, timeout=timeout, save=saving)
    run_task_wait(opts, client_for(ctx, require_key=bool(provider), provider=provider), io)


@task.command(name="cancel")
@click.argument(
    "task_ids", metavar="TASK_ID...", nargs=-1, required=True, shell_complete=complete_task
)
@PROVIDER
@ending.output_option("human", "json")
@click.pass_context
def cancel(
    ctx: click.Context, /, task_ids: tuple[str, ...], provider: str | None, output: str
) -> None:
    """Cancel each TASK_ID where its gateway can (fal). On a gateway without cancel (vtrix,
    Modellix) it says so and sends nothing (exit 2). A task that ended already stays as it is."""
    from vtrix.cli.run_task import TaskOptions, run_task_cancel

    opts = TaskOptions(task_ids, provider=provider, output=output)
    run_task_cancel(
        opts, client_for(ctx, require_key=bool(provider), provider=provider), io_of(ctx)
    )


@task.command(name="list")
@ending.output_option("table", "json", "id")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
@click.option("--all", "everything", is_flag=True, help="Also submits that were rejected.")
@click.option(
    "--refresh", is_flag=True, help="Ask the gateways for the status of unfinished tasks."
)
@click.option("--model", metavar="M", help="Only tasks of this model.")
@click.option(
    "--status",
    "wanted_status",
    type=Word(TASK_STATES, "task state"),
    help="Only tasks in this state.",
)
@click.option("--since", type=DURATION, metavar="AGE", help="Only tasks newer than 2h, 7d, 90s…")
@click.pass_context
def list_tasks(
    ctx: click.Context,
    output: str,
    limit: int,
    everything: bool,
    refresh: bool,
    model: str | None,
    wanted_status: str | None,
    since: float | None,
) -> None:
    """Tasks in the ledger (newest last): this machine's, or the team's on a shared one.

    A submit whose outcome is unknown (sent, no clear answer) is listed with its idempotency
    key: resubmit with `--idempotency-key KEY` only where the gateway honours it."""
    from vtrix.cli.run_task_list import ListOptions, run_task_list

    opts = ListOptions(output, limit, everything, refresh, model, wanted_status, since)
    run_task_list(opts, client_for(ctx), io_of(ctx))
