"""``vtrix budget``: named budgets that persist in the ledger (on a shared ledger, the team's)."""

from __future__ import annotations

from typing import Any

import click

from vtrix.cli import ending
from vtrix.cli.click_types import Word
from vtrix.cli.lazy import summary

OUTPUT = ending.output_option("human", "json")
PERIOD_HELP = "Start again each day, week or month (UTC); without it the budget never resets."


@click.group(help=summary("budget"))
def budget() -> None:
    pass


def _ledger() -> Any:
    from vtrix.store.ledger import Ledger

    ledger = Ledger()
    ledger.check()
    return ledger


@budget.command(name="set")
@click.argument("name")
@click.argument("amount")
@click.option("--period", type=Word(("day", "week", "month"), "period"), help=PERIOD_HELP)
def budget_set(name: str, amount: str, period: str | None) -> None:
    """Create the budget NAME, or change its cap to AMOUNT. Submits charged to it
    (--budget-name NAME on run, model invoke, batch and mcp; Client(budget_name=NAME)) are
    refused once their quotes would pass it, in every process and on every machine sharing
    the ledger."""
    from vtrix.base.amounts import amount as parse_amount
    from vtrix.cli.output import emit
    from vtrix.engine.money import budget_account
    from vtrix.errors import UsageError
    from vtrix.store.accounts import Account

    cap = parse_amount(amount)
    if cap is None:
        raise UsageError(f"{amount!r} is not an amount (say 5.00)")
    base = budget_account(name)
    _ledger().save_account(Account(base.name, cap, base.kind, base.label, period or ""))
    emit(f"budget {name.strip()}: {cap:f}" + (f" a {period}" if period else ""))


@budget.command(name="list")
@OUTPUT
def budget_list(output: str) -> None:
    """Each named budget: its cap, what is settled, reserved and of unknown outcome, and
    what is left."""
    from vtrix.cli.output import emit, table_text, to_json
    from vtrix.store.accounts import BUDGET

    ledger = _ledger()
    rows = []
    for account in ledger.accounts(BUDGET):
        used = ledger.usage(account)
        left = max(account.cap - used.committed, 0)
        rows.append(
            {
                "name": account.name.split(":", 1)[1],
                "cap": f"{account.cap:f}",
                "period": account.period or None,
                **used.to_dict(),
                "left": f"{left:f}",
            }
        )
    if output == "json":
        emit(to_json(rows))
        ending.printed()
        return
    if not rows:
        emit("No budgets. Create one: vtrix budget set NAME AMOUNT [--period day|week|month]")
        return
    head = ["NAME", "CAP", "PERIOD", "SETTLED", "RESERVED", "UNKNOWN", "LEFT"]
    cells = [
        [
            r["name"],
            r["cap"],
            r["period"] or "-",
            r["settled"],
            r["reserved"],
            r["unknown"],
            r["left"],
        ]
        for r in rows
    ]
    emit(table_text(head, cells))


@budget.command(name="rm")
@click.argument("name")
def budget_rm(name: str) -> None:
    """Remove the budget NAME (its tasks and what they cost stay in the ledger)."""
    from vtrix.cli.output import emit
    from vtrix.engine.money import budget_account
    from vtrix.errors import UsageError

    if not _ledger().drop_account(budget_account(name).name):
        raise UsageError(f"there is no budget named {name!r}", hint="See `vtrix budget list`.")
    emit(f"budget {name.strip()} removed")
