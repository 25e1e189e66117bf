"""``vtrix task get|wait|list`` (and ``vtrix status``)."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import click

from vtrix.base.gateways import PROVIDERS
from vtrix.cli import ending
from vtrix.cli.click_types import DURATION, Word
from vtrix.cli.completion import complete_task
from vtrix.cli.context import Globals, client_for
from vtrix.cli.io import io_of
from vtrix.cli.lazy import summary
from vtrix.cli.output import Reporter, emit, to_json
from vtrix.cli.saving import save_options, save_request
from vtrix.errors import VtrixError

if TYPE_CHECKING:
    from vtrix.store.entry import Entry

PROVIDER = click.option(
    "--provider",
    type=Word(tuple(PROVIDERS), "gateway"),
    help="Which gateway the task is on (default: from the ledger, else the id's shape, "
    "else every gateway a key is set for).",
)
OUTPUT = ending.output_option("human", "url", "json")
# What a ledger row can show: a task's status, or where its submit stands.
TASK_STATES = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "canceled",
    "unknown",
    "submitting",
    "submitted",
    "rejected",
    "not_sent",
)


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
    client = client_for(ctx)
    ledger = client.ledger
    if ledger is not None:
        ledger.check()  # a ledger that cannot be read is an error, never an empty table
    filtered = bool(model or wanted_status or since is not None)
    got = ledger.recent(10**9 if filtered else limit, everything=everything) if ledger else None
    entries = got or []
    if filtered:
        after = time.time() - since if since is not None else None
        entries = [
            e
            for e in entries
            if (not model or e.model == model)
            and (not wanted_status or e.shown_state == wanted_status.strip().lower())
            and (after is None or e.created_at >= after)
        ][-limit:]
    if refresh:
        entries = _refresh(ctx, entries)
    if output == "json":
        emit(to_json([e.to_task().to_dict() for e in entries]))
        ending.printed()
    elif output == "id":
        for e in entries:
            emit(e.task_id or f"key:{e.key}")
    else:
        emit(_table(entries, shared=ledger is not None and ledger.kind != "sqlite"))


def _refresh(ctx: click.Context, entries: list[Entry]) -> list[Entry]:
    from vtrix.task import FINAL

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


def _when(t: float) -> str:
    try:
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t))
    except (OverflowError, OSError, ValueError):
        return "?"


def _table(entries: list[Entry], shared: bool = False) -> str:
    """Columns as wide as their widest cell (a rejected submit's key is long), so they
    always line up. A shared ledger adds who submitted each task: machine and profile."""
    rows = []
    for e in entries:
        status = e.shown_state
        if not e.task_id and e.error:
            status += f" ({json.dumps(e.error)[1:-1][:60]})"
        row = [e.task_id or f"? key {e.key}", e.model, e.provider, _when(e.created_at)]
        if shared:
            row.append(f"{e.machine or '-'}/{e.profile or 'default'}" if e.machine else "-")
        rows.append((*row, status))
    head = ("TASK", "MODEL", "PROVIDER", "CREATED", *(("BY",) if shared else ()), "STATUS")
    n = len(head) - 1
    widths = [max([len(head[i])] + [len(r[i]) for r in rows]) for i in range(n)]
    lines = []
    for cols in [head, *rows]:
        cells = [f"{c:<{w}}" for c, w in zip(cols[:n], widths, strict=True)]
        lines.append("  ".join([*cells, cols[n]]))
    return "\n".join(lines)
