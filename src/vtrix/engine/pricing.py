"""What a task will cost, never invented: the quote and where it comes from.

In order: what the gateway charged for recent succeeded tasks of the same model with the
same price-relevant parameters (duration, resolution, image count …), as the ledger kept it
(``ledger``, with the sample size); else a price the user set (``vtrix prices set``, per
task, per second or per image: ``prices``); else ``unknown``, which no cap lets through
silently.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from vtrix.base.record import record

if TYPE_CHECKING:
    from vtrix.engine.session import Session

# Parameters a price depends on (by wire name); the rest (a prompt, a URL) do not.
PRICE_PARAMS = ("duration", "seconds", "resolution", "size", "quality", "n", "num_images", "count")
PER = ("task", "second", "image")
PRICES_FILE = "prices.json"


@record(frozen=True)
class Quote:
    """The expected cost of one task (``amount`` None: unknown) and its source."""

    amount: Decimal | None
    source: str  # "ledger", "prices" or "unknown"
    sample: int = 0  # ledger: how many charged tasks it learned from
    basis: str = ""  # in words

    @property
    def known(self) -> bool:
        return self.amount is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "amount": None if self.amount is None else f"{self.amount:f}",
            "source": self.source,
            "sample": self.sample,
            "basis": self.basis,
        }

    def text(self) -> str:
        if self.amount is None:
            return f"unknown ({self.basis})"
        return f"{self.amount:f} ({self.basis})"


def price_key(params: dict[str, Any]) -> str:
    """The price-relevant parameters of a submit, as one comparable string."""
    return json.dumps({k: params[k] for k in PRICE_PARAMS if k in params}, sort_keys=True)


def amount(text: Any) -> Decimal | None:
    """A cost as the gateway or the user states it, or None when it is not a number."""
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and value >= 0 else None


def quote(session: Session, model: str, params: dict[str, Any]) -> Quote:
    """The expected cost of a task of ``model`` with ``params`` (see the module docstring)."""
    key = price_key(params)
    relevant = ", ".join(f"{k}={v}" for k, v in json.loads(key).items()) or "no price parameters"
    ledger = session.ledger
    costs = (ledger.costs(model, key) or []) if ledger is not None else []
    charged = [a for a in (amount(c) for c in costs) if a is not None]
    if charged:
        ordered = sorted(charged)
        half = len(ordered) // 2
        middle = ordered[half] if len(ordered) % 2 else (ordered[half - 1] + ordered[half]) / 2
        n = len(charged)
        return Quote(
            middle, "ledger", n, f"what the gateway charged for {n} task(s) with {relevant}"
        )
    set_price = read_prices().get(model)
    if set_price is not None:
        unit, per = amount(set_price.get("amount")), str(set_price.get("per", "task"))
        if unit is not None and per in PER:
            count = _quantity(per, params)
            return Quote(unit * count, "prices", 0, f"your price: {unit:f} per {per} × {count}")
    return Quote(None, "unknown", 0, f"no charged task of {model} with {relevant}, no price set")


def _quantity(per: str, params: dict[str, Any]) -> int:
    names = {"second": ("duration", "seconds"), "image": ("n", "num_images", "count")}
    for name in names.get(per, ()):
        try:
            value = int(params[name])
        except (KeyError, TypeError, ValueError):
            continue
        return max(value, 1)
    return 1


def read_prices() -> dict[str, dict[str, Any]]:
    """The user's prices (``vtrix prices set``), by model id."""
    from vtrix.base.dirs import config_dir

    try:
        data = json.loads((config_dir() / PRICES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def set_price(model: str, price: Decimal, per: str) -> None:
    """Record the user's price for ``model`` (atomically, under the config lock)."""
    from vtrix.base.atomic import write_text_atomic
    from vtrix.base.dirs import config_dir, private_dir

    prices = read_prices()
    prices[model] = {"amount": f"{price:f}", "per": per}
    path = private_dir(config_dir()) / PRICES_FILE
    write_text_atomic(path, json.dumps(prices, indent=2, sort_keys=True) + "\n", mode=0o600)


def enforce(
    session: Session,
    model: str,
    params: dict[str, Any],
    *,
    max_cost: Decimal | None = None,
    allow_unpriced: bool = False,
) -> Quote:
    """The quote of a submit about to be sent, refused (BudgetReached, nothing sent) when a
    cap applies — ``max_cost`` for this task, the session's ``max_spend`` less what it has
    spent — and the quote is over it, or unknown without ``allow_unpriced``."""
    from vtrix.errors import BudgetReached

    q = quote(session, model, params)
    limits = [max_cost] if max_cost is not None else []
    if session.max_spend is not None:
        limits.append(session.max_spend - session.spent)
    if not limits:
        return q
    limit = min(limits)
    if q.amount is None and not allow_unpriced:
        raise BudgetReached(
            f"the price of this {model} task is unknown ({q.basis}), so the cap of "
            f"{limit:f} cannot be kept; nothing was sent",
            hint=f"Set one with `vtrix prices set {model} AMOUNT --per task|second|image`, "
            "or allow it with --allow-unpriced.",
        )
    if q.amount is not None and q.amount > limit:
        raise BudgetReached(
            f"this {model} task is quoted at {q.text()}, over the {limit:f} left under the "
            "cap; nothing was sent",
            hint="Raise the cap (--max-cost, --budget, max_spend) or choose cheaper parameters.",
        )
    return q
