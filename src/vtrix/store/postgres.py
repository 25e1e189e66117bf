"""The ledger on PostgreSQL (``VTRIX_LEDGER_URL=postgresql://…``): one ledger for a team's
machines, with psycopg 3 (the ``vtrix[postgres]`` extra).

The connection string's password is a secret: it is shown nowhere (:attr:`where` drops it,
and every message is redacted of it), and the ledger never stores the URL. Writers that must
not interleave (two submits of one idempotency key, a migration) take a transaction-scoped
advisory lock of their name; everything else relies on PostgreSQL's row locks.
"""

from __future__ import annotations

import contextlib
import re
import zlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from vtrix.base.constants import PG_CONNECT_S as CONNECT_S
from vtrix.base.constants import PG_LOCK_WAIT_MS as LOCK_WAIT_MS
from vtrix.base.constants import PG_STATEMENT_MS as STATEMENT_MS
from vtrix.base.secrets import Secret, redact
from vtrix.errors import LedgerUnavailable
from vtrix.store.backend import is_conninfo

if TYPE_CHECKING:
    import psycopg

    from vtrix.store.backend import Cursor

MIN_REDACTED = 8  # a password this long or longer is also masked wherever it might appear


_CONNINFO_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)


def without_password(url: str) -> str:
    """``url`` with its password (in the authority or a ``password=`` parameter, or a
    libpq keyword/value string's ``password=``) masked."""
    if is_conninfo(url):
        return _CONNINFO_PASSWORD.sub(r"\1***", url)
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = "&".join(
        "password=***" if q.lower().startswith("password=") else q
        for q in parts.query.split("&")
        if q
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _password(url: str) -> str | None:
    if is_conninfo(url):
        found = _CONNINFO_PASSWORD.search(url)
        return found.group(2).strip("'") if found else None
    parts = urlsplit(url)
    if parts.password:
        return parts.password
    for q in parts.query.split("&"):
        if q.lower().startswith("password="):
            return q.split("=", 1)[1]
    return None


class PostgresDatabase:
    """A team's ledger on a PostgreSQL server (see :class:`vtrix.store.backend.Database`)."""

    kind = "postgresql"
    advice = (
        "Check that the PostgreSQL server is up and reachable from here and that the user and "
        "password are right (PGPASSWORD, ~/.pgpass, or `vtrix ledger use URL --ask-password`); "
        "`vtrix ledger use --local` goes back to this machine's own file."
    )
    fresh = False

    def __init__(self, url: str) -> None:
        password = _password(url)
        if password and len(password) >= MIN_REDACTED:
            # Known from now on: redacted from every message. (A short one is not: "test"
            # would be masked in every output. No message vtrix shows carries it anyway:
            # the URL is shown only as `where`, without it.)
            Secret(password)
        self._url = Secret(url)
        self.where = without_password(url)
        self.round_trips = 0
        self._conn: psycopg.Connection[Any] | None = None

    def __repr__(self) -> str:
        return f"PostgresDatabase({self.where!r})"

    def open(self) -> None:
        try:
            import psycopg
        except ImportError:
            raise LedgerUnavailable(
                f"the task ledger {self.where} needs PostgreSQL support, which is not "
                "installed; nothing was sent",
                hint="pip install 'vtrix[postgres]' (or unset VTRIX_LEDGER_URL to use the "
                "ledger file on this machine).",
            ) from None
        from psycopg.conninfo import conninfo_to_dict

        given = str(conninfo_to_dict(self._url.reveal()).get("options") or "")
        ours = f"-c lock_timeout={LOCK_WAIT_MS} -c statement_timeout={STATEMENT_MS}"
        self._conn = psycopg.connect(
            self._url.reveal(),
            autocommit=True,
            connect_timeout=CONNECT_S,
            application_name="vtrix",
            options=f"{given} {ours}".strip(),  # the URL's own options (a search_path) kept
        )

    def execute(self, sql: str, args: Sequence[Any] = ()) -> Cursor:
        assert self._conn is not None
        self.round_trips += 1
        # One SQL for both: SQLite's "?" placeholders become psycopg's "%s".
        query = sql.replace("%", "%%").replace("?", "%s")
        return self._conn.execute(query, tuple(args))  # type: ignore[arg-type,return-value]

    @contextlib.contextmanager
    def write(self, lock: str | Sequence[str] | None = None) -> Iterator[None]:
        assert self._conn is not None
        names = [lock] if isinstance(lock, str) else list(lock or ())
        with self._conn.transaction():
            self.round_trips += 1
            for name in sorted(set(names)):  # always in one order: no two writers deadlock
                self.execute("SELECT pg_advisory_xact_lock(?)", (_lock_id(name),))
            yield

    def schema_version(self) -> int:
        self.execute("CREATE TABLE IF NOT EXISTS vtrix_schema (version INTEGER NOT NULL)")
        row = self.execute("SELECT max(version) FROM vtrix_schema").fetchone()
        return int(row[0] or 0)

    def set_schema_version(self, version: int) -> None:
        self.execute("DELETE FROM vtrix_schema")
        self.execute("INSERT INTO vtrix_schema (version) VALUES (?)", (int(version),))

    def columns(self, table: str) -> set[str]:
        rows = self.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ?",
            (table,),
        )
        return {str(r[0]) for r in rows}

    def ddl(self, sql: str) -> None:
        # REAL is 4 bytes in PostgreSQL: epoch seconds need DOUBLE PRECISION.
        self.execute(
            sql.replace("{serial}", ", rowid BIGSERIAL").replace("{real}", "DOUBLE PRECISION")
        )

    def errors(self) -> tuple[type[Exception], ...]:
        import psycopg

        return (psycopg.Error,)

    def is_corrupt(self, exc: Exception) -> bool:
        return False

    def plain_reason(self, exc: Exception) -> str:
        text = redact(str(exc)).strip().splitlines()
        first = text[0] if text else type(exc).__name__
        lowered = first.lower()
        if "lock timeout" in lowered:
            return f"another process has held its lock for over {LOCK_WAIT_MS // 1000}s"
        if "statement timeout" in lowered:
            return f"a statement ran over {STATEMENT_MS // 1000}s"
        return first.replace(self._url.reveal(), self.where)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None


def _lock_id(name: str) -> int:
    """A stable 32-bit advisory lock id for ``name``."""
    return zlib.crc32(f"vtrix:{name}".encode())
