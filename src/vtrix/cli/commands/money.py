"""``vtrix quote``, ``vtrix prices``, ``vtrix balance`` and ``vtrix spend``: what a task will
cost, the prices you set, what an account has left, and what tasks cost (from the ledger)."""

from __future__ import annotations

import time
from collections import defaultdict
from decimal import Decimal
from typing import Any

import click

from vtrix.cli import ending
from vtrix.cli.click_types import DURATION
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
@click.option("--per", type=click.Choice(["task", "second", "image"]), default="task")
def prices_set(model_id: str, amount: str, per: str) -> None:
    """Set MODEL_ID's price: AMOUNT per task, per second of video, or per image."""
    from vtrix.cli.output import emit
    from vtrix.engine import registry
    from vtrix.engine.pricing import amount as parse_amount
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
    from vtrix.cli.output import emit
    from vtrix.errors import VtrixError
    from vtrix.wire.gateways import GATEWAYS

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
        rows[name] = {"balance": left, "note": note}
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
    type=click.Choice(["model", "provider", "profile", "machine", "batch"]),
    default="model",
)
@OUTPUT
@click.pass_context
def spend(ctx: click.Context, since: float, group: str, output: str) -> None:
    """What tasks cost, from the ledger: counts and summed known costs (unknown counted
    apart)."""
    from vtrix.cli.output import emit
    from vtrix.engine.pricing import amount

    ledger = client_for(ctx).ledger
    if ledger is not None:
        ledger.check()
    rows = (ledger.since(time.time() - since) or []) if ledger else []
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"tasks": 0, "cost": Decimal(0), "unknown_cost": 0}
    )
    for e in rows:
        if not e.task_id:
            continue
        g = groups[str(getattr(e, group) or "-")]
        g["tasks"] += 1
        cost = amount(e.cost) if e.cost is not None else None
        if cost is None:
            g["unknown_cost"] += 1
        else:
            g["cost"] += cost
    total = sum((g["cost"] for g in groups.values()), Decimal(0))
    doc = {
        "since_seconds": since,
        "by": group,
        "groups": {k: {**v, "cost": f"{v['cost']:f}"} for k, v in sorted(groups.items())},
        "total": f"{total:f}",
        "tasks": sum(g["tasks"] for g in groups.values()),
        "unknown_cost": sum(g["unknown_cost"] for g in groups.values()),
    }
    if output == "json":
        _emit_json(doc)
        return
    for key, g in doc["groups"].items():
        unknown = f" (+{g['unknown_cost']} of unknown cost)" if g["unknown_cost"] else ""
        emit(f"{key}  {g['tasks']} tasks  {g['cost']}{unknown}")
    emit(f"total  {doc['tasks']} tasks  {doc['total']}")
