"""The Python client: everything the CLI does, as typed calls.

from vtrix import Client
client = Client()                      # key from VTRIX_API_KEY / MODELLIX_API_KEY / profile
result = client.run("kirin_v3_i2v", image_url="https://…", duration=6)
print(result.urls, result.to_dict())   # the same object `vtrix task get ID -o json` prints

A façade over the engine: a :class:`~vtrix.engine.session.Session` (settings, transport,
ledger, adapters), :mod:`vtrix.engine.prepare` (the one route to a request) and the plans of
:mod:`vtrix.engine.plans`, run here synchronously. :class:`vtrix.AsyncClient` is its sibling
over the same engine.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from vtrix.engine import prepare as _prepare
from vtrix.engine.facade import ClientBase
from vtrix.engine.handle import TaskHandle
from vtrix.engine.outcome import finished
from vtrix.engine.plans import ProgressCallback, lookup_flow, submit_flow, wait_flow
from vtrix.engine.prepare import Prepared, Resolved, SpecInfo
from vtrix.engine.saving import save as _save
from vtrix.task import Result

if TYPE_CHECKING:
    from decimal import Decimal

    from typing_extensions import Unpack

    from vtrix.engine.plans import Submitted
    from vtrix.engine.pricing import Quote
    from vtrix.engine.saving import SaveOptions
    from vtrix.spec.normalise import ModelSpec
    from vtrix.store.accounts import Account
    from vtrix.wire.base import CatalogEntry

__all__ = ["Client", "Prepared", "ProgressCallback", "Resolved", "Result", "SpecInfo", "Task"]


class Task(TaskHandle):
    """A submitted task. ``wait()`` polls it to the end."""

    def wait(
        self,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        poll_interval: float | None = None,
    ) -> Result:
        """Wait until the task ends, ``timeout`` seconds at most (a deadline for everything:
        polls, retries, slow answers); raise TaskFailed, WaitTimeout or Interrupted."""
        flow = wait_flow(
            self.session,
            self.state,
            self.endpoint,
            timeout=timeout,
            on_progress=on_progress,
            poll_interval=poll_interval,
        )
        self.state = self.session.provider(self.provider).http.run(flow)
        return finished(self.state, key=self.idempotency_key, by=self.submitted_by)

    def cancel(self) -> bool:
        """Cancel the task where its gateway can (fal): True when the gateway took it, False
        when it had ended already; a gateway without cancel raises UsageError, nothing sent."""
        from vtrix.engine.cancel import cancel_flow

        flow = cancel_flow(self.session, self.id, self.provider)
        found, taken = self.session.provider(self.provider).http.run(flow)
        self.state = found.state
        return taken


class Client(ClientBase):
    """Talks to both gateways, synchronously (see :class:`~vtrix.engine.facade.ClientBase`
    for how one is made)."""

    # ------------------------------------------------------------------ specs

    def spec(self, model_id: str, *, live: bool = True) -> ModelSpec:
        """A model's normalised spec: live when reachable, else the generated one."""
        return _prepare.spec(self.session, model_id, live=live)

    def spec_info(self, model_id: str, *, live: bool = True, raw: bool = False) -> SpecInfo:
        """The spec for display, with where it came from (see :func:`.prepare.spec_info`)."""
        return _prepare.spec_info(self.session, model_id, live=live, raw=raw)

    def resolve(
        self, model_id: str, generated: dict[str, Any] | None = None, *, live: bool = False
    ) -> Resolved:
        """The spec a submit of ``model_id`` is checked against (``generated``: its generated
        spec as data, when already read; ``live``: look at the gateway's current spec first,
        as a submit does)."""
        return _prepare.resolve(self.session, model_id, generated, live=live)

    def models(
        self, *, type: str | None = None, search: str | None = None, provider: str | None = None
    ) -> list[CatalogEntry]:
        """Catalog entries of one provider or both."""
        return _prepare.models(self.session, type=type, search=search, provider=provider)

    # ---------------------------------------------------------------- submits

    def prepare(
        self,
        model_id: str,
        params: dict[str, Any],
        *,
        resolved: Resolved | None = None,
    ) -> Prepared:
        """Validate ``params`` and build the exact request; raises ValidationFailed."""
        return _prepare.prepare(self.session, model_id, params, resolved=resolved)

    def submit_prepared(
        self,
        prepared: Prepared,
        *,
        idempotency_key: str | None = None,
        on_created: Callable[[Task], None] | None = None,
        batch: str | None = None,
        line: int | None = None,
        resend_unknown: bool = False,
        deadline: float | None = None,
        max_cost: Decimal | None = None,
        allow_unpriced: bool = False,
        quote: Quote | None = None,
        accounts: tuple[Account, ...] = (),
        hold: float = 0.0,
    ) -> Task:
        """Send a prepared submit once; returns at once with a :class:`Task`. ``deadline``
        (a ``time.monotonic()`` time) bounds the submit, else its own 60 s do; ``hold``: how
        long the caller will wait for the task (a gateway that can may answer it finished).

        The ledger holds the submit before it goes out and its task id as soon as it is
        known; ``on_created`` runs once the id is safe there (even if Ctrl-C comes). A key
        the ledger already has a task for is not sent again: that task is returned. A key
        whose earlier submit had an unknown outcome is refused unless ``resend_unknown``
        (neither gateway promises to honour the key: a resend may charge twice), and a key
        sent before with another model or other parameters is refused (KeyConflict). A cap
        — ``max_cost`` for this task; the client's ``max_spend`` and named budget and
        ``accounts``, held in the ledger — refuses a submit whose quote is over what is
        left, or unknown without ``allow_unpriced`` (BudgetReached, nothing sent)."""
        from vtrix.engine.money import charge_for  # decimal: only when something is sent

        quote, charge = charge_for(
            self.session,
            prepared,
            max_cost=max_cost,
            allow_unpriced=allow_unpriced,
            quote=quote,
            accounts=accounts,
        )

        def created(s: Submitted) -> None:
            if on_created is not None:
                on_created(Task.submitted(self.session, s))

        flow = submit_flow(
            self.session,
            prepared,
            idempotency_key=idempotency_key,
            on_created=created,
            batch=batch,
            line=line,
            resend_unknown=resend_unknown,
            deadline=deadline,
            quote=quote,
            charge=charge,
            hold=hold,
        )
        done = self.session.provider(prepared.spec.provider).http.run(flow)
        task: Task = Task.submitted(self.session, done)
        return task

    def submit(
        self,
        model_id: str,
        params: dict[str, Any] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> Task:
        """Validate and submit; returns at once with a :class:`Task`."""
        resolved = self.resolve(model_id, live=True)
        prepared = self.prepare(model_id, {**(params or {}), **kwargs}, resolved=resolved)
        return self.submit_prepared(prepared, idempotency_key=idempotency_key)

    def run(
        self,
        model_id: str,
        params: dict[str, Any] | None = None,
        /,
        *,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> Result:
        """Submit and wait; returns the :class:`Result` or raises (TaskFailed, WaitTimeout…)."""
        resolved = self.resolve(model_id, live=True)
        prepared = self.prepare(model_id, {**(params or {}), **kwargs}, resolved=resolved)
        task = self.submit_prepared(prepared, idempotency_key=idempotency_key, hold=timeout)
        return task.wait(timeout=timeout, on_progress=on_progress)

    def quote(self, model_id: str, params: dict[str, Any] | None = None, /, **kwargs: Any) -> Quote:
        """What a task of ``model_id`` with these parameters is expected to cost, and where
        that comes from (the values given are validated; a required parameter that does not
        change the price may be left out; nothing is sent)."""
        from vtrix.engine.pricing import quote_of

        return quote_of(self.session, model_id, {**(params or {}), **kwargs})

    # ------------------------------------------------------------------ tasks

    def get_task(
        self, task_id: str, provider: str | None = None, *, deadline: float | None = None
    ) -> Task:
        """A task by id. Its gateway: ``provider``, else the ledger, else the id's shape,
        else each gateway a key is set for, asked in turn. ``deadline`` (monotonic) bounds
        the lookup, else the read budget (30 s) does."""
        found = self.session.http(provider).run(
            lookup_flow(self.session, task_id, provider, deadline)
        )
        return Task(
            self.session,
            found.state,
            endpoint=found.endpoint,
            idempotency_key=found.key,
            submitted_by=found.by,
        )

    def cancel_task(self, task_id: str, provider: str | None = None) -> Task:
        """Cancel a task by id (see :meth:`Task.cancel`); the task as it then stands."""
        from vtrix.engine.cancel import cancel_flow

        flow = cancel_flow(self.session, task_id, provider)
        found, _taken = self.session.http(provider).run(flow)
        return Task(self.session, found.state, endpoint=found.endpoint, idempotency_key=found.key)

    def wait(self, task: Task | str, *, timeout: float = 600) -> Result:
        """Wait for a task (or a task id) to end."""
        return (self.get_task(task) if isinstance(task, str) else task).wait(timeout=timeout)

    def save(
        self, result: Result, directory: str | os.PathLike[str], **options: Unpack[SaveOptions]
    ) -> list[str]:
        """Save ``result``'s outputs into ``directory`` (see :mod:`vtrix.engine.saving`);
        returns the file paths (also set on ``result.files``)."""
        return _save(self.session, result, directory, **options)
