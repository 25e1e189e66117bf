"""What money commands do, as options values and run functions (see :mod:`vtrix.cli.run_model`):
``vtrix quote`` (what a task will cost), ``vtrix prices`` (the prices you set), ``vtrix balance``
(what each account has left) and ``vtrix spend`` (what tasks cost, from the ledger)."""

from __future__ import annotations

import time
from collections import defaultdict
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vtrix.base.record import record

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.client import Client
    from vtrix.store.ledger import Ledger


@record(frozen=True)
class QuoteOptions:
    """``vtrix quote``: the model, its ``--param KEY=VALUE`` pairs and ``--body`` JSON."""

    model_id: str
    params: tuple[str, ...] = ()
    body: str | None = None
    output: str = "human"


@record(frozen=True)
class PriceOptions:
    """``vtrix prices set``: the model, the amount as typed, and what it is per."""

    model_id: str
    amount: str
    per: str = "task"


@record(frozen=True)
class SpendOptions:
    """``vtrix spend``: how far back (seconds) and grouped by which column."""

    since: float = 7 * 86400.0
    group: str = "model"
    output: str = "human"


def _emit_json(io: IO, doc: Any) -> None:
    from vtrix.cli.output import to_json

    io.emit(to_json(doc))
    io.done()


def run_quote(opts: QuoteOptions, client: Client, io: IO) -> None:
    """What a task of the model with these parameters is expected to cost; nothing is sent."""
    from vtrix.engine.params import BodyBuilder, load_body
    from vtrix.errors import ValidationFailed

    io.output = opts.output
    resolved = client.resolve(opts.model_id)
    base, problems = load_body(opts.body, None, None)
    builder = BodyBuilder(resolved.spec.schema if resolved.checked else None, base)
    builder.problems.extend(problems)
    builder.add_params(list(opts.params))
    if builder.problems:
        raise ValidationFailed(resolved.spec.id, builder.problems)
    io.note(model=resolved.spec.id, provider=resolved.spec.provider)
    q = client.quote(resolved.spec.id, builder.body)
    if opts.output == "json":
        _emit_json(io, {"model": resolved.spec.id, **q.to_dict()})
    else:
        io.emit(f"{resolved.spec.id}: {q.text()}")


def run_prices_set(opts: PriceOptions, client: Client, io: IO) -> None:
    """Set a model's price: an amount per task, per second of video, or per image."""
    from vtrix.base.amounts import amount as parse_amount
    from vtrix.engine import registry
    from vtrix.engine.pricing import set_price
    from vtrix.errors import UnknownModel, UsageError

    value = parse_amount(opts.amount)
    if value is None:
        raise UsageError(f"{opts.amount!r} is not an amount (say 0.05)")
    model = registry.canonical(opts.model_id)
    if registry.lookup(model) is None:
        from vtrix.base.gateways import GATEWAYS, provider_for_id

        if not GATEWAYS[provider_for_id(model)].prefixed_ids:
            raise UnknownModel(opts.model_id, registry.suggest(opts.model_id))
        model = client.resolve(model, live=True).spec.id  # a gateway whose catalog is live
    set_price(model, value, opts.per)
    io.emit(f"{model}: {value:f} per {opts.per}")


def run_prices_list(output: str, client: Client, io: IO) -> None:
    """The prices you set."""
    from vtrix.engine.pricing import read_prices

    io.output = output
    table = read_prices()
    if output == "json":
        _emit_json(io, table)
        return
    for model, price in sorted(table.items()):
        io.emit(f"{model}  {price.get('amount')} per {price.get('per', 'task')}")


def run_balance(output: str, client: Client, io: IO) -> None:
    """What each gateway says the account has left (a gateway without a key: why not)."""
    from vtrix.base.gateways import GATEWAYS
    from vtrix.errors import VtrixError

    io.output = output
    rows: dict[str, Any] = {}
    for name, gateway in GATEWAYS.items():
        if client.settings.key_for(name) is None:
            rows[name] = {"balance": None, "note": f"no key ({gateway.key_env})"}
            continue
        try:
            left = client.provider(name).balance()
        except VtrixError as exc:
            rows[name] = {"balance": None, "note": exc.message}
            continue
        note = "" if left is not None else "not available from this gateway"
        rows[name] = {"balance": _decimal(left), "note": note}
    if output == "json":
        _emit_json(io, rows)
        return
    for name, row in rows.items():
        shown = row["balance"] if row["balance"] is not None else row["note"]
        io.emit(f"{GATEWAYS[name].label}: {shown}")


