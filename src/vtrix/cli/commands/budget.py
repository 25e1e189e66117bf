"""``vtrix budget``: named budgets that persist in the ledger (on a shared ledger, the team's);
the flags read into options, run by :mod:`vtrix.cli.run_budget`."""

from __future__ import annotations

import click

from vtrix.cli import ending
from vtrix.cli.click_types import Word
from vtrix.cli.context import client_for
from vtrix.cli.io import io_of
from vtrix.cli.lazy import summary

PERIOD_HELP = "Start again each day, week or month (UTC); without it the budget never resets."


@click.group(help=summary("budget"))
def budget() -> None:
    pass


@budget.command(name="set")
@click.argument("name")
@click.argument("amount")
@click.option("--period", type=Word(("day", "week", "month"), "period"), help=PERIOD_HELP)
@click.pass_context
def budget_set(ctx: click.Context, name: str, amount: str, period: str | None) -> None:
    """Create the budget NAME, or change its cap to AMOUNT. Submits charged to it
    (--budget-name NAME on run, model invoke, batch and mcp; Client(budget_name=NAME)) are
    refused once their quotes would pass it, in every process and on every machine sharing
    the ledger."""
    from vtrix.cli.run_budget import BudgetOptions, run_budget_set

    run_budget_set(BudgetOptions(name, amount, period), client_for(ctx), io_of(ctx))


@budget.command(name="list")
@ending.output_option("human", "json")
@click.pass_context
def budget_list(ctx: click.Context, output: str) -> None:
    """Each named budget: its cap, what is settled, reserved and of unknown outcome, and
    what is left."""
    from vtrix.cli.run_budget import run_budget_list

    run_budget_list(output, client_for(ctx), io_of(ctx))


@budget.command(name="rm")
@click.argument("name")
@click.pass_context
def budget_rm(ctx: click.Context, name: str) -> None:
    """Remove the budget NAME (its tasks and what they cost stay in the ledger)."""
    from vtrix.cli.run_budget import BudgetOptions, run_budget_rm

    run_budget_rm(BudgetOptions(name), client_for(ctx), io_of(ctx))
