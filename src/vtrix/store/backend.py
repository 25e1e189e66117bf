"""The ledger's two databases behind one interface: SQLite (the default, one file per user)
and PostgreSQL (``VTRIX_LEDGER_URL=postgresql://…``, shared by a team).

The ledger speaks one SQL to both: ``?`` placeholders, ``ON CONFLICT``, ``RETURNING``. A
:class:`Database` runs it, opens a write transaction that serialises the writers it must
(:meth:`Database.write`), applies the numbered migrations under a lock, and says what its
failures mean in words a user can act on.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

POSTGRES_SCHEMES = ("postgresql", "postgres")


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


# Why a ledger that cannot be used stops a submit (said before what to do about it).
RECORDED_FIRST = (
    "vtrix records every submit before sending it, so that none is ever paid twice or lost."
)


class Database(Protocol):
    """What the ledger needs of a database."""

    kind: str  # "sqlite" or "postgresql"
    where: str  # the file, or the URL without its password
    round_trips: int  # statements sent so far (what a benchmark counts)

    def open(self) -> None: ...

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor: ...

    def write(self, lock: str | Sequence[str] | None = None) -> AbstractContextManager[None]:
        """A write transaction. On SQLite every writer waits for the one before it; on
        PostgreSQL writers holding one of the same ``lock`` names do."""
        ...

    def schema_version(self) -> int: ...

    def set_schema_version(self, version: int) -> None: ...

    def columns(self, table: str) -> set[str]: ...

    def ddl(self, sql: str) -> None:
        """Run a schema statement, its ``{real}`` and ``{serial}`` in this database's types."""
        ...

    def errors(self) -> tuple[type[Exception], ...]:
        """The exception classes its failures raise."""
        ...

    def is_corrupt(self, exc: Exception) -> bool: ...

    def plain_reason(self, exc: Exception) -> str: ...

    # What to do when it cannot be used (said after the reason).
    advice: str

    def close(self) -> None: ...


def now_sql(kind: str) -> str:
    """The database's clock in SQL, in seconds since the epoch: what leases and holds shared
    by many machines are set and judged by, whatever each machine's own clock says."""
    if kind == "postgresql":
        return "extract(epoch from clock_timestamp())"
    return "((julianday('now') - 2440587.5) * 86400.0)"


def is_postgres_url(target: str) -> bool:
    return target.split(":", 1)[0].lower() in POSTGRES_SCHEMES or is_conninfo(target)


def is_conninfo(target: str) -> bool:
    """A libpq keyword/value string (``host=db dbname=vtrix …``): PostgreSQL, never a file
    name (a file named after it would carry the password into the working directory)."""
    import re

    return "://" not in target and bool(re.match(r"\s*[A-Za-z_]+\s*=", target))


def ledger_target(path: str | os.PathLike[str] | None = None) -> str | Path:
    """Where the ledger lives: ``path`` when given, else ``VTRIX_LEDGER_URL``, else
    ``ledger_url`` in the config file, else ``ledger.sqlite3`` in the user data dir."""
    if path is not None:
        return path if isinstance(path, str) and is_postgres_url(path) else Path(path)
    from vtrix.base.constants import env

    url = env("VTRIX_LEDGER_URL")
    if not url:
        from vtrix.store.config import read_config

        try:
            url = str(read_config().get("ledger_url") or "").strip()
        except Exception:  # an unreadable config says so itself when it is read for a run
            url = ""
    if url:
        return _target_of(url)
    from vtrix.base.dirs import data_dir

    return data_dir() / "ledger.sqlite3"


def _target_of(url: str) -> str | Path:
    """A PostgreSQL URL as it is; ``sqlite:///path`` or a plain path as a file; anything
    else refused, naming the setting (and never the URL, which may hold a password)."""
    if is_postgres_url(url):
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return Path(url).expanduser()
    if scheme.lower() == "sqlite" and rest:
        return Path(rest if rest.startswith("/") else rest.lstrip("/")).expanduser()
    from vtrix.errors import UsageError

    raise UsageError(
        f"the ledger URL (VTRIX_LEDGER_URL or ledger_url in the config) is a {scheme}:// URL; "
        "vtrix keeps its ledger in PostgreSQL or in an SQLite file; nothing was sent",
        hint="Use postgresql://USER:PASSWORD@HOST/DATABASE, a file path, or unset it for the "
        "ledger file in the user data dir.",
    )
