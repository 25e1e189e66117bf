"""What a task will cost, never invented: the quote and where it comes from.

The price parameters come from the model's spec: those named for durations, resolutions,
sizes, qualities and counts (of images, frames, outputs), with the spec's defaults applied
first. In order: the gateway's own quote, where it has a price route (WaveSpeed), unless
a price the user set is higher; the highest of what the gateway charged for the last
succeeded tasks of the same model with the same price parameters, as the ledger kept it
(``ledger``, with the sample size; a cost of 0 is never a price on its own, and a higher
charge re-prices the next quote at once); else a price the user set (``vtrix prices set``,
per task, per second or per image × the task's count, a count that cannot be known taken at
its maximum: ``prices``); else ``unknown``, which no cap lets through silently.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from vtrix.base.amounts import amount
from vtrix.base.gateways import provider_for_id
from vtrix.base.record import record
from vtrix.base.text import count

if TYPE_CHECKING:
    from vtrix.engine.session import Session

# Names of parameters a price depends on (besides what a spec marks as such): durations,
# resolutions, sizes, qualities, counts of images, frames or outputs.
PRICE_WORDS = re.compile(
    r"(duration|seconds|resolution|size|quality|frames|fps|^n$|^num|count|number|images"
    r"|outputs|variants)",
    re.IGNORECASE,
)
COUNT_WORDS = re.compile(r"(^n$|^num|count|number|images|outputs|variants)", re.IGNORECASE)
SECOND_WORDS = ("duration", "seconds", "duration_seconds", "length")
# The fixed list earlier vtrix versions keyed prices by; still price parameters.
PRICE_PARAMS = ("duration", "seconds", "resolution", "size", "quality", "n", "num_images", "count")
PER = ("task", "second", "image")
PRICES_FILE = "prices.json"


@record(frozen=True)
class Quote:
    """The expected cost of one task (``amount`` None: unknown) and its source."""

    amount: Decimal | None
    source: str  # "gateway", "ledger", "prices" or "unknown"
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


def price_params(schema: dict[str, Any] | None, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters a price depends on, by the spec (``schema``), defaults applied: those
    named for durations, resolutions, sizes, qualities and counts, and a switch that turns a
    count on or off (``sequential_image_generation`` for ``…_max_images``)."""
    props = (schema or {}).get("properties") or {}
    props = props if isinstance(props, dict) else {}
    names = {n for n in props if isinstance(n, str) and PRICE_WORDS.search(n)}
    names |= {n for n in params if n in PRICE_PARAMS or PRICE_WORDS.search(n)}
    counts = [n for n in names if COUNT_WORDS.search(n)]
    names |= {s for s in props if isinstance(s, str) and any(c.startswith(s + "_") for c in counts)}
    out: dict[str, Any] = {}
    for name in sorted(names):
        if name in params:
            value = params[name]
        else:
            prop = props.get(name)
            if not isinstance(prop, dict) or "default" not in prop:
                continue
            value = prop["default"]
        if isinstance(value, (str, int, float, bool)) or value is None:
            out[name] = value
    return out


def price_key(params: dict[str, Any], schema: dict[str, Any] | None = None) -> str:
    """The price-relevant parameters of a submit, as one comparable string."""
    return json.dumps(price_params(schema, params), sort_keys=True)


def quote(
    session: Session,
    model: str,
    params: dict[str, Any],
    schema: dict[str, Any] | None = None,
    *,
    ask_gateway: bool = True,
) -> Quote:
    """The expected cost of a task of ``model`` with ``params`` (see the module docstring).
    ``ask_gateway`` False (a dry run): a gateway's price route is not sent the parameters."""
    schema = schema if schema is not None else _schema_of(model)
    relevant_params = price_params(schema, params)
    key = json.dumps(relevant_params, sort_keys=True)
    relevant = ", ".join(f"{k}={v}" for k, v in relevant_params.items()) or "no price parameters"
    mine = _user_price(model, schema, relevant_params)
    prov = session.provider(provider_for_id(model))
    theirs = _gateway_price(session, model, params) if ask_gateway and prov.prices else None
    if theirs is not None:
        return _higher(mine, theirs)
    ledger = session.ledger
    costs = (ledger.costs(model, key) or []) if ledger is not None else []
    # A cost of 0 is a fact about that task, never a price on its own.
    charged = [a for a in (amount(c) for c in costs) if a is not None and a > 0]
    if charged:
        n = len(charged)
        # The highest recent charge: a price that went up re-prices the next quote at once.
        best = max(charged)
        basis = f"what the gateway charged for {count(n, 'task')} with {relevant}"
        if mine is not None and mine.amount is not None and mine.amount > best:
            return Quote(mine.amount, "prices", n, mine.basis + f" (the gateway charged {best:f})")
        return Quote(best, "ledger", n, basis)
    if mine is not None:
        return mine
    basis = f"no charged task of {model} with {relevant}, no price set"
    if prov.prices and not ask_gateway:
        basis += "; a dry run does not ask the gateway's price route (`vtrix quote` does)"
    return Quote(None, "unknown", 0, basis)


