"""What a batch would do before anything is sent: how many lines are new, each model's
lines at their quotes (``--dry-run``), and how many lines each gateway's balance covers."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from vtrix.base.text import count

if TYPE_CHECKING:
    from vtrix.batch.checking import Checked
    from vtrix.cli.io import IO
    from vtrix.cli.output import Reporter


def count_new(client: Any, checked: list[Checked]) -> int:
    """How many lines would be submitted now (the ledger knows the rest, by their keys)."""
    from vtrix.batch.input import line_keys

    keys = line_keys([c.line for c in checked])
    rows = (client.ledger.by_keys(list(keys.values())) if client.ledger else None) or {}
    known = {k for k, r in rows.items() if r.task_id or r.state not in ("rejected", "not_sent")}
    return sum(1 for c in checked if c.prepared is not None and keys[c.line.number] not in known)


def dry_run(client: Any, checked: list[Checked], new: int, io: IO) -> None:
    """Each model's lines at their quotes, and how many would be submitted now."""
    per_model = Counter(c.line.model for c in checked if c.prepared is not None)
    costs = _estimates(client, checked)
    width = max([len(m) for m in per_model] + [5])
    rows = [f"{'MODEL':<{width}}  LINES  EST. COST"]
    rows += [f"{m:<{width}}  {n:>5}  {costs[m]}" for m, n in sorted(per_model.items())]
    valid = sum(per_model.values())
    rows.append(
        f"{count(valid, 'valid line')}, {len(checked) - valid} invalid; "
        f"{new} would be submitted now "
        f"({valid - new} already were); nothing was sent. (Estimates are the quotes: what the "
        "gateway charged before, or your prices; unknown: neither.)"
    )
    io.emit("\n".join(rows))


def _estimates(client: Any, checked: list[Checked]) -> dict[str, str]:
    """Each model's lines at their quotes: the known sum, and how many are unknown."""
    from decimal import Decimal

    from vtrix.engine.pricing import price_key, quote

    seen: dict[tuple[str, str], Any] = {}
    known: dict[str, Decimal] = {}
    unknown: Counter[str] = Counter()
    for c in checked:
        p = c.prepared
        if p is None:
            continue
        ident = (p.model_id, price_key(p.params, p.spec.schema))
        if ident not in seen:
            seen[ident] = quote(client.session, p.model_id, p.params, p.spec.schema).amount
        amount = seen[ident]
        if amount is None:
            unknown[c.line.model] += 1
        else:
            known[c.line.model] = known.get(c.line.model, Decimal(0)) + amount
    out = {}
    for model in {c.line.model for c in checked if c.prepared is not None}:
        parts = [f"{known[model]:f}"] if model in known else []
        if unknown[model]:
            parts.append(f"{unknown[model]} unknown")
        out[model] = " + ".join(parts)
    return out


def say_what_the_balance_covers(client: Any, checked: list[Checked], reporter: Reporter) -> None:
    """Before a budgeted batch: each gateway's balance (where it states one) and how many of
    its lines that covers at their quotes."""
    from decimal import Decimal

    from vtrix.base.amounts import amount
    from vtrix.base.gateways import GATEWAYS
    from vtrix.engine.pricing import quote
    from vtrix.errors import VtrixError

    by_provider: dict[str, list[Any]] = {}
    for c in checked:
        if c.prepared is not None:
            by_provider.setdefault(c.prepared.spec.provider, []).append(c.prepared)
    for provider, prepared in sorted(by_provider.items()):
        try:
            left = amount(client.provider(provider).balance())
        except VtrixError:
            left = None
        if left is None:
            continue
        total, covered = Decimal(0), 0
        for p in prepared:
            q = quote(client.session, p.model_id, p.params)
            if q.amount is None or total + q.amount > left:
                break
            total, covered = total + q.amount, covered + 1
        reporter.line(
            f"{GATEWAYS[provider].label} balance {left:f} covers {covered} of its "
            f"{count(len(prepared), 'line')} at their quotes"
        )
