"""The model registry: the generated index and specs, and live specs cached on disk.

Everything here reads data files that codegen writes into ``vtrix/models/``; nothing imports
click or pydantic except :func:`params_model`, which loads a model's typed module.

* ``_index.tsv``: every known model, one row a line, sorted by id: id, module (empty for a
  catalog entry without a spec), provider, type (modality), name, summary, task. A lookup
  reads the file and finds one line; nothing is parsed that is not asked for.
* ``_specs/<module>.json``: one model's normalised spec.
"""

from __future__ import annotations

import importlib
import os
from typing import TYPE_CHECKING, NamedTuple

from vtrix.gateways import provider_for_id

if TYPE_CHECKING:
    from pydantic import BaseModel

    from vtrix.providers.base import Provider
    from vtrix.spec.normalise import ModelSpec

CACHE_TTL = 24 * 3600


class IndexEntry(NamedTuple):
    id: str
    module: str  # "" for a catalog entry without a generated module
    provider: str
    type: str  # the output modality: image, video, audio, text
    name: str
    summary: str
    task: str = ""  # what the gateway's catalog calls the model's job ("text-to-image")


_DIR: str | None = None
_TEXT: str | None = None


def models_dir() -> str:
    """The directory of the generated package ``vtrix.models``."""
    global _DIR
    if _DIR is None:
        import vtrix.models

        _DIR = str(next(iter(vtrix.models.__path__)))
    return _DIR


def _index_text() -> str:
    global _TEXT
    if _TEXT is None:
        try:
            with open(os.path.join(models_dir(), "_index.tsv"), encoding="utf-8") as fh:
                _TEXT = fh.read()
        except OSError:
            _TEXT = ""
    return _TEXT


def _entry(line: str) -> IndexEntry | None:
    parts = line.split("\t")
    return IndexEntry(*parts) if len(parts) == 7 else None


def lookup(model_id: str) -> IndexEntry | None:
    """The index row of ``model_id``, or None."""
    if not model_id or "\t" in model_id or "\n" in model_id:
        return None
    text = _index_text()
    start = text.find(f"\n{model_id}\t")
    if start < 0:
        return None
    end = text.find("\n", start + 1)
    return _entry(text[start + 1 : end if end >= 0 else len(text)])


def entries() -> list[IndexEntry]:
    """Every row of the index, sorted by id."""
    out = []
    for line in _index_text().splitlines()[1:]:
        entry = _entry(line)
        if entry is not None:
            out.append(entry)
    return out


def ids_with_prefix(prefix: str, *, generated_only: bool = False) -> list[str]:
    """Ids that start with ``prefix`` (for completion), sorted."""
    text = _index_text()
    out = []
    pos = text.find(f"\n{prefix}")
    while pos >= 0:
        end = text.find("\n", pos + 1)
        entry = _entry(text[pos + 1 : end if end >= 0 else len(text)])
        if entry is None or not entry.id.startswith(prefix):
            break
        if entry.module or not generated_only:
            out.append(entry.id)
        pos = end
    return out


def count() -> tuple[int, int]:
    """(models with a generated module, all known models)."""
    rows = entries()
    return sum(1 for e in rows if e.module), len(rows)


def provider_of(model_id: str) -> str:
    entry = lookup(model_id)
    return entry.provider if entry else provider_for_id(model_id)


def generated_spec_data(model_id: str) -> dict[str, object] | None:
    """The generated spec of ``model_id`` as plain data (no ModelSpec import), or None."""
    entry = lookup(model_id)
    if entry is None or not entry.module:
        return None
    import json

    path = os.path.join(models_dir(), "_specs", f"{entry.module}.json")
    try:
        with open(path, encoding="utf-8") as fh:
            data: dict[str, object] = json.load(fh)
    except (OSError, ValueError):
        return None
    return data


def generated_spec(model_id: str) -> ModelSpec | None:
    data = generated_spec_data(model_id)
    if data is None:
        return None
    from vtrix.spec.normalise import ModelSpec

    return ModelSpec.from_dict(data)


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
    import time

    from vtrix.spec.normalise import ModelSpec

    path = _cache_file(provider.name, model_id)
    if not refresh:
        try:
            if time.time() - os.path.getmtime(path) < CACHE_TTL:
                with open(path, encoding="utf-8") as fh:
                    return ModelSpec.from_dict(json.load(fh))
        except (OSError, ValueError, KeyError, TypeError):
            pass
    spec = provider.spec(model_id)
    try:
        from vtrix.files import write_text_atomic

        write_text_atomic(path, json.dumps(spec.to_dict()))
    except OSError:
        pass
    return spec
