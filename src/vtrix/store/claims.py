"""Batch workers' claims on a batch's lines, kept in the ledger (``batch_lines``).

Any number of ``vtrix batch FILE --worker`` processes, on any machines sharing the ledger,
enrol the batch's lines (the first one to come writes them) and take them one at a time: a
claim is a lease that its worker renews while it lives (:func:`heartbeat`). A line whose
lease ran out — its worker was killed — is claimed again by another; the claim count tells
that worker the line was *taken over*, so a submit the dead worker may have sent is treated
as an unknown outcome (never resent blindly), while a line whose submit never started is
simply sent. What stops a line being paid twice is the ledger's row, written before the
submit under the idempotency key that is unique for the whole team; the claims only share
out the work. On PostgreSQL a claim skips rows another worker holds locked
(``FOR UPDATE SKIP LOCKED``); on SQLite writers take turns.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from vtrix.base.record import record
from vtrix.errors import LedgerUnavailable
from vtrix.store.backend import now_sql

if TYPE_CHECKING:
    from vtrix.store.ledger import Ledger

OPEN, CLAIMED, DONE = "open", "claimed", "done"


@record
class Claim:
    """A line this worker holds: ``taken_over`` when another worker held it before."""

    line: int
    key: str
    taken_over: bool


@record
class WorkerProgress:
    """One worker's share of a batch (what ``vtrix batch status`` shows per worker)."""

    worker: str
    done: int
    claimed: int
    lease_left: float | None  # seconds its latest lease has left, by the database's clock
    outcomes: dict[str, int]

    @property
    def alive(self) -> bool:
        return self.lease_left is not None and self.lease_left > 0


def _run(ledger: Ledger, fn: Any) -> Any:
    """Run ``fn(db)`` under the ledger's lock; a database failure becomes LedgerUnavailable
    (a worker cannot share out work without the ledger)."""
    with ledger._lock:
        try:
            return fn(ledger._db())
        except LedgerUnavailable:
            raise
        except ledger.database.errors() as exc:
            ledger.close()
            raise ledger._unavailable(ledger.database.plain_reason(exc)) from None


def enrol(ledger: Ledger, batch: str, lines: Sequence[tuple[int, str]]) -> None:
    """Write the batch's lines (line number, idempotency key) unless a worker already did."""
    now = time.time()

    def go(db: Any) -> None:
        for i in range(0, len(lines), 200):
            chunk = lines[i : i + 200]
            marks = ", ".join("(?, ?, ?, 'open', ?)" for _ in chunk)
            args = [v for n, key in chunk for v in (batch, n, key, now)]
            db.execute(
                "INSERT INTO batch_lines (batch, line, key, state, updated_at) VALUES "
                f"{marks} ON CONFLICT DO NOTHING",
                args,
            )

    _run(ledger, go)


def _now(ledger: Ledger) -> str:
    """The database's clock in SQL: leases are set and judged by one clock."""
    return now_sql(ledger.kind)


def claim(ledger: Ledger, batch: str, worker: str, lease: float) -> Claim | None:
    """Take the first open line, or one whose lease ran out (None: no such line now)."""
    now = _now(ledger)
    skip = " FOR UPDATE SKIP LOCKED" if ledger.kind == "postgresql" else ""
    sql = (
        f"UPDATE batch_lines SET state = 'claimed', worker = ?, lease_until = {now} + ?,"
        f" claims = claims + 1, updated_at = {now} WHERE batch = ? AND line = ("
        "SELECT line FROM batch_lines WHERE batch = ? AND (state = 'open' OR"
        f" (state = 'claimed' AND lease_until < {now})) ORDER BY line LIMIT 1{skip})"
        " RETURNING line, key, claims"
    )
    row = _run(
        ledger,
        lambda db: db.execute(sql, (worker, float(lease), batch, batch)).fetchone(),
    )
    if row is None:
        return None
    return Claim(int(row[0]), str(row[1]), int(row[2]) > 1)


def heartbeat(ledger: Ledger, batch: str, worker: str, lease: float) -> None:
    """Renew every lease ``worker`` holds on ``batch``."""
    _run(
        ledger,
        lambda db: db.execute(
            f"UPDATE batch_lines SET lease_until = {_now(ledger)} + ? WHERE batch = ?"
            " AND worker = ? AND state = 'claimed'",
            (float(lease), batch, worker),
        ),
    )


