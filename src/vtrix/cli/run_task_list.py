"""``vtrix task list`` as an options value and a run function (see :mod:`vtrix.cli.run_model`):
the tasks in the ledger, filtered, optionally refreshed from their gateways."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from vtrix.base.record import record

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.client import Client
    from vtrix.store.entry import Entry

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


@record(frozen=True)
class ListOptions:
    """Which tasks (the newest ``limit``; rejected submits too with ``everything``; of one
    model, in one state, newer than ``since`` seconds), whether to ask their gateways first
    (``refresh``), and how to show them (``table``, ``json``, ``id``)."""

    output: str = "table"
    limit: int = 50
    everything: bool = False
    refresh: bool = False
    model: str | None = None
    status: str | None = None
    since: float | None = None


def run_task_list(opts: ListOptions, client: Client, io: IO) -> None:
    """Tasks in the ledger (newest last): this machine's, or the team's on a shared one."""
    from vtrix.cli.output import to_json
    from vtrix.cli.run_money import checked_ledger

    io.output = opts.output
    ledger = checked_ledger(client)  # one that cannot be read is an error, never an empty table
    filtered = bool(opts.model or opts.status or opts.since is not None)
    entries = ledger.recent(10**9 if filtered else opts.limit, everything=opts.everything) or []
    if filtered:
        after = time.time() - opts.since if opts.since is not None else None
        wanted = (opts.status or "").strip().lower()
        entries = [
            e
            for e in entries
            if (not opts.model or e.model == opts.model)
            and (not wanted or e.shown_state == wanted)
            and (after is None or e.created_at >= after)
        ][-opts.limit :]
    if opts.refresh:
        entries = _refresh(client, io, entries)
    if opts.output == "json":
        io.emit(to_json([e.to_task().to_dict() for e in entries]))
        io.done()
    elif opts.output == "id":
        for e in entries:
            io.emit(e.task_id or f"key:{e.key}")
    else:
        io.emit(_table(entries, shared=ledger.kind != "sqlite"))


def _refresh(client: Client, io: IO, entries: list[Entry]) -> list[Entry]:
    """Ask each unfinished task's gateway (one with a key) where it stands, then read the
    rows again (a poll keeps what it saw in the ledger)."""
    from vtrix.errors import VtrixError
    from vtrix.task import FINAL

    reporter = io.reporter()
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
