"""``vtrix quote``, ``vtrix prices``, ``vtrix balance`` and ``vtrix spend``: the flags read into
options, run by :mod:`vtrix.cli.run_money`."""

from __future__ import annotations

import click

from vtrix.cli import ending
from vtrix.cli.click_types import DURATION, Word
from vtrix.cli.completion import complete_model
from vtrix.cli.context import client_for
from vtrix.cli.io import io_of

OUTPUT = ending.output_option("human", "json")


@click.command()
@click.argument("model_id", shell_complete=complete_model)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="Repeatable.")
@click.option("--body", metavar="JSON", help="Parameters as a JSON object.")
@OUTPUT
@click.pass_context
def quote(
    ctx: click.Context, model_id: str, params: tuple[str, ...], body: str | None, output: str
) -> None:
    """What a task of MODEL_ID with these parameters is expected to cost (nothing is sent)."""
    from vtrix.cli.run_money import QuoteOptions, run_quote

    run_quote(QuoteOptions(model_id, params, body, output), client_for(ctx), io_of(ctx))


@click.group()
def prices() -> None:
    """The prices you set for models (used when the ledger has no charged task to learn from)."""


@prices.command(name="set")
@click.argument("model_id", shell_complete=complete_model)
@click.argument("amount")
@click.option("--per", type=Word(("task", "second", "image"), "unit"), default="task")
@click.pass_context
def prices_set(ctx: click.Context, model_id: str, amount: str, per: str) -> None:
    """Set MODEL_ID's price: AMOUNT per task, per second of video, or per image."""
    from vtrix.cli.run_money import PriceOptions, run_prices_set

    run_prices_set(PriceOptions(model_id, amount, per), client_for(ctx), io_of(ctx))


@prices.command(name="list")
@OUTPUT
@click.pass_context
def prices_list(ctx: click.Context, output: str) -> None:
    """The prices you set."""
    from vtrix.cli.run_money import run_prices_list

    run_prices_list(output, client_for(ctx), io_of(ctx))


@click.command()
@OUTPUT
@click.pass_context
def balance(ctx: click.Context, output: str) -> None:
    """What each gateway says your account has left."""
    from vtrix.cli.run_money import run_balance

    run_balance(output, client_for(ctx), io_of(ctx))


@click.command()
@click.option("--since", type=DURATION, default="7d", show_default=True, metavar="AGE")
@click.option(
    "--by",
    "group",
    type=Word(("model", "provider", "profile", "machine", "batch"), "grouping"),
    default="model",
)
@OUTPUT
@click.pass_context
def spend(ctx: click.Context, since: float, group: str, output: str) -> None:
    """What tasks cost, from the ledger: money settled (the cost the gateway reported),
    reserved (tasks sent or running, held at their quotes) and of unknown outcome (sent
    without a clear answer: maybe charged, held at their quotes) apart, per group; then
    each account (named budgets, batch budgets, max_spend) with what it has left."""
    from vtrix.cli.run_money import SpendOptions, run_spend

    run_spend(SpendOptions(since, group, output), client_for(ctx), io_of(ctx))
