"""What the generated typed functions (``vtrix.models.<model>``) call. Hand-written; the
generator never touches it. Everything goes through :class:`vtrix.Client`, the one route to
a request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtrix.aio import AsyncClient
    from vtrix.client import Client


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


def wire(values: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The given keyword arguments by wire name; arguments left at None are not sent."""
    return {names[k]: v for k, v in values.items() if k in names and v is not None}
