"""``vtrix batch status FILE`` and ``vtrix batch results FILE``: the flags read into options,
run by :mod:`vtrix.cli.run_batch_report`."""

from __future__ import annotations

import click

from vtrix.cli import ending
from vtrix.cli.context import client_for
from vtrix.cli.io import io_of

FILE = click.argument("file", metavar="FILE")
MODEL = click.option("--model", "default_model", metavar="ID", help="As given to `vtrix batch`.")


@click.command(name="status")
@FILE
@MODEL
@ending.output_option("table", "json")
@click.pass_context
def status(ctx: click.Context, /, file: str, default_model: str | None, output: str) -> None:
    """Where the batch of FILE stands: each line's task and state, and each worker's share,
    from the ledger (the team's, when it is shared)."""
    from vtrix.cli.run_batch_report import ReportOptions, run_batch_status

    run_batch_status(ReportOptions(file, default_model, output), client_for(ctx), io_of(ctx))


@click.command(name="results")
@FILE
@MODEL
@ending.output_option("jsonl", "json")
@click.pass_context
def results(ctx: click.Context, /, file: str, default_model: str | None, output: str) -> None:
    """Every line's task object of the batch of FILE, from the ledger, whichever worker or
    machine ran it: one JSON object per line (``line``, ``key``, ``outcome``, then the task
    as ``vtrix task get -o json`` shows it)."""
    from vtrix.cli.run_batch_report import ReportOptions, run_batch_results

    run_batch_results(ReportOptions(file, default_model, output), client_for(ctx), io_of(ctx))
