"""A fake clock for in-process tests: a wait's sleep moves the clock instead of waiting.

vtrix's waits (polls, retry backoff, a room for a running-task cap) are steps that sleep, then
read ``time.monotonic()``. In a test they need to happen in the right order, not to take the
seconds they name, so every vtrix module that reads ``time`` is given :data:`CLOCK` instead:
its ``monotonic()`` is the real one plus an offset, and its ``sleep`` moves the offset on to
the sleep's end and yields. The sandbox reads the same clock, so a task "runs" for the
seconds its client has slept. Subprocesses keep real time.

The offset only grows (the clock stays monotonic across tests). A synchronous sleep moves it
to its own end at once; the waits of an event loop (a batch, ``AsyncClient``), side by side
by the hundred, move it only to the earliest end among them (:meth:`VirtualTime.asleep`),
so they overlap as in real time and a request in flight sees the clock move by a poll's
delay, not by the sum of everyone's. A test of real seconds — a hung read bounded by its
deadline, a 429 hold kept by the database's clock — is marked ``real_time``: its sleeps are
real (the offset stays where it is). The ledger's own waits for other processes (a lock, a
reconnect) and the batch workers' lease renewals keep real time everywhere.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
import sys
import threading
import time as _real
from types import ModuleType
from typing import Any

# Modules whose waits are about another process's real time.
REAL = (
    "vtrix.store.ledger",
    "vtrix.store.ledger_ids",
    "vtrix.store.sqlite",
    "vtrix.store.postgres",
    "vtrix.sandbox.server",
)
SKIP = ("vtrix.models", "vtrix.__main__", "vtrix.mcp.server")


class VirtualTime:
    """``time`` as vtrix reads it in tests (see the module docstring)."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.virtual = True
        self.lock = threading.Lock()
        self.pending: list[float] = []  # the ends of the async waits under way

    def monotonic(self) -> float:
        return _real.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        if not self.virtual:
            _real.sleep(seconds)
            return
        self._advance(seconds)
        _real.sleep(0.0005)  # let the other threads (the sandbox's) run

    async def asleep(self, seconds: float) -> None:
        """An async wait: it ends when the clock reaches its end. The clock moves on only to
        the earliest end of the waits pending on it, and only after they have had a moment
        to line up: waits side by side overlap, as they would in real time."""
        if not self.virtual:
            await asyncio.sleep(seconds)
            return
        end = self.monotonic() + max(seconds, 0.0)
        with self.lock:
            self.pending.append(end)
        try:
            while self.monotonic() < end:
                await asyncio.sleep(0.001)
                with self.lock:
                    earliest = min(self.pending)
                    now = self.monotonic()
                    if earliest > now:
                        self.offset += earliest - now
        finally:
            with self.lock:
                self.pending.remove(end)

    def _advance(self, seconds: float) -> None:
        # Waits that overlap in time overlap on the clock too: a sleep moves the clock to its
        # own end unless another has already moved it past.
        with self.lock:
            target = _real.monotonic() + self.offset + max(seconds, 0.0)
            self.offset = max(self.offset, target - _real.monotonic())

    def __getattr__(self, name: str) -> Any:
        return getattr(_real, name)


CLOCK = VirtualTime()


def _modules() -> list[ModuleType]:
    import vtrix

    for info in pkgutil.walk_packages(vtrix.__path__, "vtrix."):
        if not info.name.startswith(SKIP):
            try:
                importlib.import_module(info.name)
            except ImportError:  # an optional extra that is not installed
                continue
    return [m for n, m in sorted(sys.modules.items()) if n.startswith("vtrix.") and m]


def install() -> None:
    """Give every vtrix module that reads ``time`` the fake clock (once per test process)."""
    for module in _modules():
        if module.__name__.startswith(REAL):
            continue
        if getattr(module, "time", None) is _real:
            module.time = CLOCK  # type: ignore[attr-defined]
    sys.modules["vtrix.http.client"].async_sleep = CLOCK.asleep  # type: ignore[attr-defined]
