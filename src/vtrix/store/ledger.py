"""The task ledger: every paid submit, recorded before it is sent and kept up to date.

A row is written *before* the submit goes out (model, params digest, idempotency key,
state ``submitting``) and updated as soon as the outcome is known: the task id, or
``unknown`` (sent, no clear answer), or ``rejected`` (nothing was created). Polls and
downloads update it after. ``vtrix task list``, ``task get/wait`` (to find a task's
gateway), batch resume and wait scheduling all read it.

SQLite in the user data dir, WAL, with a busy timeout: any number of processes write at
once and none loses a row. No ledger, no submit: when a submit cannot be recorded first (a
directory, FIFO or device where the file should be, another process holding its lock past
:data:`LOCK_WAIT` seconds, a read-only or full disk, a schema from a newer vtrix) nothing is
sent and :class:`~vtrix.errors.LedgerUnavailable` names the file and the fix. A file that is
not a database is set aside (renamed, kept) with one line on stderr and a new one started.
Reads and the writes after a submit (a task id, a poll) never fail a run: trouble there is
reported once and the run goes on.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from vtrix.base.amounts import amount
from vtrix.base.constants import STALE_SUBMIT
from vtrix.base.secrets import redact
from vtrix.base.text import count
from vtrix.errors import LedgerUnavailable
from vtrix.store.accounts import MONEY_LOCK, Charge, note_cost
from vtrix.store.accounts import charge as charge_to
from vtrix.store.backend import RECORDED_FIRST, Database, ledger_target
from vtrix.store.entry import (
    COLUMNS,
    SUBMITTING,
    UNKNOWN,
    Entry,
    entry_from_row,
    owner,
    same_content,
)
from vtrix.store.ledger_accounts import LedgerAccounts
from vtrix.store.ledger_ids import TaskIds
from vtrix.store.migrations import import_history, upgrade
from vtrix.store.queries import LedgerReads
from vtrix.store.sqlite import SqliteDatabase, is_sqlite_file, odd_path, safe

P = ParamSpec("P")
R = TypeVar("R")


RECONNECTS = (0.5, 1.0, 2.0)  # back-off before a shared ledger is given up for a submit


class Ledger(LedgerReads, LedgerAccounts, TaskIds):
    """The task ledger: the user's file (``VTRIX_DATA_DIR`` moves it), or a team's PostgreSQL
    database (``VTRIX_LEDGER_URL``, or ``ledger_url`` in the config file)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        target = ledger_target(path)
        self.database: Database
        if isinstance(target, str):
            from vtrix.store.postgres import PostgresDatabase

            self.database = PostgresDatabase(target)
            self.path: Path | None = None
        else:
            self.database = SqliteDatabase(target)
            self.path = target
        self.where = self.database.where
        self.disabled = False
        self.why = ""
        self._open = False
        self._lock = threading.RLock()  # one connection, shared by this process's threads

    def __repr__(self) -> str:
        return f"Ledger({self.database.kind}: {self.where})"

    @property
    def kind(self) -> str:
        return self.database.kind

    @property
    def is_open(self) -> bool:
        """Whether this process has opened the ledger (and it is usable)."""
        return self._open and not self.disabled

    # -------------------------------------------------------------- plumbing

    def _db(self) -> Database:
        if not self._open:
            if self.path is not None:
                self._check_path()
            try:
                self.database.open()
                upgrade(self.database, self.where)
            except BaseException:
                self.database.close()
                raise
            self._open = True
            if self.path is not None and getattr(self.database, "fresh", False):
                with self.database.write():
                    import_history(self.database, self.path.parent / "history.jsonl")
            self._replay_journal()
        return self.database

    def _check_path(self) -> None:
        """Refuse at once what would hang or mislead SQLite (see :func:`.sqlite.odd_path`)."""
        assert self.path is not None
        found = odd_path(self.path)
        if found is not None:
            why, fix = found
            raise self._unavailable(why, fix)

    def _unavailable(self, why: str, fix: str = "", *, sending: bool = True) -> LedgerUnavailable:
        """The error of a ledger that cannot be used (``sending``: for a submit, which then
        sends nothing), with what to do about this kind of ledger."""
        fix = fix or self.database.advice
        if sending:
            fix = f"{RECORDED_FIRST} {fix}"
        tail = "; nothing was sent" if sending else ""
        return LedgerUnavailable(
            f"the task ledger {self.where} cannot be used ({why}){tail}", hint=fix
        )

    def check(self, *, count: bool = True) -> None:
        """Raise LedgerUnavailable unless the ledger can be read and written now (without
        ``count``: unless it opens, as a submit needs it before anything else)."""
        sending = not count  # a submit's check; a read's counts the rows
        if self.disabled:
            raise self._unavailable(self.why or "it failed earlier in this run", sending=sending)
        with self._lock:
            for attempt in (0, 1):
                try:
                    db = self._db()
                    if count:
                        db.execute("SELECT count(*) FROM tasks").fetchone()
                    return
                except LedgerUnavailable:
                    raise
                except self.database.errors() as exc:
                    if attempt == 0 and self.database.is_corrupt(exc):
                        self._set_aside(str(exc))  # not a database at all; a damaged one: refused
                        continue
                    reason = self.database.plain_reason(exc)
                    raise self._unavailable(reason, sending=sending) from None

    def close(self) -> None:
        self.database.close()
        self._open = False

    def _set_aside(self, why: str) -> None:
        """A file that is not a database at all is set aside and a new ledger started; a
        database SQLite cannot read (a damaged page, a schema it cannot parse) holds rows —
        paid tasks, their keys — and is refused, never replaced."""
        from vtrix.base.dirs import set_aside

        self.close()
        if self.path is None:
            return
        if is_sqlite_file(self.path):
            raise self._unavailable(
                f"SQLite cannot read it: {why}",
                f"It holds the record of paid tasks, so vtrix will not start afresh over it. "
                f"Recover it (sqlite3 {self.path} .recover | sqlite3 {self.path}.recovered, "
                f"then move the recovered file in its place), or move it aside yourself "
                "(`vtrix task list` then starts empty; resumed batches would pay again).",
            )
        set_aside(self.path, f"is not a usable task ledger ({why})")
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")

    def _disable(self, why: str) -> None:
        self.why = why
        if not self.disabled:
            print(
                f"! the task ledger {self.where} cannot be read ({why})",
                file=sys.stderr,
            )
        self.disabled = True
        self.close()

    def _select(self, where: str, args: tuple[Any, ...], tail: str = "") -> list[Entry]:
        rows = self._db().execute(f"SELECT {', '.join(COLUMNS)} FROM tasks {where} {tail}", args)
        return [e for e in (entry_from_row(r) for r in rows) if e is not None]

    # ---------------------------------------------------------------- writing

    def begin(self, **fields: Any) -> Entry | None:
        """Record a submit about to be sent (None: go ahead); see :meth:`_begin`. Unlike
        every other write this one never goes on without the ledger: it raises
        LedgerUnavailable (nothing sent) when the row cannot be written."""
        retries = RECONNECTS if self.kind == "postgresql" else ()
        with self._lock:
            for attempt in range(len(retries) + 2):
                if self.disabled:
                    raise self._unavailable(self.why or "it failed earlier in this run")
                try:
                    return self._begin(**fields)
                except LedgerUnavailable:
                    if attempt >= len(retries) or self.path is not None:
                        raise
                except self.database.errors() as exc:
                    if attempt == 0 and self.database.is_corrupt(exc):
                        self._set_aside(str(exc))
                        continue
                    self.close()
                    if attempt >= len(retries):
                        raise self._unavailable(self.database.plain_reason(exc)) from None
                time.sleep(retries[attempt])  # a server that restarts: reconnect, then go on
        raise AssertionError("unreachable")

    def _begin(
        self,
        *,
        key: str,
        provider: str,
        model: str,
        digest: str,
        endpoint: str = "",
        batch: str | None = None,
        line: int | None = None,
        resend_unknown: bool = False,
        price_key: str = "",
        quote: str | None = None,
        profile: str | None = None,
        key_id: str | None = None,
        max_running: int | None = None,
        params_digest: str = "",
        charge: Charge | None = None,
    ) -> Entry | None:
        """Record a submit about to be sent (None: go ahead), in one transaction that also
        charges it to its accounts (:mod:`.accounts`). Returns the existing row instead when
        ``key`` already has a task, another process is sending it right now, or it was sent
        before with an unknown outcome (unless ``resend_unknown``). Raises KeyConflict when
        ``key`` was sent with another model or other parameters, AtCapacity while
        ``max_running`` tasks of the API key ``key_id`` are being sent or running (whichever
        process sent them), BudgetReached when an account has no room: nothing recorded."""
        db = self._db()
        now = time.time()
        capped = bool(max_running and key_id)
        locks = [f"key:{key}"]
        if capped:
            locks.append(f"key_id:{key_id}")
        if charge is not None and charge.accounts:
            locks.append(MONEY_LOCK)
        with db.write(lock=locks):
            existing = self._select("WHERE key = ?", (key,))
            if existing:
                same_content(existing[0], key, model, params_digest)
            shown = existing[0].shown_state if existing else ""
            held = shown == SUBMITTING or (shown == UNKNOWN and not resend_unknown)
            if existing and (existing[0].task_id or held):
                return existing[0]
            if capped and max_running is not None:
                self._check_capacity(key_id or "", max_running, now)
            if charge is not None:
                charge_to(db, key, model, charge, now)
            db.execute(
                "INSERT INTO tasks (key, provider, model, digest, state, endpoint, created_at,"
                " updated_at, batch, line, owner, price_key, quote, profile, key_id,"
                " params_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET state = excluded.state,"
                " updated_at = excluded.updated_at, error = '', owner = excluded.owner,"
                " key_id = excluded.key_id, quote = excluded.quote,"
                " price_key = excluded.price_key, params_digest = excluded.params_digest",
                (
                    key,
                    provider,
                    model,
                    digest,
                    SUBMITTING,
                    endpoint,
                    now,
                    now,
                    batch,
                    line,
                    owner(),
                    price_key,
                    quote,
                    profile,
                    key_id,
                    params_digest,
                ),
            )
        return None

    def _check_capacity(self, key_id: str, limit: int, now: float) -> None:
        """Raise AtCapacity when ``limit`` tasks of ``key_id`` are in flight. A task counts
        while it is being sent or not yet seen to end, and was written or polled within the
        last few minutes (a task nobody waits for any more stops counting)."""
        from vtrix.errors import AtCapacity
        from vtrix.task import FINAL

        finals = ", ".join(f"'{s}'" for s in sorted(FINAL))
        row = (
            self._db()
            .execute(
                "SELECT count(*) FROM tasks WHERE key_id = ? AND updated_at > ?"
                f" AND state NOT IN ({finals}, 'rejected', 'not_sent', 'unknown')",
                (key_id, now - STALE_SUBMIT),
            )
            .fetchone()
        )
        running = int(row[0] or 0)
        if running >= limit:
            exc = AtCapacity(
                f"{count(running, 'task')} of this API key {'is' if running == 1 else 'are'} "
                f"running, its limit at once is {limit}; nothing was sent",
                hint="Try again when one has ended (a batch waits by itself), or set "
                "VTRIX_MAX_RUNNING to the limit your plan allows.",
                retry_after=1.0,
            )
            exc.running = running
            raise exc

    @safe
    def outcome(self, key: str, state: str, error: str) -> None:
        """A submit that ended without a task id: ``unknown`` or ``rejected``."""
        self._db().execute(
            "UPDATE tasks SET state = ?, error = ?, updated_at = ? WHERE key = ? AND"
            " task_id IS NULL",
            (state, redact(error)[:2000], time.time(), key),
        )

    @safe
    def observe(
        self,
        *,
        provider: str,
        task_id: str,
        model: str,
        status: str,
        remote_status: str = "",
        urls: list[str] | None = None,
        error: str | None = None,
        cost: str | None = None,
        endpoint: str = "",
        final: bool = False,
        finished_at: float | None = None,
        ran_until: float | None = None,
        expires_at: float | None = None,
        raw: dict[str, Any] | None = None,
        created_at: float | None = None,
    ) -> None:
        """What a poll saw (a final task ended after ``ran_until`` and by ``finished_at``, when
        a wait knows them). A task vtrix did not submit from here gets a row too."""
        now = time.time()
        ended = finished_at if finished_at is not None and finished_at <= now else now
        valid = amount(cost)  # a negative, absurd or over-precise "cost" is not one
        cost = None if valid is None else f"{valid:f}"
        # A key a gateway echoed back (in an error, a result URL, a model field) is never kept.
        urls = [redact(u) for u in urls or []]
        error, model, remote_status = redact(error or ""), redact(model), redact(remote_status)
        answer = redact(json.dumps(raw or {}, default=str))
        db = self._db()
        updated = db.execute(
            "UPDATE tasks SET state = ?, remote_status = ?, urls = ?, error = ?, raw = ?,"
            " task_created_at = COALESCE(task_created_at, ?),"
            " cost = COALESCE(?, cost), expires_at = COALESCE(?, expires_at),"
            " model = CASE WHEN model = '' THEN ? ELSE model END,"
            " updated_at = ?, completed_at = CASE WHEN ? AND completed_at IS NULL THEN ?"
            " ELSE completed_at END,"
            " ran_until = CASE WHEN ? AND completed_at IS NULL THEN ? ELSE ran_until END"
            " WHERE provider = ? AND task_id = ?",
            (
                status,
                remote_status,
                json.dumps(urls or []),
                error or "",
                answer,
                created_at,
                cost,
                expires_at,
                model,
                now,
                final,
                ended,
                final,
                ran_until if ran_until is not None and ran_until <= ended else None,
                provider,
                task_id,
            ),
        ).rowcount
        if not updated:
            row = (model, status, endpoint, remote_status, json.dumps(urls), error, cost)
            _insert_seen(db, provider, task_id, row, now, final, expires_at, answer, created_at)
        if valid is not None and valid > 0:
            note_cost(db, provider, task_id, valid)

    @safe
    def saved(
        self,
        provider: str,
        task_id: str,
        files: list[str],
        sums: dict[str, list[Any]] | None = None,
    ) -> None:
        """Where a task's results were saved, with each file's [size, sha256]."""
        self._db().execute(
            "UPDATE tasks SET files = ?, file_sums = ?, updated_at = ? WHERE provider = ? AND"
            " task_id = ?",
            (json.dumps(files), json.dumps(sums or {}), time.time(), provider, task_id),
        )

    @safe
    def gate_statement(self, sql: str, args: tuple[Any, ...]) -> Any:
        """One statement of the shared rate gate (:mod:`vtrix.store.limits`): its first row."""
        return self._db().execute(sql, args).fetchone()

    # ---------------------------------------------------------------- reading


def _insert_seen(
    db: Database,
    provider: str,
    task_id: str,
    row: tuple[str, str, str, str, str, str, str | None],
    now: float,
    final: bool,
    expires_at: float | None,
    answer: str,
    created_at: float | None,
) -> None:
    """The row of a task this ledger has not seen submitted (``row``: model, status,
    endpoint, remote status, URLs as JSON, error, cost)."""
    db.execute(
        "INSERT INTO tasks (model, state, endpoint, remote_status, urls, error, cost, key,"
        " provider, task_id, created_at, updated_at, completed_at, expires_at, raw,"
        " task_created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (
            *row,
            f"task:{provider}:{task_id}",
            provider,
            task_id,
            now,
            now,
            now if final else None,
            expires_at,
            answer,
            created_at,
        ),
    )
