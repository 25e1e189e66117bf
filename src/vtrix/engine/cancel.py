"""Cancelling a task, where its gateway's protocol has a cancel (fal): one plan that the sync
and async clients both drive.

A gateway without one is refused before anything is sent when the task's gateway is known
without asking (the ledger's row, the ``provider`` given, or the id's shape). A task that
has ended already is not cancelled; it is returned as it stands. A cancel the gateway took is
kept in the ledger as the task's final state."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from vtrix.base.gateways import GATEWAYS, provider_for_task
from vtrix.errors import UsageError
from vtrix.http import Call, Plan
from vtrix.task import CANCELED

if TYPE_CHECKING:
    from vtrix.engine.plans import Found
    from vtrix.engine.session import Session


def refuse_unless_cancellable(provider: str) -> None:
    """A UsageError (exit 2, nothing sent) for a gateway whose protocol has no cancel."""
    gateway = GATEWAYS.get(provider)
    if gateway is not None and not gateway.can_cancel:
        able = ", ".join(g.label for g in GATEWAYS.values() if g.can_cancel)
        raise UsageError(
            f"cancel is not supported by {gateway.label}; nothing was sent",
            hint=f"Only {able} can cancel a task; a {gateway.label} task runs to its end.",
        )


def known_provider(session: Session, task_id: str, provider: str | None) -> str | None:
    """The task's gateway as far as it is known without asking one."""
    entry = session.ledger.by_task(task_id, provider) if session.ledger is not None else None
    if entry is not None:
        return entry.provider
    return provider or provider_for_task(task_id)


def cancel_flow(
    session: Session, task_id: str, provider: str | None, deadline: float | None = None
) -> Plan[tuple[Found, bool]]:
    """(the task as it stands after the cancel, whether the gateway took the cancel)."""
    from vtrix.engine.plans import lookup_flow

    named = yield Call(partial(known_provider, session, task_id, provider))
    if named is not None:
        refuse_unless_cancellable(named)
    found = yield from lookup_flow(session, task_id, provider, deadline)
    state = found.state
    refuse_unless_cancellable(state.provider)
    if state.done:
        return found, False
    adapter = session.provider(state.provider)
    taken = yield from adapter.cancel_plan(state.id, found.endpoint, deadline)
    if taken:
        state.status, state.remote_status = CANCELED, "cancelled by you"
        yield Call(partial(session.record, state, found.endpoint))
    return found, taken
