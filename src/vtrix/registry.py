"""The model registry: the generated index, generated specs, and live specs cached on disk.

The index (``vtrix.models._index``) maps every known id to its generated module, provider,
type, name and summary without importing any model module; a model's command module
(``vtrix.models._cli.<module>``) holds its normalised spec and imports only click; its model
module (``vtrix.models.<module>``) holds the pydantic ``Params`` and the typed functions.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, NamedTuple

from vtrix.providers import provider_for_id

if TYPE_CHECKING:
    from pydantic import BaseModel

    from vtrix.providers.base import Provider
    from vtrix.spec.normalise import ModelSpec

CACHE_TTL = 24 * 3600


class IndexEntry(NamedTuple):
    id: str
    module: str  # "" for a catalog entry without a generated module
    provider: str
    type: str
    name: str
    summary: str


_INDEX: dict[str, IndexEntry] | None = None


def index() -> dict[str, IndexEntry]:
    """Every model the generated index knows, by id (empty if nothing is generated)."""
    global _INDEX
    if _INDEX is None:
        try:
            mod = importlib.import_module("vtrix.models._index")
            raw: dict[str, tuple[str, str, str, str, str]] = mod.MODELS
        except ImportError:
            raw = {}
        _INDEX = {k: IndexEntry(k, *v) for k, v in raw.items()}
    return _INDEX


def lookup(model_id: str) -> IndexEntry | None:
    return index().get(model_id)


def provider_of(model_id: str) -> str:
    entry = lookup(model_id)
    return entry.provider if entry else provider_for_id(model_id)


def command_module(entry: IndexEntry) -> Any:
    return importlib.import_module(f"vtrix.models._cli.{entry.module}")


def generated_spec(model_id: str) -> ModelSpec | None:
    entry = lookup(model_id)
    if entry is None or not entry.module:
        return None
    from vtrix.spec.normalise import ModelSpec

    return ModelSpec.from_dict(command_module(entry).SPEC)


def params_model(model_id: str) -> type[BaseModel] | None:
    """The generated pydantic ``Params`` for ``model_id``, if it was generated."""
    entry = lookup(model_id)
    if entry is None or not entry.module:
        return None
    model: type[BaseModel] = importlib.import_module(f"vtrix.models.{entry.module}").Params
    return model


def _cache_file(provider: str, model_id: str) -> str:

    from vtrix.config import cache_dir

    return str(cache_dir() / "specs" / provider / (model_id.replace("/", "__") + ".json"))


def cached_live_spec(provider: Provider, model_id: str, *, refresh: bool = False) -> ModelSpec:
    """A live spec, fetched from the provider and cached on disk for a day."""
    import json
    import os
    import time

    from vtrix.spec.normalise import ModelSpec

    path = _cache_file(provider.name, model_id)
    if not refresh:
        try:
            if time.time() - os.path.getmtime(path) < CACHE_TTL:
                with open(path, encoding="utf-8") as fh:
                    return ModelSpec.from_dict(json.load(fh))
        except (OSError, ValueError, KeyError):
            pass
    spec = provider.spec(model_id)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(spec.to_dict(), fh)
        os.replace(tmp, path)
    except OSError:
        pass
    return spec
