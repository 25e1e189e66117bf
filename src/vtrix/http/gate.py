"""What the HTTP layer needs of the limits a key shares with other processes (the ledger's
:class:`vtrix.store.limits.SharedLimits` is one): a wait before a request, a peek before a
submit is recorded, and a hold after a 429."""

from __future__ import annotations

from typing import Protocol


class Gate(Protocol):
    """Limits a key shares with other processes (:class:`vtrix.store.limits.SharedLimits`)."""

    def wait(self) -> float:
        """Seconds to wait before sending (0: send now)."""
        ...

    def peek(self) -> float:
        """Seconds until a request could go, without taking a place in the window."""
        ...

    def hold(self, seconds: float) -> None: ...
