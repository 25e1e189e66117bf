"""Reports on a batch, as options values and run functions (see :mod:`vtrix.cli.run_model`):
``vtrix batch status FILE`` (where a batch stands, per line and per worker) and ``vtrix batch
results FILE`` (every line's task object, from the ledger)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from vtrix.base.record import record

if TYPE_CHECKING:
    from vtrix.batch.input import Line
    from vtrix.cli.io import IO
    from vtrix.client import Client
    from vtrix.store.entry import Entry
    from vtrix.store.ledger import Ledger


@record
class View:
    """A batch as the ledger has it: its lines, each line's key and row, and — when workers
    ran it — each line's (worker, outcome) and each worker's share."""

    lines: list[Line]
    keys: dict[int, str]
    rows: dict[str, Entry]
    by_line: dict[int, tuple[str, str]]
    progress: list[Any]


@record(frozen=True)
class ReportOptions:
    """The batch's input file (as given to ``vtrix batch``), its default model, and the
    output form."""

    file: str
    default_model: str | None = None
    output: str = "table"


def _view(client: Client, file: str, model: str | None) -> View:
    from vtrix.batch.input import batch_id, line_keys, parse, read_bytes

    data = read_bytes(file)
    lines = parse(data, name=file, model=model)
    keys = line_keys(lines)
    ledger = client.ledger
    rows = (ledger.by_keys(list(keys.values())) if ledger else None) or {}
    return View(lines, keys, rows, *_claims(ledger, batch_id(data)))


def _claims(ledger: Ledger | None, bid: str) -> tuple[dict[int, tuple[str, str]], list[Any]]:
    """Each line's (worker, outcome) and each worker's progress, when workers ran it."""
    if ledger is None:
        return {}, []
    from vtrix.errors import LedgerUnavailable
    from vtrix.store import claims

    try:
        return claims.line_owners(ledger, bid), claims.progress(ledger, bid)
    except LedgerUnavailable:  # shown by the rows' own reads, once
        return {}, []


def _outcome(row: Entry | None, line: Line, claimed: str) -> str:
    if claimed:
        return claimed
    if row is None:
        return "invalid" if line.problem else "not submitted"
    status = row.to_task().status
    return {"canceled": "failed"}.get(status, status)


def run_batch_status(opts: ReportOptions, client: Client, io: IO) -> None:
    """Where the batch stands: each line's task and state, and each worker's share, from
    the ledger (the team's, when it is shared)."""
    import json

    io.output = opts.output
    view = _view(client, opts.file, opts.default_model)
    table = []
    for line in view.lines:
        row = view.rows.get(view.keys[line.number])
        state = row.shown_state if row else ("invalid" if line.problem else "not submitted")
        worker, outcome = view.by_line.get(line.number, ("", ""))
        table.append(
            {
                "line": line.number,
                "key": line.key,
                "model": line.model,
                "task_id": row.task_id if row else None,
                "status": state,
                "files": row.files if row else [],
                "worker": worker or None,
                "outcome": outcome or None,
            }
        )
    if opts.output == "json":
        io.emit(json.dumps(table, indent=2))
        return
    counts = Counter(t["status"] for t in table)
    io.emit(", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    for p in view.progress:
        lease = (
            f"lease {p.lease_left or 0:.0f}s left"
            if p.alive
            else ("lease ran out" if p.claimed else "finished")
        )
        done = ", ".join(f"{n} {o}" for o, n in sorted(p.outcomes.items())) or "none done"
        io.emit(f"worker {p.worker}: {p.done} done ({done}), {p.claimed} held, {lease}")
    for t in table:
        io.emit(f"line {t['line']:<5} {t['status']:<14} {t['task_id'] or '-'}  {t['model']}")


def run_batch_results(opts: ReportOptions, client: Client, io: IO) -> None:
    """Every line's task object of the batch, whichever worker or machine ran it: one JSON
    object per line (``line``, ``key``, ``outcome``, then the task as ``vtrix task get -o
    json`` shows it); ``json``: one array."""
    import json

    from vtrix.batch.run import LineResult
    from vtrix.task import UNKNOWN

    io.output = opts.output
    view = _view(client, opts.file, opts.default_model)
    docs = []
    for line in view.lines:
        key = view.keys[line.number]
        row = view.rows.get(key)
        outcome = _outcome(row, line, view.by_line.get(line.number, ("", ""))[1])
        result = LineResult(line.number, line.key, line.model, outcome, idempotency_key=key)
        if row is not None:
            result.task, result.task_id = row.to_task(), row.task_id
        elif outcome != UNKNOWN:
            result.error = "not submitted" if outcome == "not submitted" else line.problem
        docs.append(result.as_json())
    if opts.output == "json":
        io.emit(json.dumps(docs, indent=2))
    else:
        io.emit("\n".join(json.dumps(d) for d in docs))
    io.done()
