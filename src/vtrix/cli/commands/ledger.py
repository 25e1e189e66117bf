"""``vtrix ledger status`` and ``vtrix ledger use``: which ledger this machine keeps its tasks
in (its own file, or a team's PostgreSQL database) and what it holds; the flags read into
options, run by :mod:`vtrix.cli.run_ledger`."""

from __future__ import annotations

import click

from vtrix.cli import ending
from vtrix.cli.context import client_for
from vtrix.cli.io import io_of


@click.group()
def ledger() -> None:
    """The task ledger: this machine's file, or a PostgreSQL database a team shares."""


@ledger.command()
@ending.output_option("human", "json")
@click.pass_context
def status(ctx: click.Context, output: str) -> None:
    """The ledger's backend, schema version and counts (never its password)."""
    from vtrix.cli.run_ledger import run_ledger_status

    run_ledger_status(output, client_for(ctx), io_of(ctx))


@ledger.command()
@click.argument("url", required=False)
@click.option("--local", is_flag=True, help="Go back to this machine's own ledger file.")
@click.option(
    "--ask-password",
    is_flag=True,
    help="Ask for the database password (hidden; kept out of your shell history).",
)
@click.pass_context
def use(ctx: click.Context, url: str | None, local: bool, ask_password: bool) -> None:
    """Keep tasks in the PostgreSQL database at URL (postgresql://user@host/db), shared by
    every machine that uses it; checked (and its schema made) before it is saved in the
    config file (0600). The password: --ask-password, or libpq's PGPASSWORD / ~/.pgpass.
    VTRIX_LEDGER_URL, when set, comes first."""
    from vtrix.cli.run_ledger import UseOptions, run_ledger_use, with_password
    from vtrix.store.backend import is_postgres_url

    if url is not None and ask_password and is_postgres_url(url):
        url = with_password(url, click.prompt("Password", hide_input=True, err=True))
    run_ledger_use(UseOptions(url, local), io_of(ctx))
