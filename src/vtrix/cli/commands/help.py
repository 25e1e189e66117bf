"""``vtrix help exit-codes``."""

from __future__ import annotations

import click

from vtrix.errors import exit_code_table


@click.group(name="help")
def help_group() -> None:
    """Help topics."""


@help_group.command(name="exit-codes")
def exit_codes() -> None:
    """The exit codes every vtrix command uses."""
    click.echo("Exit codes:\n" + exit_code_table())
