"""Provider adapters: the only code that knows a gateway's wire format."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vtrix.config import Settings
    from vtrix.providers.base import Provider

PROVIDER_NAMES = ("vtrix", "modellix")


def provider_for_id(model_id: str) -> str:
    """The provider a model id belongs to when no index says: slugs are Modellix's."""
    return "modellix" if "/" in model_id else "vtrix"


def make_provider(name: str, settings: Settings, *, debug: bool = False) -> Provider:
    """Build the adapter for ``name`` from resolved settings."""
    if name == "modellix":
        from vtrix.providers.modellix import ModellixProvider

        return ModellixProvider(settings, debug=debug)
    if name == "vtrix":
        from vtrix.providers.vtrix import VtrixProvider

        return VtrixProvider(settings, debug=debug)
    raise ValueError(f"unknown provider {name!r}")