def quote_of(session: Session, model_id: str, params: dict[str, Any]) -> Quote:
    """The quote of ``params`` for ``model_id``, its values validated first: a required
    parameter left out (an image URL, a prompt) does not stop a quote."""
    from vtrix.engine.prepare import prepare, resolve
    from vtrix.errors import ValidationFailed

    resolved = resolve(session, model_id)
    try:
        prepared = prepare(session, model_id, params, resolved=resolved)
    except ValidationFailed as exc:
        if any(p.message != "required, but not given" for p in exc.problems):
            raise
        return quote(session, resolved.spec.id, params, resolved.spec.schema)
    return quote(session, prepared.model_id, prepared.params, prepared.spec.schema)


def _higher(mine: Quote | None, theirs: Quote) -> Quote:
    """The gateway's quote, unless the price the user set is higher (then that, saying so)."""
    if mine is None or mine.amount is None or theirs.amount is None:
        return theirs
    if mine.amount > theirs.amount:
        return Quote(mine.amount, "prices", 0, f"{mine.basis} ({theirs.basis})")
    return theirs


def _gateway_price(session: Session, model: str, params: dict[str, Any]) -> Quote | None:
    """The gateway's own quote, where its protocol has a price route (WaveSpeed's); None
    when it has none or cannot give one now (the other sources decide)."""
    from vtrix.base.gateways import GATEWAYS
    from vtrix.errors import VtrixError

    provider = provider_for_id(model)
    try:
        found = session.provider(provider).price(model, params)
    except VtrixError:  # no key, refused, unreachable: the quote is decided without it
        return None
    if found is None:
        return None
    return Quote(found, "gateway", 0, f"{GATEWAYS[provider].label}'s own price for these inputs")


def _user_price(
    model: str, schema: dict[str, Any] | None, relevant: dict[str, Any]
) -> Quote | None:
    set_price = read_prices().get(model)
    if set_price is None:
        return None
    unit, per = amount(set_price.get("amount")), str(set_price.get("per", "task"))
    if unit is None or per not in PER:
        return None
    count = quantity(per, schema, relevant)
    return Quote(unit * count, "prices", 0, f"your price: {unit:f} per {per} × {count}")


def quantity(per: str, schema: dict[str, Any] | None, relevant: dict[str, Any]) -> int:
    """How many units (seconds, images) a task with these price parameters is: a count that
    cannot be known (no value, no default) is its maximum; a count whose switch is off
    (``…=disabled``) is 1."""
    if per == "task":
        return 1
    props = (schema or {}).get("properties") or {}
    if per == "second":
        names = [n for n in relevant if n in SECOND_WORDS] or [n for n in SECOND_WORDS]
    else:
        names = [n for n in sorted(set(relevant) | set(props)) if COUNT_WORDS.search(str(n))]
    best = 0
    for name in names:
        if _switched_off(name, relevant):
            best = max(best, 1)
            continue
        value = _whole(relevant.get(name))
        if value is None and isinstance(props.get(name), dict):
            value = _whole(props[name].get("maximum"))
        if value is not None:
            best = max(best, value)
    return max(best, 1)


def _switched_off(name: str, relevant: dict[str, Any]) -> bool:
    return any(
        name.startswith(other + "_") and str(value).lower() in ("disabled", "false", "off", "none")
        for other, value in relevant.items()
    )


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(float(str(value)))
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number <= 10_000 else None


def _schema_of(model: str) -> dict[str, Any] | None:
    from vtrix.engine import registry

    spec = registry.generated_spec(model)
    return spec.schema if spec is not None else None


def read_prices() -> dict[str, dict[str, Any]]:
    """The user's prices (``vtrix prices set``), by model id."""
    from vtrix.base.dirs import config_dir

    try:
        data = json.loads((config_dir() / PRICES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    # An entry edited by hand into something else is not a price (never a crash).
    return {str(k): v for k, v in data.items() if isinstance(v, dict)}


def set_price(model: str, price: Decimal, per: str) -> None:
    """Record the user's price for ``model`` (atomically, under the config lock)."""
    from vtrix.base.atomic import write_text_atomic
    from vtrix.base.dirs import config_dir, private_dir

    prices = read_prices()
    prices[model] = {"amount": f"{price:f}", "per": per}
    path = private_dir(config_dir()) / PRICES_FILE
    write_text_atomic(path, json.dumps(prices, indent=2, sort_keys=True) + "\n", mode=0o600)
