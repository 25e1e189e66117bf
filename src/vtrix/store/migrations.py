"""The ledger's schema as one numbered list of migrations for both databases (as llm keeps its
own). A ledger's schema version (SQLite's ``PRAGMA user_version``, PostgreSQL's
``vtrix_schema`` table) is the number of the last one applied; opening a ledger applies the
rest, in order, in one write transaction under a lock. Never edit a released migration: add
one. Types that differ are written ``{real}`` (a timestamp) and ``{serial}`` (PostgreSQL's
stand-in for SQLite's rowid)."""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from vtrix.errors import LedgerUnavailable


class Schema(Protocol):
    """What a migration needs of a database (both :mod:`.sqlite` and :mod:`.postgres`)."""

    def execute(self, sql: str, args: Any = ()) -> Any: ...

    def ddl(self, sql: str) -> None: ...

    def columns(self, table: str) -> set[str]: ...


Migration = Callable[[Schema], None]


def _add(db: Schema, *columns: tuple[str, str], table: str = "tasks") -> None:
    have = db.columns(table)
    for name, kind in columns:
        if name not in have:  # a ledger from a vtrix that made the table with it already
            db.ddl(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


def m001_tasks(db: Schema) -> None:
    """The tasks table: one row per submit (or per task seen), keyed by idempotency key."""
    db.ddl(
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
            created_at {real} NOT NULL,
            updated_at {real} NOT NULL,
            completed_at {real},
            batch TEXT,
            line INTEGER
            {serial}
        )"""
    )
    db.ddl("CREATE INDEX IF NOT EXISTS tasks_by_id ON tasks (task_id)")
    db.ddl("CREATE INDEX IF NOT EXISTS tasks_by_time ON tasks (created_at)")
    db.ddl("CREATE INDEX IF NOT EXISTS tasks_by_batch ON tasks (batch, line)")
    db.ddl("CREATE INDEX IF NOT EXISTS tasks_by_model ON tasks (model, completed_at)")


def m002_owner_expiry_sums(db: Schema) -> None:
    """Who is sending a submit, when result URLs expire, and the checksums of saved files."""
    _add(
        db,
        ("owner", "TEXT"),
        ("expires_at", "{real}"),
        ("file_sums", "TEXT NOT NULL DEFAULT '{}'"),
    )


def m003_raw_and_task_time(db: Schema) -> None:
    """The gateway's last answer and the task's own creation time, so that a row gives the
    same task shape as ``task get``."""
    _add(db, ("raw", "TEXT NOT NULL DEFAULT '{}'"), ("task_created_at", "{real}"))


def m004_prices(db: Schema) -> None:
    """What a submit was quoted, the parameters its price depends on, and the profile."""
    _add(db, ("quote", "TEXT"), ("price_key", "TEXT NOT NULL DEFAULT ''"), ("profile", "TEXT"))
    db.ddl("CREATE INDEX IF NOT EXISTS tasks_by_price ON tasks (model, price_key)")


def m005_teams(db: Schema) -> None:
    """For a ledger shared by many machines: which API key a task runs under (a digest, never
    the key) so that a key's running tasks can be counted; the claims of batch workers; and
    each key's shared rate window and 429 hold."""
    _add(db, ("key_id", "TEXT"))
    db.ddl("CREATE INDEX IF NOT EXISTS tasks_by_key_id ON tasks (key_id, state)")
    db.ddl(
        """CREATE TABLE IF NOT EXISTS batch_lines (
            batch TEXT NOT NULL,
            line INTEGER NOT NULL,
            key TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'open',
            worker TEXT,
            lease_until {real},
            outcome TEXT,
            claims INTEGER NOT NULL DEFAULT 0,
            updated_at {real} NOT NULL,
            PRIMARY KEY (batch, line)
        )"""
    )
    db.ddl("CREATE INDEX IF NOT EXISTS batch_lines_by_state ON batch_lines (batch, state)")
    db.ddl(
        """CREATE TABLE IF NOT EXISTS key_limits (
            key_id TEXT PRIMARY KEY,
            window_start {real} NOT NULL DEFAULT 0,
            used INTEGER NOT NULL DEFAULT 0,
            hold_until {real} NOT NULL DEFAULT 0
        )"""
    )


def m006_money(db: Schema) -> None:
    """Money kept in the ledger: accounts (a cap that submits are charged to: a named budget, a
    batch's budget, a client's max_spend), which submit is charged to which account, the
    highest price a gateway reported for a model and its price parameters, and a digest of
    what each idempotency key was first sent with."""
    _add(db, ("params_digest", "TEXT NOT NULL DEFAULT ''"))
    db.ddl(
        """CREATE TABLE IF NOT EXISTS accounts (
            name TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            label TEXT NOT NULL DEFAULT '',
            cap TEXT NOT NULL,
            period TEXT NOT NULL DEFAULT '',
            created_at {real} NOT NULL,
            updated_at {real} NOT NULL
        )"""
    )
    db.ddl(
        """CREATE TABLE IF NOT EXISTS charges (
            key TEXT NOT NULL,
            account TEXT NOT NULL,
            created_at {real} NOT NULL,
            PRIMARY KEY (key, account)
        )"""
    )
    db.ddl("CREATE INDEX IF NOT EXISTS charges_by_account ON charges (account, created_at)")
    db.ddl(
        """CREATE TABLE IF NOT EXISTS prices_seen (
            model TEXT NOT NULL,
            price_key TEXT NOT NULL,
            high TEXT NOT NULL,
            unit TEXT,
            updated_at {real} NOT NULL,
            PRIMARY KEY (model, price_key)
        )"""
    )


def m007_end_bounds(db: Schema) -> None:
    """When a waited task was last seen running (its end lies between that and
    ``completed_at``, when it was seen done): what the wait's schedule learns from."""
    _add(db, ("ran_until", "{real}"))


MIGRATIONS: tuple[Migration, ...] = (
    m001_tasks,
    m002_owner_expiry_sums,
    m003_raw_and_task_time,
    m004_prices,
    m005_teams,
    m006_money,
    m007_end_bounds,
)
SCHEMA_VERSION = len(MIGRATIONS)


class Versioned(Schema, Protocol):
    def write(self, lock: str | None = None) -> Any: ...

    def schema_version(self) -> int: ...

    def set_schema_version(self, version: int) -> None: ...


def upgrade(db: Versioned, where: str) -> None:
    """Apply the migrations ``db`` lacks, in one transaction under the schema lock (processes
    opening a new ledger at once wait for each other). A schema from a newer vtrix is refused
    (LedgerUnavailable), never touched."""
    with db.write(lock="schema"):
        version = db.schema_version()
        if version > SCHEMA_VERSION:
            raise LedgerUnavailable(
                f"the task ledger {where} cannot be used (its schema (version {version}) comes "
                "from a newer vtrix); nothing was sent",
                hint="Upgrade vtrix (pip install -U vtrix), or point VTRIX_DATA_DIR (or "
                "VTRIX_LEDGER_URL) at another ledger.",
            )
        if version < SCHEMA_VERSION:
            for migration in MIGRATIONS[version:]:
                migration(db)
            db.set_schema_version(SCHEMA_VERSION)


def import_history(db: Schema, path: Path) -> None:
    """Bring the rows of the old history file (kept by vtrix 0.1) into a new ledger, once."""
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
            "INSERT INTO tasks (key, provider, model, state, task_id, endpoint,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
