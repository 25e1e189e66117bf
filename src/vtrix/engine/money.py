"""The money kernel: what every front end — ``vtrix run``, ``model invoke``, batch, workers,
both clients, ``vtrix mcp`` — goes through before a paid submit is sent.

A submit's quote (:mod:`.pricing`) is checked against ``max_cost`` (one task's cap) here, and
against every *account* it is charged to — the client's named budget and ``max_spend``, a
batch's ``--budget`` — in the ledger, inside the transaction that records the submit
(:mod:`vtrix.store.accounts`): no two submits, in any thread, process or machine, can see
the same room under a cap. A cap without a ledger cannot be kept, so it is refused.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING

from vtrix.errors import BudgetReached, UsageError
from vtrix.store.accounts import BUDGET, PROCESS, Account, Charge, named

if TYPE_CHECKING:
    from vtrix.engine.prepare import Prepared
    from vtrix.engine.pricing import Quote
    from vtrix.engine.session import Session


def process_account(cap: Decimal, label: str = "max_spend") -> Account:
    """A cap for this process alone (a client's ``max_spend``, ``vtrix mcp --max-spend``):
    an account of its own in the ledger, shared by the process's threads and tasks."""
    from vtrix.store.entry import owner

    return Account(
        name=f"{PROCESS}:{owner()}:{uuid.uuid4().hex[:12]}",
        cap=cap,
        kind=PROCESS,
        label=f"{label} {cap:f} (this process)",
    )


def budget_account(name: str) -> Account:
    """The named budget ``name`` (its cap and period are read from the ledger at each
    submit, so a change applies at once, team-wide on a shared ledger)."""
    return Account(named(name), Decimal(0), BUDGET, f"budget '{name.strip()}'")


def batch_account(batch: str, cap: Decimal) -> Account:
    """A batch's ``--budget``: one account per input, shared by every process running it."""
    return Account(f"batch:{batch}", cap, "batch", f"--budget {cap:f} of this batch")


def amount_of(value: float | str | Decimal, what: str) -> Decimal:
    """A cap given in Python (``max_spend``) as an amount, or UsageError naming it."""
    from vtrix.base.amounts import amount

    found = amount(value)
    if found is None:
        raise UsageError(f"{what}={value!r} is not an amount (say 0.50)")
    return found


def charge_for(
    session: Session,
    prepared: Prepared,
    *,
    max_cost: Decimal | None = None,
    allow_unpriced: bool = False,
    quote: Quote | None = None,
    accounts: tuple[Account, ...] = (),
) -> tuple[Quote, Charge]:
    """The quote of a submit about to be sent and what it is charged to; raises
    BudgetReached (nothing sent) when it is over ``max_cost``, or unknown under a cap
    without ``allow_unpriced``. The accounts are checked by the ledger when the submit is
    recorded."""
    from vtrix.engine.pricing import quote as quote_of

    model = prepared.model_id
    q = quote or quote_of(session, model, prepared.params, prepared.spec.schema)
    every = (*session.accounts, *accounts)
    if max_cost is not None or every:
        shown = f"--max-cost {max_cost:f}" if max_cost is not None else every[0].shown
        if q.amount is None and not allow_unpriced:
            raise BudgetReached(
                f"the price of this {model} task is unknown ({q.basis}), so {shown} cannot "
                "be kept; nothing was sent",
                hint=f"Set one with `vtrix prices set {model} AMOUNT --per task|second|image`, "
                "or allow it with --allow-unpriced.",
            )
    if max_cost is not None and q.amount is not None and q.amount > max_cost:
        raise BudgetReached(
            f"this {model} task is quoted at {q.text()}, over --max-cost {max_cost:f}; "
            "nothing was sent",
            hint="Raise --max-cost or choose cheaper parameters.",
        )
    if every and session.ledger is None:
        raise UsageError(
            f"{every[0].shown} is kept in the task ledger, and this client runs without one; "
            "nothing was sent",
            hint="Make the client with a ledger (the default), or without the cap.",
        )
    return q, Charge(q.amount, every, allow_unpriced)
