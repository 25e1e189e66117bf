"""A key's rate budget and 429 hold, shared by every process using the ledger (``key_limits``):
on SQLite by this machine's processes, on PostgreSQL by the team's.

Before a request goes out, :meth:`SharedLimits.wait` takes a place in the key's one-minute
window (when the gateway publishes a rate) and reads the key's hold; after a 429,
:meth:`SharedLimits.hold` sets it for all. The key is known here only by a digest
(``key_id``). Trouble with the ledger never stops a request: the gate then lets it go, and
the process's own hold still applies. Requests of commands that keep tasks (a submit, a
wait, a look-up, a batch) pass the gate; a catalog listing does not open the ledger for it.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

from vtrix.base.constants import HOLD_FRESH as FRESH
from vtrix.base.constants import RATE_WINDOW as WINDOW
from vtrix.store.backend import now_sql

if TYPE_CHECKING:
    from vtrix.store.ledger import Ledger


def key_id(provider: str, key: str) -> str:
    """What the ledger knows a key by: a digest, never the key."""
    return hashlib.sha256(f"vtrix-key:{provider}:{key}".encode()).hexdigest()[:24]


class SharedLimits:
    """The gate of one key (see the module docstring); ``per_minute`` None: no rate cap."""

    def __init__(self, ledger: Ledger, key: str, per_minute: int | None) -> None:
        self.ledger = ledger
        self.key = key
        self.per_minute = per_minute if per_minute and per_minute > 0 else None
        self._hold, self._read_at = 0.0, float("-inf")  # the hold as last read (no cap)

    def __repr__(self) -> str:
        return f"SharedLimits(key_id={self.key!r}, per_minute={self.per_minute})"

    def wait(self) -> float:
        """Seconds to wait before sending (0: go now, its place in the window taken). A
        command that has not opened the ledger (a catalog listing, a spec) is not gated:
        opening it would cost such a command more than the request. Windows and holds are
        kept by the database's clock, so machines whose clocks differ agree."""
        if not self.ledger.is_open:
            return 0.0
        if self.per_minute is None:
            return self._held(time.monotonic())
        now = now_sql(self.ledger.kind)
        # One statement: start a new window or count this request in the current one. A
        # request over the cap is counted too (it waits for the next window whatever the
        # count), so "used <= cap" says whether this one has a place.
        row = self.ledger.gate_statement(
            f"INSERT INTO key_limits (key_id, window_start, used, hold_until) VALUES (?, {now},"
            " 1, 0) ON CONFLICT (key_id) DO UPDATE SET"
            f" window_start = CASE WHEN key_limits.window_start <= {now} - ? THEN {now}"
            " ELSE key_limits.window_start END,"
            f" used = CASE WHEN key_limits.window_start <= {now} - ? THEN 1"
            " ELSE key_limits.used + 1 END"
            f" RETURNING window_start + ? - {now}, used, hold_until - {now}",
            (self.key, WINDOW, WINDOW, WINDOW),
        )
        if row is None:  # the ledger is in trouble: the request goes, unshared
            return 0.0
        window_left, used, hold_left = float(row[0]), int(row[1]), float(row[2] or 0)
        if hold_left > 0:
            return hold_left
        if used > self.per_minute:
            return max(window_left, 0.05)
        return 0.0

    def peek(self) -> float:
        """Seconds until a request could go (the hold, or a full window), without taking a
        place: what a submit waits out before it is recorded as in flight (a submit opens the
        ledger anyway, so this one may)."""
        now = now_sql(self.ledger.kind)
        row = self.ledger.gate_statement(
            f"SELECT window_start + ? - {now}, used, hold_until - {now} FROM key_limits"
            " WHERE key_id = ?",
            (WINDOW, self.key),
        )
        if row is None:
            return 0.0
        window_left, used, hold_left = float(row[0] or 0), int(row[1] or 0), float(row[2] or 0)
        if hold_left > 0:
            return hold_left
        if self.per_minute is not None and window_left > 0 and used >= self.per_minute:
            return max(window_left, 0.05)
        return 0.0

    def _held(self, now: float) -> float:
        """Without a rate cap only the hold matters: read it (no write), at most every
        :data:`FRESH` seconds — another process's 429 reaches this one that late at most.
        (``now``: this process's monotonic clock; the hold's length comes from the
        database's.)"""
        if now - self._read_at >= FRESH:
            row = self.ledger.gate_statement(
                f"SELECT hold_until - {now_sql(self.ledger.kind)} FROM key_limits WHERE key_id = ?",
                (self.key,),
            )
            left = float(row[0] or 0) if row else 0.0
            self._hold, self._read_at = now + max(left, 0.0), now
        return max(self._hold - now, 0.0)

    def hold(self, seconds: float) -> None:
        """A 429: hold every process's requests with this key for ``seconds``."""
        here = time.monotonic()
        self._hold = max(self._hold, here + seconds)
        now = now_sql(self.ledger.kind)
        self.ledger.gate_statement(
            f"INSERT INTO key_limits (key_id, hold_until) VALUES (?, {now} + ?)"
            " ON CONFLICT (key_id) DO UPDATE SET hold_until = CASE WHEN"
            f" key_limits.hold_until < {now} + ? THEN {now} + ? ELSE key_limits.hold_until END"
            " RETURNING hold_until",
            (self.key, seconds, seconds, seconds),
        )
