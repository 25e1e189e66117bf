"""The ledger on SQLite (the default): one file per user in WAL mode, any number of processes
writing at once, and what an SQLite failure means in words a user can act on."""

from __future__ import annotations

import contextlib
import functools
import os
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from vtrix.base.constants import LOCK_WAIT
from vtrix.errors import LedgerUnavailable

if TYPE_CHECKING:
    import sqlite3

    from vtrix.store.backend import Cursor


def use_wal(conn: sqlite3.Connection) -> None:
    """Switch to WAL. Another process switching a new file at the same moment makes this
    fail at once with "locked" (no busy wait for a journal-mode change): try again for a
    few seconds."""
    import sqlite3

    for attempt in range(50):
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.1)


def plain_reason(exc: Exception) -> str:
    """What an SQLite failure means, in words a user can act on."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return f"another process has held its lock for over {LOCK_WAIT:g}s"
    if "readonly" in text or "read-only" in text:
        return "it, or its directory, is read-only"
    if "full" in text:
        return "the disk is full"
    if "unable to open" in text:
        return "it cannot be opened"
    return str(exc)


def is_corrupt(exc: Exception) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def odd_path(path: Path) -> tuple[str, str] | None:
    """(why, fix) when something that would hang or mislead SQLite — a directory, FIFO or
    device — stands where the ledger file (or its directory) should be; else None."""
    import stat

    if os.path.islink(path) and not os.path.exists(path):
        return (
            f"{path} is a link to {os.readlink(path)}, which does not exist",
            "Remove the link or make its target, or point VTRIX_DATA_DIR elsewhere.",
        )
    for where, kind in ((path, "file"), (path.parent, "directory")):
        try:
            mode = os.stat(where).st_mode
        except FileNotFoundError:
            continue
        except OSError as exc:
            return exc.strerror or str(exc), ""
        ok = stat.S_ISREG(mode) if kind == "file" else stat.S_ISDIR(mode)
        if not ok:
            return (
                f"{where} is not a regular {kind}",
                "Move it out of the way, or point VTRIX_DATA_DIR elsewhere.",
            )
    return None


def is_sqlite_file(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


class SqliteDatabase:
    """The ledger file (see :class:`vtrix.store.backend.Database`)."""

    kind = "sqlite"
    advice = (
        "Free the disk or the lock, fix the permissions, or point VTRIX_DATA_DIR at a "
        "writable directory."
    )

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)
        self.round_trips = 0
        self.fresh = False  # the file was made by this process (history is imported once)
        self._conn: sqlite3.Connection | None = None

    def open(self) -> None:
        """Open the file (made 0600 in a private directory)."""
        import sqlite3

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
        self._conn = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(LOCK_WAIT * 1000)}")
            use_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
        except BaseException:
            self.close()
            raise
        self.fresh = fresh

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        assert self._conn is not None
        self.round_trips += 1
        return self._conn.execute(sql, tuple(args))

    @contextlib.contextmanager
    def write(self, lock: str | Sequence[str] | None = None) -> Iterator[None]:
        assert self._conn is not None
        self._conn.execute("BEGIN IMMEDIATE")  # one writer at a time, whatever the lock
        self.round_trips += 1
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def schema_version(self) -> int:
        return int(self.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self.execute(f"PRAGMA user_version = {int(version)}")
        if self.fresh:
            os.chmod(self.path, 0o600)

    def columns(self, table: str) -> set[str]:
        return {row[1] for row in self.execute(f"PRAGMA table_info({table})")}

    def ddl(self, sql: str) -> None:
        self.execute(sql.replace("{serial}", "").replace("{real}", "REAL"))

    def errors(self) -> tuple[type[Exception], ...]:
        import sqlite3

        return (sqlite3.DatabaseError,)

    def is_corrupt(self, exc: Exception) -> bool:
        return is_corrupt(exc)

    def plain_reason(self, exc: Exception) -> str:
        return plain_reason(exc)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


P = ParamSpec("P")
R = TypeVar("R")


def safe(method: Callable[P, R]) -> Callable[P, R | None]:
    """Run a ledger operation; on trouble, repair (corrupt file) or report once and go on."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
        self: Any = args[0]  # a Ledger
        with self._lock:
            for attempt in (0, 1):
                if self.disabled:
                    return None
                try:
                    return method(*args, **kwargs)
                except LedgerUnavailable as exc:
                    self._disable(exc.message)
                except self.database.errors() as exc:
                    if attempt == 0 and self.database.is_corrupt(exc):
                        self._set_aside(str(exc))
                        continue
                    self._disable(self.database.plain_reason(exc))
            return None

    return wrapper
