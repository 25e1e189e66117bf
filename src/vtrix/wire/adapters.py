"""The gateways' folders, found by name: each ``vtrix.wire.<gateway>`` package holds an
``adapter`` module (its ``Adapter``: the only code that knows that gateway's wire format) and
a ``dialect`` module (``normalise``: its specs read into the one form). Nothing here names a
gateway: adding one is its folder and its row of the gateway table."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from vtrix.base.gateways import GATEWAYS

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from vtrix.http import Http, Transport
    from vtrix.spec.normalise import ModelSpec
    from vtrix.spec.snapshot import Snapshot
    from vtrix.store.config import Settings
    from vtrix.wire.base import Provider


def _folder(name: str, part: str) -> Any:
    if name not in GATEWAYS:
        raise ValueError(f"unknown provider {name!r}")
    return import_module(f"vtrix.wire.{name}.{part}")


def make_provider(
    name: str,
    settings: Settings,
    transport: Transport | None = None,
    on_http: Callable[[Http], None] | None = None,
) -> Provider:
    """Build the adapter for ``name`` from resolved settings (``on_http``: called with its
    HTTP client when a first request makes one)."""
    adapter: Provider = _folder(name, "adapter").Adapter(settings, transport, on_http=on_http)
    return adapter


def normalise(
    provider: str, model_id: str, raw: Any, entry: dict[str, Any] | None, source: str
) -> ModelSpec:
    """One spec as ``provider`` serves it, in the one form (its catalog entry, where given,
    fills name, type and summary)."""
    spec: ModelSpec = _folder(provider, "dialect").normalise(model_id, raw, entry, source)
    return spec


def normalise_snapshot(snap: Snapshot, root: Path | None = None) -> list[ModelSpec]:
    """Every spec of a snapshot in the one form, sorted by (provider, id)."""
    out: list[ModelSpec] = []
    for model_id, raw in sorted(snap.vtrix_specs.items()):
        src = str(root / "vtrix" / f"{model_id}.json") if root else f"vtrix/{model_id}"
        out.append(normalise("vtrix", model_id, raw, snap.vtrix_entry(model_id), src))
    for slug, raw in sorted(snap.modellix_specs.items()):
        src = str(root / "modellix" / f"{slug}.json") if root else f"modellix/{slug}"
        out.append(normalise("modellix", slug, raw, snap.modellix_entry(slug), src))
    return out
