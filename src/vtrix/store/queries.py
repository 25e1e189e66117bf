"""What the ledger answers: rows by task, key, batch and time, and what past tasks of a model
took and cost (the wait's schedule and the quote learn from them). A base of
:class:`vtrix.store.ledger.Ledger`, which owns the connection and the writes."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from vtrix.store.entry import NOTHING_CREATED, Entry
from vtrix.store.sqlite import safe

if TYPE_CHECKING:
    from vtrix.store.backend import Database


class LedgerReads:
    """The ledger's queries (every one repairs or reports trouble and goes on)."""

    def _db(self) -> Database:
        raise NotImplementedError

    def _select(self, where: str, args: tuple[Any, ...], tail: str = "") -> list[Entry]:
        raise NotImplementedError

    @safe
    def by_task(self, task_id: str, provider: str | None = None) -> Entry | None:
        if provider:
            rows = self._select("WHERE task_id = ? AND provider = ?", (task_id, provider))
        else:
            rows = self._select("WHERE task_id = ?", (task_id,), "ORDER BY created_at DESC")
        return rows[0] if rows else None

    @safe
    def by_key(self, key: str) -> Entry | None:
        rows = self._select("WHERE key = ?", (key,))
        return rows[0] if rows else None

    @safe
    def recent(self, limit: int = 50, *, everything: bool = False) -> list[Entry]:
        """The newest ``limit`` submits, oldest first (without rejected ones, unless asked)."""
        where, args = ("", ()) if everything else ("WHERE state NOT IN (?, ?)", NOTHING_CREATED)
        tail = "ORDER BY created_at DESC, rowid DESC LIMIT ?"
        rows = self._select(where, (*args, max(int(limit), 0)), tail)
        return list(reversed(rows))

    @safe
    def by_keys(self, keys: list[str]) -> dict[str, Entry]:
        """The rows of many idempotency keys at once (a batch's lines)."""
        out: dict[str, Entry] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            out.update((e.key, e) for e in self._select(f"WHERE key IN ({marks})", tuple(chunk)))
        return out

    @safe
    def batch_rows(self, batch: str) -> list[Entry]:
        return self._select("WHERE batch = ?", (batch,), "ORDER BY line")

    @safe
    def timing(self, model: str, provider: str, task_id: str) -> tuple[float | None, float]:
        """(when a task of the model is typically seen done, seconds after its submit, or None
        without history; how long this task has been running) — what a wait aims its first
        poll at."""
        rows = self._select("WHERE provider = ? AND task_id = ?", (provider, task_id))
        # The model as submitted (a gateway may name it otherwise in its answers).
        bounds = self.durations(rows[0].model if rows and rows[0].model else model) or []
        age = max(time.time() - rows[0].created_at, 0.0) if rows else 0.0
        return typical_end(bounds), age

    @safe
    def durations(self, model: str, limit: int = 20) -> list[tuple[float, float]]:
        """When the last completed tasks of ``model`` were last seen running and first seen
        done (seconds after their submit), newest first: each ended between the two."""
        rows = self._db().execute(
            "SELECT ran_until - created_at, completed_at - created_at FROM tasks"
            " WHERE model = ? AND completed_at IS NOT NULL AND state = 'succeeded'"
            " ORDER BY completed_at DESC LIMIT ?",
            (model, limit),
        )
        return [
            (max(float(lo or 0.0), 0.0), float(hi))
            for lo, hi in rows
            if hi is not None and 0 < hi < 86400
        ]

    def costs(self, model: str, price_key: str, limit: int = 20) -> list[str]:
        """What the gateway charged for the last succeeded tasks of ``model`` with the same
        price-relevant parameters, newest first. On SQLite a quick, quiet look on a read-only
        connection of its own: a ledger that is missing, locked or in trouble gives none
        here (the submit that follows says what is wrong with it, once)."""
        sql = (
            "SELECT cost FROM tasks WHERE model = ? AND price_key = ?"
            " AND state = 'succeeded' AND cost IS NOT NULL"
            " ORDER BY completed_at DESC LIMIT ?"
        )
        path = getattr(self, "path", None)
        if path is None:  # a shared ledger: its own connection
            return [str(r[0]) for r in self._quiet_rows(sql, (model, price_key, limit)) or []]
        if not path.is_file():
            return []  # (before importing sqlite3: a first dry run stays light)
        import sqlite3
        from urllib.parse import quote

        try:
            conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=0.2)
        except sqlite3.Error:
            return []
        try:
            rows = conn.execute(sql, (model, price_key, limit)).fetchall()
        except sqlite3.Error:
            return []
        finally:
            conn.close()
        return [str(r[0]) for r in rows]

    @safe
    def _quiet_rows(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        return list(self._db().execute(sql, args).fetchall())

    @safe
    def since(self, after: float) -> list[Entry]:
        """Every row created after ``after`` (epoch seconds), oldest first."""
        return self._select("WHERE created_at >= ?", (after,), "ORDER BY created_at")

    @safe
    def status(self) -> dict[str, Any]:
        """What ``vtrix ledger status`` shows: counts of tasks by state, the machines and
        profiles that submitted them, and the batches shared between workers."""
        db = self._db()
        states = {
            str(state): int(n)
            for state, n in db.execute("SELECT state, count(*) FROM tasks GROUP BY state")
        }
        owners = db.execute(
            "SELECT owner, profile, count(*) FROM tasks WHERE owner IS NOT NULL"
            " GROUP BY owner, profile"
        ).fetchall()
        machines: dict[str, int] = {}
        profiles: dict[str, int] = {}
        for who, profile, n in owners:
            host = str(who).rpartition(":")[0] or str(who)
            machines[host] = machines.get(host, 0) + int(n)
            name = str(profile or "default")
            profiles[name] = profiles.get(name, 0) + int(n)
        batches = db.execute(
            "SELECT batch, count(*), sum(CASE WHEN state = 'done' THEN 1 ELSE 0 END),"
            " count(DISTINCT worker) FROM batch_lines GROUP BY batch"
        ).fetchall()
        return {
            "tasks": sum(states.values()),
            "by_state": dict(sorted(states.items())),
            "machines": dict(sorted(machines.items())),
            "profiles": dict(sorted(profiles.items())),
            "batches": [
                {"batch": str(b), "lines": int(n), "done": int(d or 0), "workers": int(w)}
                for b, n, d, w in batches
            ],
        }


# Two bounds closer than this pin a task's end down: its wait missed the end and polled densely.
TIGHT = 0.6


def typical_end(bounds: list[tuple[float, float]]) -> float | None:
    """When to look first for a task of a model that ended within ``bounds`` before (each
    (last seen running, first seen done), seconds after submit): the median time its tasks
    were seen done, or, where waits pinned ends down, the median of those, if earlier. Upper
    bounds, never midpoints: a midpoint halves or inflates a duration, and the schedule built
    on it misses, polls again, and learns the error back. None with fewer than two."""
    if len(bounds) < 2:
        return None
    import statistics

    done = statistics.median(hi for _, hi in bounds)
    pinned = [hi for lo, hi in bounds if hi - lo <= TIGHT]
    return min(done, statistics.median(pinned)) if pinned else done
