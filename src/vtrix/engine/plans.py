"""What submitting, waiting and looking a task up *do*, written once as plans (see
:mod:`vtrix.http.client`) over a :class:`~vtrix.engine.session.Session`, which
:class:`vtrix.Client` runs synchronously and :class:`vtrix.AsyncClient` on an event loop.

Money rules live here: the ledger holds a submit before it goes out; its task id is written
(and announced) as soon as it is known, even if Ctrl-C comes in the middle; a submit that
went out without a clear answer is recorded as ``unknown`` with its idempotency key; a key
the ledger already has a task for is not sent again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from vtrix.base.constants import MIN_ID_WAIT, SUBMIT_WAIT
from vtrix.base.gateways import GATEWAYS, PROVIDERS, provider_for_task
from vtrix.base.record import record
from vtrix.engine.polling import PollPlan, resume_hint, wait_plan
from vtrix.engine.registry import canonical
from vtrix.engine.room import begin_when_room, clear_to_send
from vtrix.errors import (
    Interrupted,
    NotFound,
    SubmitInProgress,
    SubmitOutcomeUnknown,
    UsageError,
    VtrixError,
)
from vtrix.http import Call, Plan
from vtrix.http.plan import NotStarted
from vtrix.store.entry import NOT_SENT, REJECTED, Entry, digest, submitter
from vtrix.store.entry import UNKNOWN as UNKNOWN_SUBMIT
from vtrix.task import SubmittedBy
from vtrix.wire.base import TaskState
from vtrix.wire.reading import url_of

if TYPE_CHECKING:
    from vtrix.engine.prepare import Prepared
    from vtrix.engine.pricing import Quote
    from vtrix.engine.session import Session
    from vtrix.store.accounts import Charge

ProgressCallback = Callable[[TaskState, "float | None"], None]


@record
class Submitted:
    """What a submit left: the task as first seen, where to poll it, its key."""

    state: TaskState
    endpoint: str
    key: str
    reused: bool = False  # the ledger already had a task for this key: nothing was sent
    by: SubmittedBy | None = None  # who sent it


@record
class Found:
    """A task looked up: as its gateway reports it, where to poll it, and what the ledger
    adds (its submit's idempotency key and sender)."""

    state: TaskState
    endpoint: str
    key: str | None = None
    by: SubmittedBy | None = None


def unknown_outcome_hint(key: str) -> str:
    """What to do after a submit whose outcome is unknown (neither gateway promises to
    honour an idempotency key, so a resend is never called safe)."""
    return (
        f"Do not resubmit blindly: check the gateway's console or `vtrix task list` first "
        f"(idempotency key {key}). Neither gateway promises to honour that key: sending it "
        f"again (--idempotency-key {key} --resend-unknown) may charge twice."
    )


def new_idempotency_key() -> str:
    return f"vtrix-{uuid.uuid4()}"


def is_interrupt(exc: BaseException) -> bool:
    """Ctrl-C, or the event loop cancelling us (asyncio is not imported for this)."""
    return isinstance(exc, KeyboardInterrupt) or (
        type(exc).__name__ == "CancelledError" and type(exc).__module__.startswith("asyncio")
    )


def upload_flow(session: Session, prepared: Prepared) -> Plan[Prepared]:
    """Upload the local files of a prepared submit; the same submit with their URLs."""
    if not prepared.uploads:
        return prepared
    from vtrix.engine.prepare import Prepared
    from vtrix.files.uploads import replace_markers

    spec = prepared.spec
    prov = session.provider(spec.provider)
    upload = getattr(prov, "upload", None)
    assert upload is not None  # uploads.collect() refused gateways without an upload route
    urls = {}
    for u in prepared.uploads:
        answer = yield Call(partial(upload, str(u.file.path), u.content_type))
        urls[u.marker] = uploaded_url(answer, f"upload of {u.file.path}")
    params = replace_markers(prepared.params, urls)
    request = prov.prepare_submit(spec, params)
    return Prepared(prepared.model_id, spec, request, prepared.checked, params, prepared.unlisted)


def uploaded_url(answer: Any, what: str) -> str:
    """The URL an upload route returned, fit to go into a paid submit: https, or http on
    loopback (a ``file:`` or ``javascript:`` URL is the gateway's error, never sent on)."""
    from vtrix.http.network import is_loopback_host
    from vtrix.wire.reading import bad_answer

    url = url_of(answer.get("url") if isinstance(answer, dict) else None, what, answer)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if _private_literal(host):
        raise bad_answer(
            what, f"the uploaded file's URL names a private address ({host}); not sent", answer
        )
    if (parts.scheme == "https" and host) or (parts.scheme == "http" and is_loopback_host(host)):
        return url
    raise bad_answer(what, f"the uploaded file's URL is not https ({url[:80]!r}); not sent", answer)


def _private_literal(host: str) -> bool:
    """An IP address that is private, link-local, reserved or unspecified (not loopback, the
    sandbox's): a gateway's upload URL there would point the paid submit inside a network."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    if ip.is_loopback:
        return False
    return ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_unspecified


def submit_flow(
    session: Session,
    prepared: Prepared,
    *,
    idempotency_key: str | None = None,
    on_created: Callable[[Submitted], None] | None = None,
    batch: str | None = None,
    line: int | None = None,
    resend_unknown: bool = False,
    deadline: float | None = None,
    quote: Quote | None = None,
    charge: Charge | None = None,
    hold: float = 0.0,
) -> Plan[Submitted]:
    """Upload local files, then send a prepared submit once (see the module docstring).
    ``quote``: its expected cost (kept in the ledger); ``charge``: the accounts it is charged
    to, checked as its row is written (:mod:`.money`); ``hold``: how long the caller waits."""
    _require_key(session, prepared.spec.provider)
    # What the key is bound to: the parameters as given (a local file by path, not its URL).
    params_digest = digest(prepared.spec.provider, prepared.model_id, prepared.params)
    prepared = yield from upload_flow(session, prepared)
    spec = prepared.spec
    key = idempotency_key or new_idempotency_key()
    # Where polls go: the submit's own URL (its host may be another of the gateway's).
    endpoint = session.provider(spec.provider).task_endpoint(prepared.request)
    ledger = session.ledger
    until = deadline if deadline is not None else time.monotonic() + SUBMIT_WAIT
    # A 429 hold or a full rate window is waited out before the row says "in flight": an
    # interrupt meanwhile leaves nothing sent and the key usable.
    if ledger is not None:  # no ledger, no submit: said once, before anything else
        yield Call(partial(ledger.check, count=False))
    yield from clear_to_send(session.provider(spec.provider).http, until)
    if ledger is not None:
        row = _row_fields(session, prepared, key, endpoint, quote)
        row.update(
            batch=batch,
            line=line,
            resend_unknown=resend_unknown,
            params_digest=params_digest,
            charge=charge,
        )
        known = yield from begin_when_room(session, row, until)
        if known is not None and not known.task_id:
            raise _held(known, key)
        if known is not None and known.task_id:
            state = TaskState(known.task_id, known.provider, known.state, model=known.model)
            state.created_at = known.task_created_at or known.created_at or None
            done = Submitted(state, known.endpoint, key, reused=True, by=known.submitter)
            if on_created is not None:
                yield Call(lambda: on_created(done), blocking=False)
            return done
    try:
        state = yield from session.provider(spec.provider).submit_plan(
            prepared.request, spec.id, key, deadline, hold=hold
        )
    except BaseException as exc:
        yield from _submit_failed(session, key, exc)
        raise
    state.model = spec.id  # the catalog id, not the gateway's own word for the model
    if state.created_at is None:  # Modellix answers carry none: when vtrix submitted it
        state.created_at = time.time()
    state.submitted_at = time.monotonic()
    done = Submitted(state, endpoint, key, by=submitter(session.settings.profile))
    steps = []
    if ledger is not None:
        record = partial(
            ledger.submitted,
            key,
            state.id,
            state.status,
            state.remote_status,
            state.created_at,
            state.raw,
            wait=max(until - time.monotonic(), MIN_ID_WAIT),
        )
        steps.append(Call(record))
    if on_created is not None:
        steps.append(Call(lambda: on_created(done), blocking=False))
    yield from _despite_interrupts(steps, state.id)
    return done


def _row_fields(
    session: Session, prepared: Prepared, key: str, endpoint: str, quote: Quote | None
) -> dict[str, Any]:
    """What the ledger's row of a submit about to be sent holds (see ``Ledger.begin``),
    with the limit of the key's running tasks it is checked against."""
    from vtrix.engine.pricing import price_key  # decimal: only when something is sent

    spec = prepared.spec
    return {
        "key": key,
        "provider": spec.provider,
        "model": spec.id,
        "digest": digest(spec.provider, spec.id, prepared.request.body),
        "endpoint": endpoint,
        "price_key": price_key(prepared.params, spec.schema),
        "quote": None if quote is None or quote.amount is None else f"{quote.amount:f}",
        "profile": session.settings.profile,
        "key_id": session.key_id(spec.provider),
        "max_running": session.limits(spec.provider)[1],
    }


def _require_key(session: Session, provider: str) -> None:
    """No keyless submit leaves any front end: the gateway would answer 401 at best."""
    if session.settings.key_for(provider) is not None:
        return
    gateway = GATEWAYS[provider]
    raise UsageError(
        f"no API key for {gateway.label} ({gateway.key_env} is not set): nothing was sent",
        hint=f'Set {gateway.key_env} (in an MCP host\'s config: its "env" block), or run '
        "`vtrix auth login` once.",
    )


def _submit_failed(session: Session, key: str, exc: BaseException) -> Plan[None]:
    """Record how a submit that raised ended (unknown, or rejected); Ctrl-C becomes
    Interrupted with the key to look the task up by."""
    ledger = session.ledger
    if isinstance(exc, NotStarted):  # cancelled before its request started
        if ledger is not None:
            note = "interrupted before the submit was sent; nothing was sent"
            yield Call(lambda: ledger.outcome(key, NOT_SENT, note))
        import asyncio  # only the async driver raises NotStarted

        raise asyncio.CancelledError() from None
    if ledger is not None:
        message = getattr(exc, "message", "") or str(exc)
        if is_interrupt(exc):
            message = "interrupted while the submit was in flight"
        if is_interrupt(exc) or isinstance(exc, SubmitOutcomeUnknown):
            yield Call(lambda: ledger.outcome(key, UNKNOWN_SUBMIT, message))
        elif isinstance(exc, VtrixError):
            yield Call(lambda: ledger.outcome(key, REJECTED, message))
    if isinstance(exc, KeyboardInterrupt):
        raise Interrupted(
            "Interrupted while the submit was being sent: the gateway may have created the task.",
            hint=unknown_outcome_hint(key),
            idempotency_key=key,
        ) from None


def _held(known: Entry, key: str) -> UsageError:
    """Why a key the ledger holds without a task is not sent now."""
    if known.shown_state == UNKNOWN_SUBMIT:
        return UsageError(
            f"a submit with idempotency key {key} was sent before and its outcome is "
            "unknown: the gateway may have created (and charged) that task. Neither "
            "gateway promises to honour the key, so sending it again may charge twice; "
            "nothing was sent",
            hint="Check the gateway's console or `vtrix task list` first; to send it "
            "again anyway, add --resend-unknown.",
            idempotency_key=key,
        )
    return SubmitInProgress(
        f"another vtrix process is sending this submit (idempotency key {key}) right "
        "now; nothing was sent",
        hint="See it with `vtrix task list`.",
        idempotency_key=key,
    )


def _despite_interrupts(steps: list[Call], task_id: str) -> Plan[None]:
    """Carry out ``steps`` (recording and showing a paid task's id) even if interrupted
    meanwhile; then raise the interruption."""
    pending: BaseException | None = None
    for step in steps:
        while True:
            try:
                yield step
                break
            except BaseException as exc:
                if not is_interrupt(exc):
                    raise
                pending = pending or exc
    if isinstance(pending, KeyboardInterrupt):
        raise Interrupted(
            f"Interrupted after task {task_id} was created; it keeps running.",
            hint=resume_hint(task_id),
            task_id=task_id,
        )
    if pending is not None:
        raise pending


def wait_flow(
    session: Session,
    state: TaskState,
    endpoint: str,
    *,
    timeout: float,
    on_progress: ProgressCallback | None = None,
    poll_interval: float | None = None,
) -> Plan[TaskState]:
    """Poll a task to its end; the ledger gets the final state (or the last one seen)."""
    model, created = state.model, state.created_at
    last = [state]

    def progress(seen: TaskState, left: float | None) -> None:
        seen.model = model or seen.model
        seen.created_at = seen.created_at or created
        last[0] = seen
        if on_progress is not None:
            on_progress(seen, left)

    prov = session.provider(state.provider)
    plan = PollPlan(first=poll_interval) if poll_interval else PollPlan()
    ledger = session.ledger
    if ledger is not None and state.model:
        history = yield Call(lambda: ledger.timing(state.model, state.provider, state.id))
        if history is not None:
            plan.expected, plan.age = history
    try:
        final = yield from wait_plan(
            prov,
            state.id,
            endpoint=endpoint,
            timeout=timeout,
            on_progress=progress,
            plan=plan,
            initial=state,
        )
    except BaseException as exc:
        seen = last[0]
        yield Call(lambda: session.record(seen, endpoint))
        if isinstance(exc, KeyboardInterrupt):
            raise Interrupted(
                f"Interrupted while waiting for task {state.id}; the task was not cancelled "
                "and keeps running.",
                hint=resume_hint(state.id),
                task_id=state.id,
            ) from None
        raise
    final.model = model or final.model
    final.created_at = final.created_at or created
    yield Call(lambda: session.record(final, endpoint))
    return final


def lookup_flow(
    session: Session, task_id: str, provider: str | None, deadline: float | None = None
) -> Plan[Found]:
    """The task's state, its poll endpoint, and — when the ledger knows them — its submit's
    idempotency key and sender. Its gateway: ``provider``, else the ledger, else the id's
    shape, else each gateway a key is set for, asked in turn."""
    ledger = session.ledger
    entry = (yield Call(lambda: ledger.by_task(task_id, provider))) if ledger else None
    created = (entry.task_created_at or entry.created_at) if entry is not None else None
    if entry is not None:
        candidates = [(entry.provider, entry.endpoint, entry.model)]
    elif provider:
        candidates = [(provider, "", "")]
    else:
        candidates = [(p, "", "") for p in _keyed_gateways(session, task_id)]
    last: NotFound | None = None
    for name, endpoint, model in candidates:
        try:
            state = yield from session.provider(name).task_plan(task_id, endpoint, deadline)
        except NotFound as exc:
            last = exc
            continue
        state.model = model or canonical(state.model)
        state.created_at = state.created_at or created
        yield Call(partial(session.record, state, endpoint))
        if entry is None:
            return Found(state, endpoint)
        return Found(state, endpoint, entry.idempotency_key, entry.submitter)
    assert last is not None
    if len(candidates) > 1:
        raise NotFound(
            f"no gateway knows task {task_id!r} (asked {', '.join(c[0] for c in candidates)})",
            status=404,
            hint="Check the id with `vtrix task list`.",
        )
    raise last


def _keyed_gateways(session: Session, task_id: str) -> list[str]:
    guess = provider_for_task(task_id)
    order = sorted(PROVIDERS, key=lambda p: p != guess)
    keyed = [
        p
        for p in order
        if session.settings.key_for(p) is not None and not GATEWAYS[p].id_needs_endpoint
    ]
    if not keyed:
        envs = " or ".join(GATEWAYS[p].key_env for p in order)
        raise UsageError(
            f"no API key is set, so no gateway can be asked about {task_id!r}; nothing was sent",
            hint=f"Set {envs}, or run `vtrix auth login`.",
        )
    return keyed
