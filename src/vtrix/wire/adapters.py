"""Provider adapters: the only code that knows a gateway's wire format, one module each
(``vtrix.wire.vtrix``, ``vtrix.wire.modellix``, ``vtrix.wire.fal``), loaded when first used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vtrix.base.gateways import FAL, MODELLIX, VTRIX

if TYPE_CHECKING:
    from collections.abc import Callable

    from vtrix.http import Http, Transport
    from vtrix.store.config import Settings
    from vtrix.wire.base import Provider


def make_provider(
    name: str,
    settings: Settings,
    transport: Transport | None = None,
    on_http: Callable[[Http], None] | None = None,
) -> Provider:
    """Build the adapter for ``name`` from resolved settings (``on_http``: called with its
    HTTP client when a first request makes one)."""
    if name == MODELLIX.name:
        from vtrix.wire.modellix import ModellixProvider

        return ModellixProvider(settings, transport, on_http=on_http)
    if name == VTRIX.name:
        from vtrix.wire.vtrix import VtrixProvider

        return VtrixProvider(settings, transport, on_http=on_http)
    if name == FAL.name:
        from vtrix.wire.fal import FalProvider

        return FalProvider(settings, transport, on_http=on_http)
    raise ValueError(f"unknown provider {name!r}")
