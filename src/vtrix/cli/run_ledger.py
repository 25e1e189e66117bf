"""Which ledger tasks are kept in, as options values and run functions (see
:mod:`vtrix.cli.run_model`): ``vtrix ledger status`` and ``vtrix ledger use``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vtrix.base.record import record

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.client import Client


@record(frozen=True)
class UseOptions:
    """``vtrix ledger use``: a PostgreSQL URL (with the password asked for, if it was), or
    ``local``: this machine's own file."""

    url: str | None = None
    local: bool = False


def run_ledger_status(output: str, client: Client, io: IO) -> None:
    """The ledger's backend, schema version and counts (never its password)."""
    from vtrix.cli.output import to_json
    from vtrix.cli.run_money import checked_ledger
    from vtrix.store.migrations import SCHEMA_VERSION

    io.output = output
    book = checked_ledger(client)  # LedgerUnavailable (exit 2) says what is wrong
    counts: dict[str, Any] = book.status() or {}
    doc = {
        "backend": book.kind,
        "where": book.where,
        "schema_version": book.database.schema_version(),
        "schema_expected": SCHEMA_VERSION,
        **counts,
    }
    if output == "json":
        io.emit(to_json(doc))
        io.done()
        return
    lines = [
        f"ledger: {doc['backend']} {doc['where']}",
        f"schema: version {doc['schema_version']} (this vtrix: {SCHEMA_VERSION})",
        f"tasks: {doc.get('tasks', 0)}"
        + "".join(f", {n} {s}" for s, n in doc.get("by_state", {}).items()),
    ]
    if doc.get("machines"):
        lines.append("machines: " + ", ".join(f"{m} ({n})" for m, n in doc["machines"].items()))
    if doc.get("profiles"):
        lines.append("profiles: " + ", ".join(f"{p} ({n})" for p, n in doc["profiles"].items()))
    for b in doc.get("batches", []):
        lines.append(
            f"batch {b['batch'][:12]}: {b['done']}/{b['lines']} lines done, "
            f"{b['workers']} worker(s)"
        )
    io.emit("\n".join(lines))


def run_ledger_use(opts: UseOptions, io: IO) -> None:
    """Keep tasks in the PostgreSQL database at ``url`` (checked, its schema made, before it
    is saved in the config file), or in this machine's own file again."""
    from vtrix.errors import UsageError
    from vtrix.store.backend import is_postgres_url
    from vtrix.store.config import editing_config
    from vtrix.store.ledger import Ledger

    url = opts.url
    if opts.local == bool(url):
        raise UsageError("give a postgresql:// URL, or --local (not both)")
    where = ""
    if url is not None:
        if not is_postgres_url(url):
            raise UsageError(
                "the ledger URL must start with postgresql:// (nothing was saved)",
                hint="vtrix ledger use postgresql://USER@HOST:5432/DATABASE --ask-password "
                "(or keep the password in ~/.pgpass), never on the command line",
            )
        book = Ledger(url)
        book.check()  # reachable, and its schema brought up to date, before it is saved
        where = book.where
        book.close()
    with editing_config() as data:
        if url is None:
            data.pop("ledger_url", None)
        else:
            data["ledger_url"] = url
    io.emit("ledger: this machine's own file" if url is None else f"ledger: {where}")


def with_password(url: str, password: str) -> str:
    """``url`` with ``password`` in its authority (percent-encoded), or added to a libpq
    keyword string (quoted)."""
    from urllib.parse import quote, urlsplit, urlunsplit

    from vtrix.store.backend import is_conninfo

    if is_conninfo(url):
        escaped = password.replace("\\", "\\\\").replace("'", "\\'")
        return f"{url} password='{escaped}'"
    parts = urlsplit(url)
    user = (parts.netloc.rpartition("@")[0].split(":", 1)[0]) or "postgres"
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{user}:{quote(password, safe='')}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
