"""``vtrix quote``, ``vtrix prices``, ``vtrix balance`` and ``vtrix spend``: what a task will
cost, the prices you set, what an account has left, and what tasks cost (from the ledger)."""

from __future__ import annotations

import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

import click

from vtrix.cli import ending
from vtrix.cli.click_types import DURATION, Word
from vtrix.cli.completion import complete_model
from vtrix.cli.context import client_for

OUTPUT = ending.output_option("human", "json")


def _emit_json(doc: Any) -> None:
    from vtrix.cli.output import emit, to_json

    emit(to_json(doc))
    ending.printed()


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
    from vtrix.cli.output import emit
    from vtrix.engine.params import BodyBuilder, load_body
    from vtrix.errors import ValidationFailed

    client = client_for(ctx)
    resolved = client.resolve(model_id)
    base, problems = load_body(body, None, None)
    builder = BodyBuilder(resolved.spec.schema if resolved.checked else None, base)
    builder.problems.extend(problems)
    builder.add_params(list(params))
    if builder.problems:
        raise ValidationFailed(resolved.spec.id, builder.problems)
    ending.note(model=resolved.spec.id, provider=resolved.spec.provider)
    q = client.quote(resolved.spec.id, builder.body)
    if output == "json":
        _emit_json({"model": resolved.spec.id, **q.to_dict()})
    else:
        emit(f"{resolved.spec.id}: {q.text()}")


@click.group()
def prices() -> None:
    """The prices you set for models (used when the ledger has no charged task to learn from)."""


@prices.command(name="set")
@click.argument("model_id", shell_complete=complete_model)
@click.argument("amount")
@click.option("--per", type=Word(("task", "second", "image"), "unit"), default="task")
def prices_set(model_id: str, amount: str, per: str) -> None:
    """Set MODEL_ID's price: AMOUNT per task, per second of video, or per image."""
    from vtrix.base.amounts import amount as parse_amount
    from vtrix.cli.output import emit
    from vtrix.engine import registry
    from vtrix.engine.pricing import set_price
    from vtrix.errors import UnknownModel, UsageError

    value = parse_amount(amount)
    if value is None:
        raise UsageError(f"{amount!r} is not an amount (say 0.05)")
    model = registry.canonical(model_id)
    if registry.lookup(model) is None:
        raise UnknownModel(model_id, registry.suggest(model_id))
    set_price(model, value, per)
    emit(f"{model}: {value:f} per {per}")


@prices.command(name="list")
@OUTPUT
def prices_list(output: str) -> None:
    """The prices you set."""
    from vtrix.cli.output import emit
    from vtrix.engine.pricing import read_prices

    table = read_prices()
    if output == "json":
        _emit_json(table)
        return
    for model, price in sorted(table.items()):
        emit(f"{model}  {price.get('amount')} per {price.get('per', 'task')}")


@click.command()
@OUTPUT
@click.pass_context
def balance(ctx: click.Context, output: str) -> None:
    """What each gateway says your account has left."""
    from vtrix.base.gateways import GATEWAYS
    from vtrix.cli.output import emit
    from vtrix.errors import VtrixError

    client = client_for(ctx)
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
        _emit_json(rows)
        return
    for name, row in rows.items():
        shown = row["balance"] if row["balance"] is not None else row["note"]
        emit(f"{GATEWAYS[name].label}: {shown}")


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
    from vtrix.cli.output import emit, table_text

    ledger = client_for(ctx).ledger
    if ledger is not None:
        ledger.check()
    from vtrix.store.accounts import held

    rows = (ledger.since(time.time() - since) or []) if ledger else []
    highs = ledger.highest_prices() if ledger is not None and rows else {}
    groups: dict[str, dict[str, Any]] = defaultdict(_zero)
    for e in rows:
        kind, money = held(e, highs)
        if kind is None:
            continue
        g = groups[str(getattr(e, group) or "-")]
        g["tasks"] += 1
        if money is None:
            g["unpriced"] += 1
        else:
            g[kind] += money
    totals = _zero()
    for g in groups.values():
        for k in totals:
            totals[k] += g[k]
    doc: dict[str, Any] = {
        "since_seconds": since,
        "by": group,
        "groups": {k: _shown(v) for k, v in sorted(groups.items())},
        "total": _shown(totals),
        "accounts": _accounts(ledger),
    }
    if output == "json":
        _emit_json(doc)
        return
    head = [group.upper(), "TASKS", "SETTLED", "RESERVED", "UNKNOWN", "UNPRICED"]
    cells = [
        [k, str(v["tasks"]), v["settled"], v["reserved"], v["unknown"], str(v["unpriced"])]
        for k, v in [*doc["groups"].items(), ("total", doc["total"])]
    ]
    emit(table_text(head, cells))
    if doc["accounts"]:
        emit("")
        head = ["ACCOUNT", "CAP", "SETTLED", "RESERVED", "UNKNOWN", "LEFT"]
        emit(
            table_text(
                head,
                [
                    [a["account"], a["cap"], a["settled"], a["reserved"], a["unknown"], a["left"]]
                    for a in doc["accounts"]
                ],
            )
        )


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


def _accounts(ledger: Any) -> list[dict[str, Any]]:
    """Every account with what it has committed (a process's cap only while it has tasks)."""
    from vtrix.store.accounts import PROCESS

    if ledger is None:
        return []
    out = []
    for account in ledger.accounts():
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
