"""What the generated typed functions (``vtrix.models.<model>``) call. Hand-written; the
generator never touches it. Everything goes through :class:`vtrix.Client`, the one route to
a request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtrix.client import Client


def client(given: Client | None) -> Client:
    """The client a typed function uses: the one given, else a new default one."""
    if given is not None:
        return given
    from vtrix.client import Client

    return Client()


def wire(values: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The given keyword arguments by wire name; arguments left at None are not sent."""
    return {names[k]: v for k, v in values.items() if k in names and v is not None}