def finish(ledger: Ledger, batch: str, line: int, worker: str, outcome: str) -> None:
    """``worker`` is done with ``line`` (unless another took it over meanwhile)."""
    _run(
        ledger,
        lambda db: db.execute(
            "UPDATE batch_lines SET state = 'done', outcome = ?, lease_until = NULL,"
            " updated_at = ? WHERE batch = ? AND line = ? AND worker = ? AND state = 'claimed'",
            (outcome, time.time(), batch, line, worker),
        ),
    )


def release(ledger: Ledger, batch: str, worker: str) -> None:
    """Give back the lines ``worker`` still holds (it is stopping): others take them now."""
    _run(
        ledger,
        lambda db: db.execute(
            "UPDATE batch_lines SET state = 'open', lease_until = NULL, updated_at = ?"
            " WHERE batch = ? AND worker = ? AND state = 'claimed'",
            (time.time(), batch, worker),
        ),
    )


def reopen(ledger: Ledger, batch: str) -> int:
    """Open again the finished lines that did not succeed (how many): a worker starting
    looks at them again, as a batch run again does — a line with a task is waited on, never
    sent twice."""
    cursor = _run(
        ledger,
        lambda db: db.execute(
            "UPDATE batch_lines SET state = 'open', worker = NULL, updated_at = ?"
            " WHERE batch = ? AND state = 'done' AND outcome != 'succeeded'",
            (time.time(), batch),
        ),
    )
    return int(cursor.rowcount or 0)


def remaining(ledger: Ledger, batch: str) -> tuple[int, float | None]:
    """(lines not done, seconds until the soonest held lease runs out — None when none is
    held), by the database's clock."""
    row = _run(
        ledger,
        lambda db: db.execute(
            "SELECT count(*), min(CASE WHEN state = 'claimed' THEN lease_until END)"
            f" - {_now(ledger)} FROM batch_lines WHERE batch = ? AND state != 'done'",
            (batch,),
        ).fetchone(),
    )
    return int(row[0] or 0), (float(row[1]) if row[1] is not None else None)


def outcomes(ledger: Ledger, batch: str) -> dict[int, str]:
    """Each finished line's outcome."""
    rows = _run(
        ledger,
        lambda db: db.execute(
            "SELECT line, outcome FROM batch_lines WHERE batch = ? AND state = 'done'",
            (batch,),
        ).fetchall(),
    )
    return {int(r[0]): str(r[1] or "") for r in rows}


def line_owners(ledger: Ledger, batch: str) -> dict[int, tuple[str, str]]:
    """Each enrolled line's (worker that holds or ran it, outcome) — empty strings for none."""
    rows = _run(
        ledger,
        lambda db: db.execute(
            "SELECT line, worker, outcome FROM batch_lines WHERE batch = ?", (batch,)
        ).fetchall(),
    )
    return {int(r[0]): (str(r[1] or ""), str(r[2] or "")) for r in rows}


def progress(ledger: Ledger, batch: str) -> list[WorkerProgress]:
    """Each worker's share of ``batch`` (empty: no worker ever took part)."""
    rows = _run(
        ledger,
        lambda db: db.execute(
            f"SELECT worker, state, outcome, count(*), max(lease_until) - {_now(ledger)}"
            " FROM batch_lines WHERE batch = ? AND worker IS NOT NULL"
            " GROUP BY worker, state, outcome",
            (batch,),
        ).fetchall(),
    )
    by: dict[str, WorkerProgress] = {}
    for worker, state, outcome, count, lease in rows:
        p = by.setdefault(str(worker), WorkerProgress(str(worker), 0, 0, None, {}))
        if state == DONE:
            p.done += int(count)
            p.outcomes[str(outcome)] = p.outcomes.get(str(outcome), 0) + int(count)
        elif state == CLAIMED:
            p.claimed += int(count)
            if lease is not None:
                p.lease_left = max(p.lease_left or float("-inf"), float(lease))
    return sorted(by.values(), key=lambda p: p.worker)
