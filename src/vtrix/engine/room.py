"""Room to send a paid submit: what it waits for before its ledger row says "in flight".

A 429 hold or a full rate window (this client's, and the key's shared one) is waited out
first, so that an interrupt meanwhile leaves nothing sent and the key usable. Then the row
is written (``Ledger.begin``); while the key's running tasks are at its limit, the rows
thought running are looked up first (their end may just be unobserved), then a slot is
waited for within the submit's deadline, said once on stderr.
"""

from __future__ import annotations

import sys
import time
from functools import partial
from typing import TYPE_CHECKING, Any

from vtrix.base.constants import LOOK_EVERY
from vtrix.base.gateways import GATEWAYS
from vtrix.base.text import count
from vtrix.errors import AtCapacity, Interrupted, NotSent, VtrixError
from vtrix.http import Call, Plan, Sleep

if TYPE_CHECKING:
    from vtrix.engine.session import Session
    from vtrix.store.entry import Entry


def clear_to_send(http: Any, until: float) -> Plan[None]:
    """Wait out this client's 429 hold and the key's shared hold and rate window (read, no
    place taken) before a submit is recorded as in flight. Ctrl-C meanwhile: Interrupted,
    nothing sent."""
    try:
        yield from _wait_out(http, until)
    except KeyboardInterrupt:
        raise Interrupted(
            "Interrupted while waiting out the gateway's rate limit, before the submit was "
            "sent; nothing was sent",
            hint="Run the same command again when you are ready: nothing was paid.",
        ) from None


def _wait_out(http: Any, until: float) -> Plan[None]:
    """A wait that cannot end before ``until`` fails at once (NotSent, with how long)."""
    while True:
        wait = http.hold_until - http.clock()
        gate = http.gate
        if gate is not None and wait <= 0:
            wait = yield Call(gate.peek)
        if wait <= 0:
            return
        if time.monotonic() + wait > until:
            raise NotSent(
                f"the gateway asked to hold off for {wait:.0f} s more (a 429 or a full rate "
                "window, shared by every process with this key), past this call's deadline; "
                "nothing was sent",
                hint=f"Try again in {wait:.0f} s.",
                retry_after=wait,
            )
        yield Sleep(wait)


def begin_when_room(session: Session, row: dict[str, Any], until: float) -> Plan[Entry | None]:
    """Record the submit (``Ledger.begin``). While the key's running tasks are at its limit,
    first look the rows thought running up (their end may just be unobserved), then wait
    for a slot until ``until``, saying so once on stderr."""
    ledger = session.ledger
    assert ledger is not None
    pause = 0.5
    while True:
        try:
            known: Entry | None = yield Call(lambda: ledger.begin(**row))
            return known
        except AtCapacity as exc:
            key = row["key_id"]
            # One look-up at a time per key and process: fifty waiting lines of a batch
            # would otherwise poll the same running tasks fifty times over.
            if time.monotonic() - _LOOKED.get(key, float("-inf")) >= LOOK_EVERY:
                _LOOKED[key] = time.monotonic()
                if (yield from _look_up_running(session, row["provider"], key, until)):
                    continue
            if time.monotonic() + pause >= until:
                raise
            if key not in _SAID:  # once per key and process (a batch paces quietly)
                _SAID.add(key)
                label = GATEWAYS[row["provider"]].label
                print(
                    f"! {count(exc.running, label + ' task')} of this key "
                    f"{'is' if exc.running == 1 else 'are'} running (its limit at once); "
                    "waiting for one to end",
                    file=sys.stderr,
                )
            yield Sleep(pause)
            pause = min(pause * 1.5, 5.0)


def _look_up_running(session: Session, provider: str, key_id: str, until: float) -> Plan[bool]:
    """Ask the gateway about the key's tasks the ledger thinks are running (a task nobody
    polls is not known to have ended); True when one has."""
    ledger = session.ledger
    assert ledger is not None
    rows = yield Call(lambda: ledger.running(key_id))
    prov = session.provider(provider)
    ended = False
    for entry in rows[:LOOKUPS_AT_CAPACITY]:
        if entry.task_id is None or time.monotonic() >= until:
            continue
        try:
            state = yield from prov.task_plan(entry.task_id, entry.endpoint, until)
        except VtrixError:
            continue
        state.model = entry.model or state.model
        yield Call(partial(session.record, state, entry.endpoint))
        ended = ended or state.done
    return ended


LOOKUPS_AT_CAPACITY = 8
_LOOKED: dict[str, float] = {}  # key id -> when its running tasks were last looked up
_SAID: set[str] = set()  # keys whose wait for a slot this process has announced
