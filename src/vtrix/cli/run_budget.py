"""Named budgets, as options values and run functions (see :mod:`vtrix.cli.run_model`):
``vtrix budget set|list|rm``. A budget is an account in the ledger (on a shared ledger, the
team's): every process and machine using it is held to its cap."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vtrix.base.record import record

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.client import Client


@record(frozen=True)
class BudgetOptions:
    """A budget's name, its cap as typed (``set``) and the period it starts again after
    (``day``, ``week``, ``month``; empty: never)."""

    name: str
    amount: str = ""
    period: str | None = None


def run_budget_set(opts: BudgetOptions, client: Client, io: IO) -> None:
    """Create the budget, or change its cap."""
    from vtrix.base.amounts import amount as parse_amount
    from vtrix.cli.run_money import checked_ledger
    from vtrix.engine.money import budget_account
    from vtrix.errors import UsageError
    from vtrix.store.accounts import Account

    cap = parse_amount(opts.amount)
    if cap is None:
        raise UsageError(f"{opts.amount!r} is not an amount (say 5.00)")
    base = budget_account(opts.name)
    account = Account(base.name, cap, base.kind, base.label, opts.period or "")
    checked_ledger(client).save_account(account)
    io.emit(f"budget {opts.name.strip()}: {cap:f}" + (f" a {opts.period}" if opts.period else ""))


def run_budget_list(output: str, client: Client, io: IO) -> None:
    """Each named budget: its cap, what is settled, reserved and of unknown outcome, and
    what is left."""
    from vtrix.cli.output import table_text, to_json
    from vtrix.cli.run_money import accounts_report, checked_ledger
    from vtrix.store.accounts import BUDGET

    io.output = output
    rows = [
        {"name": a["name"].split(":", 1)[1], **{k: a[k] for k in a if k not in _NAMING}}
        for a in accounts_report(checked_ledger(client), BUDGET)
    ]
    if output == "json":
        io.emit(to_json(rows))
        io.done()
        return
    if not rows:
        io.emit("No budgets. Create one: vtrix budget set NAME AMOUNT [--period day|week|month]")
        return
    head = ["NAME", "CAP", "PERIOD", "SETTLED", "RESERVED", "UNKNOWN", "LEFT"]
    keys = ("cap", "period", "settled", "reserved", "unknown", "left")
    io.emit(table_text(head, [[r["name"], *(r[k] or "-" for k in keys)] for r in rows]))


_NAMING = ("account", "name", "kind")  # an account's names; a budget is shown by its own


def run_budget_rm(opts: BudgetOptions, client: Client, io: IO) -> None:
    """Remove the budget (its tasks and what they cost stay in the ledger)."""
    from vtrix.cli.run_money import checked_ledger
    from vtrix.engine.money import budget_account
    from vtrix.errors import UsageError

    if not checked_ledger(client).drop_account(budget_account(opts.name).name):
        raise UsageError(f"there is no budget named {opts.name!r}", hint="See `vtrix budget list`.")
    io.emit(f"budget {opts.name.strip()} removed")
