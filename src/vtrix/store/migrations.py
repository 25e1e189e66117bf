"""The ledger's schema as a numbered list of migrations (as llm keeps its own). A ledger's
``PRAGMA user_version`` is the number of the last one applied; opening a ledger applies the
rest, in order, in one write transaction. Never edit a released migration: add one."""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

Migration = Callable[["sqlite3.Connection"], None]


def _columns(conn: sqlite3.Connection) -> set[str]:
    return {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}


def _add(conn: sqlite3.Connection, *columns: tuple[str, str]) -> None:
    have = _columns(conn)
    for name, kind in columns:
        if name not in have:  # a ledger from a vtrix that made the table with it already
            conn.execute(f"ALTER TABLE tasks ADD COLUMN {name} {kind}")


def m001_tasks(conn: sqlite3.Connection) -> None:
    """The tasks table: one row per submit (or per task seen), keyed by idempotency key."""
    conn.execute(
        """CREATE TABLE IF NOT EXISTS tasks (
            key TEXT PRIMARY KEY,
            provider TEXT NOT NULL,
            model TEXT NOT NULL,
            digest TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL,
            task_id TEXT,
            endpoint TEXT NOT NULL DEFAULT '',
            remote_status TEXT NOT NULL DEFAULT '',
            error TEXT NOT NULL DEFAULT '',
            urls TEXT NOT NULL DEFAULT '[]',
            files TEXT NOT NULL DEFAULT '[]',
            cost TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            completed_at REAL,
            batch TEXT,
            line INTEGER
        )"""
    )
    conn.execute("CREATE INDEX IF NOT EXISTS tasks_by_id ON tasks (task_id)")
    conn.execute("CREATE INDEX IF NOT EXISTS tasks_by_time ON tasks (created_at)")
    conn.execute("CREATE INDEX IF NOT EXISTS tasks_by_batch ON tasks (batch, line)")
    conn.execute("CREATE INDEX IF NOT EXISTS tasks_by_model ON tasks (model, completed_at)")


def m002_owner_expiry_sums(conn: sqlite3.Connection) -> None:
    """Who is sending a submit, when result URLs expire, and the checksums of saved files."""
    _add(
        conn,
        ("owner", "TEXT"),
        ("expires_at", "REAL"),
        ("file_sums", "TEXT NOT NULL DEFAULT '{}'"),
    )


def m003_raw_and_task_time(conn: sqlite3.Connection) -> None:
    """The gateway's last answer and the task's own creation time, so that a row gives the
    same task shape as ``task get``."""
    _add(conn, ("raw", "TEXT NOT NULL DEFAULT '{}'"), ("task_created_at", "REAL"))


def m004_prices(conn: sqlite3.Connection) -> None:
    """What a submit was quoted, the parameters its price depends on, and the profile."""
    _add(conn, ("quote", "TEXT"), ("price_key", "TEXT NOT NULL DEFAULT ''"), ("profile", "TEXT"))
    conn.execute("CREATE INDEX IF NOT EXISTS tasks_by_price ON tasks (model, price_key)")


MIGRATIONS: tuple[Migration, ...] = (
    m001_tasks,
    m002_owner_expiry_sums,
    m003_raw_and_task_time,
    m004_prices,
)
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Apply the migrations after ``version`` (inside the caller's transaction)."""
    for migration in MIGRATIONS[version:]:
        migration(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def import_history(db: sqlite3.Connection, path: Path) -> None:
    """Bring the rows of the old history file (round one) into a new ledger, once."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return
    except UnicodeDecodeError:
        from vtrix.base.dirs import set_aside

        set_aside(path, "is not a readable history file (not UTF-8 text)")
        return
    for line in lines:
        try:
            item = json.loads(line)
            task_id, provider = str(item["id"]), str(item["provider"])
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        try:
            created = float(item.get("created_at") or 0)
        except (ValueError, TypeError, OverflowError):
            created = 0.0
        if not math.isfinite(created) or not 0 < created < 4e9:
            created = time.time()
        db.execute(
            "INSERT OR IGNORE INTO tasks (key, provider, model, state, task_id, endpoint,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                f"task:{provider}:{task_id}",
                provider,
                str(item.get("model") or ""),
                str(item.get("status") or "submitted"),
                task_id,
                str(item.get("endpoint") or ""),
                created,
                created,
            ),
        )
    with contextlib.suppress(OSError):
        path.rename(path.with_name("history.jsonl.imported"))
