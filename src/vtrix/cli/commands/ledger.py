"""``vtrix ledger status`` and ``vtrix ledger use``: which ledger this machine keeps its tasks
in (its own file, or a team's PostgreSQL database) and what it holds."""

from __future__ import annotations

from typing import Any

import click

from vtrix.cli import ending


@click.group()
def ledger() -> None:
    """The task ledger: this machine's file, or a PostgreSQL database a team shares."""


@ledger.command()
@ending.output_option("human", "json")
def status(output: str) -> None:
    """The ledger's backend, schema version and counts (never its password)."""
    from vtrix.cli.output import emit, to_json
    from vtrix.store.ledger import Ledger
    from vtrix.store.migrations import SCHEMA_VERSION

    book = Ledger()
    book.check()  # LedgerUnavailable (exit 2) says what is wrong and how to fix it
    counts: dict[str, Any] = book.status() or {}
    doc = {
        "backend": book.kind,
        "where": book.where,
        "schema_version": book.database.schema_version(),
        "schema_expected": SCHEMA_VERSION,
        **counts,
    }
    book.close()
    if output == "json":
        emit(to_json(doc))
        ending.printed()
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
    emit("\n".join(lines))


@ledger.command()
@click.argument("url", required=False)
@click.option("--local", is_flag=True, help="Go back to this machine's own ledger file.")
@click.option(
    "--ask-password",
    is_flag=True,
    help="Ask for the database password (hidden; kept out of your shell history).",
)
def use(url: str | None, local: bool, ask_password: bool) -> None:
    """Keep tasks in the PostgreSQL database at URL (postgresql://user@host/db), shared by
    every machine that uses it; checked (and its schema made) before it is saved in the
    config file (0600). The password: --ask-password, or libpq's PGPASSWORD / ~/.pgpass.
    VTRIX_LEDGER_URL, when set, comes first."""
    from vtrix.cli.output import emit
    from vtrix.errors import UsageError
    from vtrix.store.backend import is_postgres_url
    from vtrix.store.config import editing_config
    from vtrix.store.ledger import Ledger

    if local == bool(url):
        raise UsageError("give a postgresql:// URL, or --local (not both)")
    if url is not None:
        if not is_postgres_url(url):
            raise UsageError(
                "the ledger URL must start with postgresql:// (nothing was saved)",
                hint="vtrix ledger use postgresql://USER@HOST:5432/DATABASE --ask-password "
                "(or keep the password in ~/.pgpass), never on the command line",
            )
        if ask_password:
            url = _with_password(url, click.prompt("Password", hide_input=True, err=True))
        book = Ledger(url)
        book.check()  # reachable, and its schema brought up to date, before it is saved
        where = book.where
        book.close()
    with editing_config() as data:
        if url is None:
            data.pop("ledger_url", None)
        else:
            data["ledger_url"] = url
    emit("ledger: this machine's own file" if url is None else f"ledger: {where}")


def _with_password(url: str, password: str) -> str:
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
