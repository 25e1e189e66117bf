"""SQLite plumbing of the ledger: WAL mode under contention, and what an SQLite failure means in
words a user can act on."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from vtrix.errors import LedgerUnavailable

if TYPE_CHECKING:
    import sqlite3


LOCK_WAIT = 5.0  # seconds a write waits for another process's lock before giving up


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


def is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "corrupt" in text


def odd_path(path: Path) -> tuple[str, str] | None:
    """(why, fix) when something that would hang or mislead SQLite — a directory, FIFO or
    device — stands where the ledger file (or its directory) should be; else None."""
    import stat

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


P = ParamSpec("P")
R = TypeVar("R")


def safe(method: Callable[P, R]) -> Callable[P, R | None]:
    """Run a ledger operation; on trouble, repair (corrupt file) or report once and go on."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
        import sqlite3  # imported on first use: a dry run never opens the ledger

        self: Any = args[0]  # a Ledger
        with self._lock:
            for attempt in (0, 1):
                if self.disabled:
                    return None
                try:
                    return method(*args, **kwargs)
                except LedgerUnavailable as exc:
                    self._disable(exc.message)
                except sqlite3.DatabaseError as exc:
                    if attempt == 0 and is_corrupt(exc):
                        self._set_aside(str(exc))
                        continue
                    self._disable(plain_reason(exc))
            return None

    return wrapper
