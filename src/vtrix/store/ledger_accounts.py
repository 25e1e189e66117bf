"""The ledger's accounts (:mod:`vtrix.store.accounts`): caps, what each has committed, and
the rows of a key counted as running. A base of :class:`vtrix.store.ledger.Ledger`."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from vtrix.base.constants import STALE_SUBMIT
from vtrix.errors import LedgerUnavailable
from vtrix.store import accounts as money
from vtrix.store.accounts import MONEY_LOCK, Account, Usage
from vtrix.store.entry import Entry

if TYPE_CHECKING:
    from vtrix.store.backend import Database


class LedgerAccounts:
    """Account operations: any trouble raises LedgerUnavailable (a cap that cannot be read
    is never taken as room)."""

    _lock: threading.RLock
    disabled: bool
    why: str
    database: Database

    def _db(self) -> Database:
        raise NotImplementedError

    def _select(self, where: str, args: tuple[Any, ...], tail: str = "") -> list[Entry]:
        raise NotImplementedError

    def _unavailable(self, why: str, fix: str = "") -> LedgerUnavailable:
        raise NotImplementedError

    def _money(self, fn: Any, *args: Any, write: bool = False) -> Any:
        """Run an account operation (:mod:`.accounts`); trouble raises LedgerUnavailable:
        a cap that cannot be read is never taken as room."""
        with self._lock:
            if self.disabled:
                raise self._unavailable(self.why or "it failed earlier in this run")
            try:
                db = self._db()
                if not write:
                    return fn(db, *args)
                with db.write(lock=MONEY_LOCK):
                    return fn(db, *args)
            except LedgerUnavailable:
                raise
            except self.database.errors() as exc:
                raise self._unavailable(self.database.plain_reason(exc)) from None

    def save_account(self, account: Account) -> None:
        self._money(money.save_account, account, write=True)

    def account(self, name: str) -> Account | None:
        found: Account | None = self._money(money.load_account, name)
        return found

    def accounts(self, kind: str | None = None) -> list[Account]:
        found: list[Account] = self._money(money.accounts, kind)
        return found

    def drop_account(self, name: str) -> bool:
        return bool(self._money(money.drop_account, name, write=True))

    def usage(self, account: Account) -> Usage:
        used: Usage = self._money(money.usage, account)
        return used

    def attach(self, account: str, keys: list[str]) -> None:
        """Charge rows already in the ledger to ``account`` (a batch resumed under a budget)."""
        self._money(money.attach, account, keys, write=True)

    def highest_prices(self) -> dict[tuple[str, str], Any]:
        """The highest price the gateway reported for each (model, price parameters)."""
        found: dict[tuple[str, str], Any] = self._money(money.highest_prices)
        return found

    def running(self, key_id: str) -> list[Entry]:
        """The rows of API key ``key_id`` counted as running (see :meth:`_check_capacity`)."""
        from vtrix.task import FINAL

        finals = ", ".join(f"'{s}'" for s in sorted(FINAL))
        with self._lock:
            return self._select(
                "WHERE key_id = ? AND updated_at > ? AND task_id IS NOT NULL"
                f" AND state NOT IN ({finals}, 'rejected', 'not_sent', 'unknown')",
                (key_id, time.time() - STALE_SUBMIT),
            )
