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
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from vtrix.base.secrets import redact
from vtrix.errors import LedgerUnavailable
from vtrix.store.entry import (
    COLUMNS,
    SUBMITTED,
    SUBMITTING,
    UNKNOWN,
    Entry,
    entry_from_row,
    owner,
)
from vtrix.store.migrations import SCHEMA_VERSION, import_history, migrate
from vtrix.store.queries import LedgerReads
from vtrix.store.sqlite import LOCK_WAIT, is_corrupt, odd_path, plain_reason, safe, use_wal

if TYPE_CHECKING:
    import sqlite3


P = ParamSpec("P")
R = TypeVar("R")


class Ledger(LedgerReads):
    """The ledger file of this user (``VTRIX_DATA_DIR`` moves it)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is None:
            from vtrix.base.dirs import data_dir

            path = data_dir() / "ledger.sqlite3"
        self.path = Path(path)
        self.disabled = False
        self.why = ""
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.RLock()  # one connection, shared by this process's threads

    # -------------------------------------------------------------- plumbing

    def _db(self) -> sqlite3.Connection:
        import sqlite3

        if self._conn is None:
            self._check_path()
            from vtrix.base.dirs import private_dir

            private_dir(self.path.parent)
            fresh = not self.path.exists()
            if fresh:  # 0600 before SQLite opens it: its -wal and -shm get the same mode
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
                os.chmod(self.path, 0o600)
            conn = sqlite3.connect(
                self.path, timeout=LOCK_WAIT, isolation_level=None, check_same_thread=False
            )
            try:
                conn.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT * 1000)}")
                use_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
                # The schema in one write transaction: processes opening a new ledger at
                # once wait for each other (busy timeout) instead of failing.
                conn.execute("BEGIN IMMEDIATE")
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    conn.execute("ROLLBACK")
                    raise self._unavailable(
                        f"its schema (version {version}) comes from a newer vtrix",
                        "Upgrade vtrix (pip install -U vtrix), or point VTRIX_DATA_DIR at "
                        "another directory.",
                    )
                migrate(conn, version)
                conn.execute("COMMIT")
            except BaseException:
                conn.close()
                raise
            if fresh:
                os.chmod(self.path, 0o600)
            self._conn = conn
            if fresh:
                import_history(self._db(), self.path.parent / "history.jsonl")
        return self._conn

    def _check_path(self) -> None:
        """Refuse at once what would hang or mislead SQLite (see :func:`.sqlite.odd_path`)."""
        found = odd_path(self.path)
        if found is not None:
            why, fix = found
            raise self._unavailable(why, fix)

    def _unavailable(self, why: str, fix: str = "") -> LedgerUnavailable:
        return LedgerUnavailable(
            f"the task ledger {self.path} cannot be used ({why}); nothing was sent",
            hint=fix
            or "vtrix records every submit before sending it, so that none is ever paid "
            "twice or lost. Free the disk or the lock, fix the permissions, or point "
            "VTRIX_DATA_DIR at a writable directory.",
        )

    def check(self) -> None:
        """Raise LedgerUnavailable unless the ledger can be read and written now."""
        import sqlite3

        if self.disabled:
            raise self._unavailable(self.why or "it failed earlier in this run")
        with self._lock:
            try:
                self._db().execute("SELECT count(*) FROM tasks").fetchone()
            except sqlite3.DatabaseError as exc:
                raise self._unavailable(str(exc)) from None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _set_aside(self, why: str) -> None:
        from vtrix.base.dirs import set_aside

        self.close()
        set_aside(self.path, f"is not a usable task ledger ({why})")
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")

    def _disable(self, why: str) -> None:
        self.why = why
        if not self.disabled:
            print(
                f"! the task ledger {self.path} cannot be used ({why}); going on without it",
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
        import sqlite3

        with self._lock:
            for attempt in (0, 1):
                if self.disabled:
                    raise self._unavailable(self.why or "it failed earlier in this run")
                try:
                    return self._begin(**fields)
                except LedgerUnavailable:
                    raise
                except sqlite3.DatabaseError as exc:
                    if attempt == 0 and is_corrupt(exc):
                        self._set_aside(str(exc))
                        continue
                    self.close()
                    raise self._unavailable(plain_reason(exc)) from None
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
    ) -> Entry | None:
        """Record a submit about to be sent (None: go ahead). Returns the existing row instead
        when ``key`` already has a task, another process is sending it right now, or it was
        sent before with an unknown outcome (unless ``resend_unknown``)."""
        db = self._db()
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            existing = self._select("WHERE key = ?", (key,))
            shown = existing[0].shown_state if existing else ""
            held = shown == SUBMITTING or (shown == UNKNOWN and not resend_unknown)
            if existing and (existing[0].task_id or held):
                db.execute("COMMIT")
                return existing[0]
            db.execute(
                "INSERT INTO tasks (key, provider, model, digest, state, endpoint, created_at,"
                " updated_at, batch, line, owner, price_key, quote, profile)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(key) DO UPDATE SET state = excluded.state,"
                " updated_at = excluded.updated_at, error = '', owner = excluded.owner",
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
                ),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return None

    @safe
    def submitted(
        self,
        key: str,
        task_id: str,
        status: str,
        remote_status: str = "",
        created_at: float | None = None,
        raw: dict[str, Any] | None = None,
    ) -> None:
        answer = redact(json.dumps(raw or {}, default=str))
        self._db().execute(
            "UPDATE tasks SET task_id = ?, state = ?, remote_status = ?, updated_at = ?,"
            " task_created_at = ?, raw = ? WHERE key = ?",
            (task_id, status or SUBMITTED, remote_status, time.time(), created_at, answer, key),
        )

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
        expires_at: float | None = None,
        raw: dict[str, Any] | None = None,
        created_at: float | None = None,
    ) -> None:
        """What a poll saw (``finished_at``: when a final task ended, if better known than
        now). A task vtrix did not submit from here gets a row too."""
        now = time.time()
        ended = finished_at if finished_at is not None and finished_at <= now else now
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
            " ELSE completed_at END WHERE provider = ? AND task_id = ?",
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
                provider,
                task_id,
            ),
        ).rowcount
        if not updated:
            db.execute(
                "INSERT OR IGNORE INTO tasks (key, provider, model, state, task_id, endpoint,"
                " remote_status, urls, error, cost, created_at, updated_at, completed_at,"
                " expires_at, raw, task_created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    f"task:{provider}:{task_id}",
                    provider,
                    model,
                    status,
                    task_id,
                    endpoint,
                    remote_status,
                    json.dumps(urls or []),
                    error or "",
                    cost,
                    now,
                    now,
                    now if final else None,
                    expires_at,
                    answer,
                    created_at,
                ),
            )

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

    # ---------------------------------------------------------------- reading
