"""What the generated typed functions (``vtrix.models.<model>``) call. Hand-written; the
generator never touches it. Each function passes its own generated ``Params`` class down,
so the engine never imports the generated package; everything goes through the one route to
a request (:mod:`vtrix.engine.prepare`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

    from vtrix.aio import AsyncClient, AsyncTask
    from vtrix.client import Client, Task
    from vtrix.task import Result


def client(given: Client | None) -> Client:
    """The client a typed function uses: the one given, else a new default one."""
    if given is not None:
        return given
    from vtrix.client import Client

    return Client()


_DEFAULT_ASYNC: dict[int, AsyncClient] = {}


def aclient(given: AsyncClient | None) -> AsyncClient:
    """The async client a typed ``a…`` function uses: the one given, else one default client
    per event loop (so the worker threads and connections are shared)."""
    if given is not None:
        return given
    import asyncio

    from vtrix.aio import AsyncClient

    loop = asyncio.get_running_loop()
    found = _DEFAULT_ASYNC.get(id(loop))
    if found is None or getattr(found, "_loop", None) is not loop:
        found = AsyncClient()
        found._loop = loop  # type: ignore[attr-defined]
        _DEFAULT_ASYNC[id(loop)] = found
    return found


def wire(
    values: Mapping[str, Any], params_model: type[BaseModel], renamed: Mapping[str, str]
) -> dict[str, Any]:
    """The given keyword arguments that are ``params_model``'s fields, by wire name (the
    Python name unless ``renamed`` says); arguments left at None are not sent."""
    fields = params_model.model_fields
    return {renamed.get(k, k): v for k, v in values.items() if k in fields and v is not None}


def submit(
    given: Client | None,
    model_id: str,
    params: dict[str, Any],
    idempotency_key: str | None,
) -> Task:
    """Validate (the body against the spec, as any is; the ``Params`` objects in it were
    checked when made) and submit."""
    c = client(given)
    prepared = c.prepare(model_id, params, resolved=c.resolve(model_id, live=True))
    return c.submit_prepared(prepared, idempotency_key=idempotency_key)


def run(
    given: Client | None,
    model_id: str,
    params: dict[str, Any],
    idempotency_key: str | None,
    timeout: float,
) -> Result:
    """Validate, submit and wait."""
    return submit(given, model_id, params, idempotency_key).wait(timeout=timeout)


async def asubmit(
    given: AsyncClient | None,
    model_id: str,
    params: dict[str, Any],
    idempotency_key: str | None,
) -> AsyncTask:
    """:func:`submit` on the event loop."""
    c = aclient(given)
    resolved = await c.resolve(model_id, live=True)
    prepared = await c.prepare(model_id, params, resolved=resolved)
    return await c.submit_prepared(prepared, idempotency_key=idempotency_key)


async def arun(
    given: AsyncClient | None,
    model_id: str,
    params: dict[str, Any],
    idempotency_key: str | None,
    timeout: float,
) -> Result:
    """:func:`run` on the event loop."""
    task = await asubmit(given, model_id, params, idempotency_key)
    return await task.wait(timeout=timeout)
