"""Provider adapters: the only code that knows a gateway's wire format."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vtrix.gateways import MODELLIX, VTRIX

if TYPE_CHECKING:
    from vtrix.config import Settings
    from vtrix.providers.base import Provider


def make_provider(name: str, settings: Settings) -> Provider:
    """Build the adapter for ``name`` from resolved settings."""
    if name == MODELLIX.name:
        from vtrix.providers.modellix import ModellixProvider

        return ModellixProvider(settings)
    if name == VTRIX.name:
        from vtrix.providers.vtrix import VtrixProvider

        return VtrixProvider(settings)
    raise ValueError(f"unknown provider {name!r}")
