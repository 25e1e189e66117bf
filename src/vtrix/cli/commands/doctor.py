"""``vtrix doctor``: the flags read, run by :mod:`vtrix.cli.run_doctor`."""

from __future__ import annotations

import click

from vtrix.cli import ending
from vtrix.cli.context import client_for
from vtrix.cli.io import io_of


@click.command()
@ending.output_option("human", "json")
@click.option(
    "--offline", is_flag=True, help="Ask no gateway: only what vtrix would use, and the ledger."
)
@click.pass_context
def doctor(ctx: click.Context, output: str, offline: bool) -> None:
    """Check keys, URLs, proxies, CA bundle, reachability and the ledger. Sends no task."""
    from vtrix.cli.run_doctor import run_doctor

    code = run_doctor(offline, output, client_for(ctx), io_of(ctx))
    if code:
        raise SystemExit(code)  # something to mend: the report says what