def checked_ledger(client: Client) -> Ledger:
    """The client's ledger, checked: one that cannot be used is an error (exit 2, saying
    what is wrong), never an empty answer."""
    from vtrix.store.ledger import Ledger

    ledger = client.ledger if client.ledger is not None else Ledger()
    ledger.check()
    return ledger


def run_spend(opts: SpendOptions, client: Client, io: IO) -> None:
    """What tasks cost, per group: money settled (the cost the gateway reported), reserved
    (tasks sent or running, held at their quotes) and of unknown outcome (sent without a
    clear answer: maybe charged) apart; then each account with what it has left."""
    from vtrix.cli.output import table_text

    io.output = opts.output
    ledger = checked_ledger(client)
    doc = spend_report(ledger, opts)
    if opts.output == "json":
        _emit_json(io, doc)
        return
    head = [opts.group.upper(), "TASKS", "SETTLED", "RESERVED", "UNKNOWN", "UNPRICED"]
    cells = [
        [k, str(v["tasks"]), v["settled"], v["reserved"], v["unknown"], str(v["unpriced"])]
        for k, v in [*doc["groups"].items(), ("total", doc["total"])]
    ]
    io.emit(table_text(head, cells))
    if doc["accounts"]:
        io.emit("")
        head = ["ACCOUNT", "CAP", "SETTLED", "RESERVED", "UNKNOWN", "LEFT"]
        keys = ("account", "cap", "settled", "reserved", "unknown", "left")
        io.emit(table_text(head, [[a[k] for k in keys] for a in doc["accounts"]]))


def spend_report(ledger: Ledger, opts: SpendOptions) -> dict[str, Any]:
    """``vtrix spend -o json``'s object: each group's money by kind, the total, the accounts."""
    from vtrix.store.accounts import held

    rows = ledger.since(time.time() - opts.since) or []
    highs = ledger.highest_prices() if rows else {}
    groups: dict[str, dict[str, Any]] = defaultdict(_zero)
    for e in rows:
        kind, money = held(e, highs)
        if kind is None:
            continue
        g = groups[str(getattr(e, opts.group) or "-")]
        g["tasks"] += 1
        if money is None:
            g["unpriced"] += 1
        else:
            g[kind] += money
    totals = _zero()
    for g in groups.values():
        for k in totals:
            totals[k] += g[k]
    return {
        "since_seconds": opts.since,
        "by": opts.group,
        "groups": {k: _shown(v) for k, v in sorted(groups.items())},
        "total": _shown(totals),
        "accounts": accounts_report(ledger),
    }


def _decimal(value: Any) -> Any:
    """A gateway's stated balance as money is printed everywhere: a decimal string (a float
    is read by its shortest text: ``100.0`` is ``"100.0"``); anything else as stated."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        stated = Decimal(repr(value))
        return f"{stated:f}" if stated.is_finite() else None
    return value


def _zero() -> dict[str, Any]:
    return {
        "tasks": 0,
        "settled": Decimal(0),
        "reserved": Decimal(0),
        "unknown": Decimal(0),
        "unpriced": 0,
    }


def _shown(g: dict[str, Any]) -> dict[str, Any]:
    return {k: (f"{v:f}" if isinstance(v, Decimal) else v) for k, v in g.items()}


def accounts_report(ledger: Ledger, kind: str | None = None) -> list[dict[str, Any]]:
    """Every account (of ``kind``) with what it has committed and has left; a process's cap
    only while it has tasks."""
    from vtrix.store.accounts import PROCESS

    out = []
    for account in ledger.accounts(kind):
        used = ledger.usage(account)
        if account.kind == PROCESS and not used.tasks:
            continue
        left = max(account.cap - used.committed, Decimal(0))
        out.append(
            {
                "account": account.shown,
                "name": account.name,
                "kind": account.kind,
                "cap": f"{account.cap:f}",
                "period": account.period or None,
                **used.to_dict(),
                "left": f"{left:f}",
            }
        )
    return out
