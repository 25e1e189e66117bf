"""Money held in the ledger: every cap is an *account*, and a submit is charged to its accounts
in the same write transaction that records it, before it is sent.

An account is a cap with a name: a named budget (``budget:NAME``, persistent, perhaps per
day, week or month), a batch's ``--budget`` (``batch:ID``, shared by every process running
that input), a client's ``max_spend`` or ``vtrix mcp --max-spend`` (``process:…``, one
process's). What a submit counts against an account, by the row's state:

* **settled**: the cost the gateway reported (a valid amount; 0 is kept as a fact);
* **released**: nothing, once the gateway clearly refused the submit (``rejected``);
* **unknown**: the submit went out without a clear answer (it may have been charged): held at
  its quote;
* **reserved**: everything else (being sent, running, ended without a reported cost): held
  at its quote.

A quote that was too low is corrected at once: a held row counts at the highest price the
gateway has reported for its model and price parameters (``prices_seen``) when that is above
its quote. Every check and every charge happens inside :meth:`Ledger.begin`'s transaction
(one writer at a time on SQLite; on PostgreSQL under the ``money`` advisory lock), so no two
submits, in any process or on any machine, see the same room under a cap.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Protocol

from vtrix.base.amounts import amount
from vtrix.base.record import record
from vtrix.errors import BudgetReached, UsageError
from vtrix.store.entry import COLUMNS, NOTHING_CREATED, UNKNOWN, Entry, entry_from_row

PERIODS = ("", "day", "week", "month")
BUDGET, BATCH, PROCESS = "budget", "batch", "process"
MONEY_LOCK = "money"


class Db(Protocol):
    def execute(self, sql: str, args: Any = ()) -> Any: ...


@record(frozen=True)
class Account:
    """A cap submits are charged to (see the module docstring)."""

    name: str  # "budget:NAME", "batch:ID", "process:ID"
    cap: Decimal
    kind: str = BUDGET
    label: str = ""  # how messages name it ("budget 'team'", "--budget 3.00 of this batch")
    period: str = ""  # "", "day", "week" or "month" (named budgets only)

    @property
    def shown(self) -> str:
        return self.label or self.name


@record(frozen=True)
class Charge:
    """What a submit about to be sent costs and what it is charged to. ``quote`` None: the
    price is unknown (let through only with ``allow_unpriced``, counted as 0)."""

    quote: Decimal | None
    accounts: tuple[Account, ...] = ()
    allow_unpriced: bool = False


@record
class Usage:
    """What an account has committed, by kind (see the module docstring)."""

    settled: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)
    unknown: Decimal = Decimal(0)
    tasks: int = 0

    @property
    def committed(self) -> Decimal:
        return self.settled + self.reserved + self.unknown

    def to_dict(self) -> dict[str, Any]:
        return {
            "settled": f"{self.settled:f}",
            "reserved": f"{self.reserved:f}",
            "unknown": f"{self.unknown:f}",
            "committed": f"{self.committed:f}",
            "tasks": self.tasks,
        }


def period_start(period: str, now: float | None = None) -> float:
    """When the current ``period`` began (UTC); 0 for a budget without one."""
    if not period:
        return 0.0
    at = dt.datetime.fromtimestamp(time.time() if now is None else now, dt.timezone.utc)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        day -= dt.timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return day.timestamp()


# ----------------------------------------------------------------- accounts


def save_account(db: Db, account: Account) -> None:
    """Create ``account`` or set its cap (and period)."""
    now = time.time()
    db.execute(
        "INSERT INTO accounts (name, kind, label, cap, period, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET cap = excluded.cap,"
        " period = excluded.period, label = excluded.label, updated_at = excluded.updated_at",
        (account.name, account.kind, account.label, f"{account.cap:f}", account.period, now, now),
    )


def load_account(db: Db, name: str) -> Account | None:
    row = db.execute(
        "SELECT name, kind, label, cap, period FROM accounts WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else _account(row)


def accounts(db: Db, kind: str | None = None) -> list[Account]:
    sql = "SELECT name, kind, label, cap, period FROM accounts"
    rows = db.execute(sql + " WHERE kind = ?", (kind,)) if kind else db.execute(sql)
    return sorted((_account(r) for r in rows), key=lambda a: a.name)


def drop_account(db: Db, name: str) -> bool:
    """Remove an account (its tasks stay; what they cost stays in ``vtrix spend``)."""
    db.execute("DELETE FROM charges WHERE account = ?", (name,))
    return bool(db.execute("DELETE FROM accounts WHERE name = ?", (name,)).rowcount)


def _account(row: Any) -> Account:
    cap = amount(row[3])
    return Account(
        name=str(row[0]),
        cap=Decimal(0) if cap is None else cap,  # a cap edited by hand into nonsense: 0
        kind=str(row[1]),
        label=str(row[2] or ""),
        period=str(row[4] or "") if str(row[4] or "") in PERIODS else "",
    )


def attach(db: Db, account: str, keys: Iterable[str]) -> None:
    """Charge rows already in the ledger to ``account`` (a batch resumed under a budget)."""
    now = time.time()
    for key in keys:
        db.execute(
            "INSERT INTO charges (key, account, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (key, account, now),
        )


# -------------------------------------------------------------------- usage


def highest_prices(db: Db) -> dict[tuple[str, str], Decimal]:
    """The highest price reported for each (model, price parameters)."""
    out: dict[tuple[str, str], Decimal] = {}
    for model, key, high in db.execute("SELECT model, price_key, high FROM prices_seen"):
        value = amount(high)
        if value is not None:
            out[(str(model), str(key or ""))] = value
    return out


def held(entry: Entry, highs: dict[tuple[str, str], Decimal]) -> tuple[str | None, Decimal | None]:
    """How a ledger row counts (see the module docstring): ``settled``, ``reserved`` or
    ``unknown`` and its amount (None: no price known), or (None, None) when it costs nothing
    (the gateway refused it, or vtrix only looked the task up)."""
    if entry.key.startswith("task:"):
        return None, None
    settled = amount(entry.cost)
    if settled is not None:
        return "settled", settled
    shown = entry.shown_state
    if shown in NOTHING_CREATED and not entry.task_id:
        return None, None
    kind = "unknown" if shown == UNKNOWN and not entry.task_id else "reserved"
    quoted = amount(entry.quote)
    high = highs.get((entry.model, entry.price_key))
    if high is not None and (quoted is None or high > quoted):
        return kind, high  # the gateway charged more than quoted: held at that now
    return kind, quoted


def usage(
    db: Db,
    account: Account,
    now: float | None = None,
    highs: dict[tuple[str, str], Decimal] | None = None,
) -> Usage:
    """What ``account`` has committed in its current period."""
    highs = highest_prices(db) if highs is None else highs
    rows = db.execute(
        f"SELECT {', '.join('t.' + c for c in COLUMNS)} FROM charges c JOIN tasks t"
        " ON t.key = c.key WHERE c.account = ? AND c.created_at >= ?",
        (account.name, period_start(account.period, now)),
    )
    used = Usage()
    for row in rows:
        entry = entry_from_row(row)
        if entry is None:
            continue
        kind, money = held(entry, highs)
        if kind is None:
            continue
        used.tasks += 1
        if money is not None:
            setattr(used, kind, getattr(used, kind) + money)
    return used


def charge(db: Db, key: str, model: str, owed: Charge, now: float) -> None:
    """Check every account of ``owed`` has room for its quote, then charge ``key`` to them;
    raise BudgetReached (nothing written) when one has not. Run inside the write
    transaction that records the submit."""
    if not owed.accounts:
        return
    if owed.quote is None and not owed.allow_unpriced:
        raise BudgetReached(
            f"the price of this {model} task is unknown, so "
            f"{owed.accounts[0].shown} cannot be kept; nothing was sent",
            hint=f"Set one with `vtrix prices set {model} AMOUNT --per task|second|image`, "
            "or allow it with --allow-unpriced.",
        )
    cost = owed.quote or Decimal(0)
    highs = highest_prices(db)
    for given in owed.accounts:
        account = current(db, given)
        used = usage(db, account, now, highs)
        if used.committed + cost > account.cap:
            left = max(account.cap - used.committed, Decimal(0))
            raise BudgetReached(
                f"this {model} task is quoted at {cost:f}, over the {left:f} left under "
                f"{account.shown} (cap {account.cap:f}: {used.settled:f} settled, "
                f"{used.reserved:f} reserved, {used.unknown:f} of unknown outcome); "
                "nothing was sent",
                hint="Raise the cap, wait for running tasks to settle, or choose cheaper "
                "parameters (`vtrix spend` shows every account).",
            )
    for given in owed.accounts:
        db.execute(
            "INSERT INTO charges (key, account, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (key, given.name, now),
        )


def current(db: Db, given: Account) -> Account:
    """A named budget as the ledger has it now (its cap may have changed since the command
    started; UsageError when there is none); any other account is written with the cap it
    was given."""
    if given.kind != BUDGET:
        save_account(db, given)
        return given
    found = load_account(db, given.name)
    if found is None:
        name = given.name.split(":", 1)[1]
        raise UsageError(
            f"there is no budget named {name!r} in the task ledger; nothing was sent",
            hint=f"Create it with `vtrix budget set {name} AMOUNT [--period day|week|month]` "
            "(`vtrix budget list` shows the budgets).",
        )
    return Account(found.name, found.cap, found.kind, given.label or found.label, found.period)


def note_price(db: Db, model: str, price_key: str, cost: Decimal) -> None:
    """Remember ``cost`` as the highest price of (model, price parameters) if it is."""
    row = db.execute(
        "SELECT high FROM prices_seen WHERE model = ? AND price_key = ?", (model, price_key)
    ).fetchone()
    known = amount(row[0]) if row is not None else None
    if known is not None and known >= cost:
        return
    db.execute(
        "INSERT INTO prices_seen (model, price_key, high, updated_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (model, price_key) DO UPDATE SET high = excluded.high,"
        " updated_at = excluded.updated_at",
        (model, price_key, f"{cost:f}", time.time()),
    )


def named(name: str) -> str:
    """The account name of the named budget ``name`` (refused when it cannot be one)."""
    clean = name.strip()
    if not clean or len(clean) > 64 or any(c.isspace() or not c.isprintable() for c in clean):
        raise UsageError(
            f"{name!r} is not a budget name; nothing was sent",
            hint="Use letters, digits, '-', '_' or '.', up to 64 characters.",
        )
    return f"{BUDGET}:{clean}"


def note_cost(db: Db, provider: str, task_id: str, cost: Any) -> None:
    """A reported cost may be the model's highest yet: it then re-prices held rows and later
    quotes, and a cost above the task's quote is said once per model and process."""
    row = db.execute(
        "SELECT model, price_key, quote FROM tasks WHERE provider = ? AND task_id = ?",
        (provider, task_id),
    ).fetchone()
    if row is None or not row[0]:
        return
    model = str(row[0])
    note_price(db, model, str(row[1] or ""), cost)
    quoted = amount(row[2])
    if quoted is not None and cost > quoted and model not in _REPRICED:
        _REPRICED.add(model)
        print(
            f"! task {task_id} of {model} cost {cost:f}, quoted {quoted:f}: its later quotes "
            "and the tasks held under caps are re-priced at that",
            file=sys.stderr,
        )


_REPRICED: set[str] = set()  # models whose re-pricing this process has said
