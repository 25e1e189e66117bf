"""The model registry: the generated index and specs, and live specs cached on disk.

Everything here reads data files that codegen writes into ``vtrix/models/``, by path: nothing
here imports the generated package (which sits above the engine), click or pydantic.

* ``_index.tsv``: every known model, one row a line, sorted by id: id, module (empty for a
  catalog entry without a spec), provider, type (modality), name, summary, task; the header
  line holds the counts. The file is memory-mapped and binary-searched: a lookup or a
  completion touches a few pages however large the catalog.
* ``_specs/<module>.json``: one model's normalised spec.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from vtrix.base.constants import CACHE_TTL
from vtrix.base.gateways import provider_for_id

if TYPE_CHECKING:
    from vtrix.spec.normalise import ModelSpec
    from vtrix.wire.base import Provider


class IndexEntry:
    """One row of the index. (A plain class: start-up, docs/architecture.md.)"""

    __slots__ = ("id", "module", "name", "provider", "summary", "task", "type")

    def __init__(
        self,
        id: str,
        module: str,  # "" for a catalog entry without a generated module
        provider: str,
        type: str,  # the output modality: image, video, audio, text
        name: str,
        summary: str,
        task: str = "",  # what the gateway's catalog calls the model's job ("text-to-image")
    ) -> None:
        self.id, self.module, self.provider, self.type = id, module, provider, type
        self.name, self.summary, self.task = name, summary, task

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IndexEntry) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__
        )

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return "IndexEntry(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__) + ")"


_DIR: str | None = None
_INDEX: _Index | None = None


def models_dir() -> str:
    """The directory of the generated package ``vtrix.models`` (found by path: importing
    the package from here would import upwards)."""
    global _DIR
    if _DIR is None:
        _DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "models")
    return _DIR


class _Index:
    """``_index.tsv`` mapped into memory and searched in place: the rows are sorted by id,
    so a lookup or a prefix is a binary search touching a few pages, whatever the size of
    the catalog. Only :meth:`rows` reads it all."""

    def __init__(self, path: str) -> None:
        import mmap

        self.data: bytes | mmap.mmap = b""
        try:
            with open(path, "rb") as fh:
                if os.fstat(fh.fileno()).st_size:
                    self.data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            pass
        nl = self.data.find(b"\n")
        self.header = bytes(self.data[: nl if nl >= 0 else len(self.data)]).decode("utf-8")
        self.body = nl + 1 if nl >= 0 else len(self.data)

    def _line(self, lo: int, pos: int) -> tuple[int, int]:
        """(start, end) of the line holding ``pos`` (``lo``: a line start at or before it)."""
        start = self.data.rfind(b"\n", lo, pos) + 1 or lo
        end = self.data.find(b"\n", start)
        return start, end if end >= 0 else len(self.data)

    def first_at_least(self, key: bytes) -> int:
        """The offset of the first row whose id is not below ``key``."""
        lo, hi = self.body, len(self.data)
        while lo < hi:
            start, end = self._line(lo, (lo + hi) // 2)
            tab = self.data.find(b"\t", start, end)
            if self.data[start : tab if tab >= 0 else end] < key:
                lo = end + 1
            else:
                hi = start
        return lo

    def rows_from(self, pos: int) -> Iterator[IndexEntry]:
        while pos < len(self.data):
            end = self.data.find(b"\n", pos)
            end = end if end >= 0 else len(self.data)
            entry = _entry(bytes(self.data[pos:end]).decode("utf-8"))
            if entry is not None:
                yield entry
            pos = end + 1

    def rows(self) -> Iterator[IndexEntry]:
        return self.rows_from(self.body)

    def counts(self) -> tuple[int, int] | None:
        """(generated, known) as the header states them."""
        words = dict(w.split("=", 1) for w in self.header.split() if "=" in w)
        try:
            return int(words["generated"]), int(words["known"])
        except (KeyError, ValueError):
            return None


def _index() -> _Index:
    global _INDEX
    if _INDEX is None:
        _INDEX = _Index(os.path.join(models_dir(), "_index.tsv"))
    return _INDEX


def _entry(line: str) -> IndexEntry | None:
    parts = line.split("\t")
    return IndexEntry(*parts) if len(parts) == 7 else None


def lookup(model_id: str) -> IndexEntry | None:
    """The index row of ``model_id``, or None."""
    if not model_id or "\t" in model_id or "\n" in model_id:
        return None
    index = _index()
    for entry in index.rows_from(index.first_at_least(model_id.encode("utf-8"))):
        return entry if entry.id == model_id else None
    return None


def entries() -> list[IndexEntry]:
    """Every row of the index, sorted by id."""
    return list(_index().rows())


def ids_with_prefix(prefix: str, *, generated_only: bool = False, limit: int = 0) -> list[str]:
    """Ids that start with ``prefix`` (for completion), sorted; at most ``limit`` (0: all)."""
    out = []
    for entry in entries_with_prefix(prefix):
        if entry.module or not generated_only:
            out.append(entry.id)
            if len(out) == limit:
                break
    return out


def entries_with_prefix(prefix: str) -> Iterator[IndexEntry]:
    """Rows whose id starts with ``prefix``, in order."""
    index = _index()
    for entry in index.rows_from(index.first_at_least(prefix.encode("utf-8"))):
        if not entry.id.startswith(prefix):
            return
        yield entry


def canonical(model_id: str) -> str:
    """The catalog id for ``model_id``: itself when the catalog has it, else the one catalog
    id whose last part it is (Modellix names ``bytedance/seedream-4.5-t2i`` by its last part,
    ``seedream-4.5-t2i``, in its answers), else ``model_id`` unchanged."""
    from vtrix.base.gateways import canonical_id

    model_id = canonical_id(model_id)  # "vtrix:x" is "x"; a fal id keeps its "fal:"
    if ":" in model_id:
        return model_id
    if not model_id or "/" in model_id or lookup(model_id) is not None:
        return model_id
    tail = "/" + model_id
    found = [e.id for e in _index().rows() if e.id.endswith(tail)]
    return found[0] if len(found) == 1 else model_id


def suggest(model_id: str, limit: int = 3) -> list[str]:
    """Known ids close to ``model_id`` (a typo, a missing vendor prefix): for error messages,
    so reading the whole index is fine here."""
    import difflib

    ids = [e.id for e in _index().rows()]
    tail = model_id.rsplit("/", 1)[-1]
    exact_tail = [i for i in ids if i.rsplit("/", 1)[-1] == tail and i != model_id]
    close = difflib.get_close_matches(model_id, ids, n=limit, cutoff=0.75)
    found = list(dict.fromkeys(exact_tail + close))[:limit]
    from vtrix.base.gateways import GATEWAYS, split_id

    if split_id(model_id)[0] is None and "/" in model_id:  # an endpoint of a prefixed gateway?
        found += [f"{g.name}:{model_id}" for g in GATEWAYS.values() if g.prefixed_ids]
    return found


def count() -> tuple[int, int]:
    """(models with a generated module, all known models), from the index header."""
    counted = _index().counts()
    if counted is not None:
        return counted
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


def cache_file(provider: str, model_id: str) -> str:
    """Where the live spec of ``model_id`` is cached."""
    from vtrix.base.dirs import cache_dir

    return str(cache_dir() / "specs" / provider / (model_id.replace("/", "__") + ".json"))


def cached_spec(provider: str, model_id: str) -> ModelSpec | None:
    """The live spec cached on disk within the last day, or None (no network)."""
    import json

    from vtrix.spec.normalise import ModelSpec

    path = cache_file(provider, model_id)
    try:
        if time.time() - os.path.getmtime(path) < CACHE_TTL:
            with open(path, encoding="utf-8") as fh:
                return ModelSpec.from_dict(json.load(fh))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def store_spec(spec: ModelSpec) -> None:
    """Keep a live spec in the cache (best effort: a cache is never a reason to fail)."""
    import json

    try:
        from vtrix.base.atomic import write_text_atomic

        write_text_atomic(cache_file(spec.provider, spec.id), json.dumps(spec.to_dict()))
    except OSError:
        pass


def cached_live_spec(provider: Provider, model_id: str, *, refresh: bool = False) -> ModelSpec:
    """A live spec, fetched from the provider and cached on disk for a day."""
    cached = None if refresh else cached_spec(provider.name, model_id)
    if cached is not None:
        return cached
    spec = provider.spec(model_id)
    store_spec(spec)
    return spec
