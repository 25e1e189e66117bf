"""The committed spec snapshot (``specs/``): each gateway's own wire format, one file a model.

Layout::

    specs/vtrix.catalog.json          {"models": [...]}  the vtrix catalog, all pages
    specs/modellix.catalog.json       {"models": [...]}  the Modellix catalog
    specs/vtrix/<id>.json             data of GET /api/v1/skill/models/<id>/spec
    specs/modellix/<vendor>/<m>.json  the api_schema path object of <vendor>/<m>
    specs/provenance.json             where each hand-seeded fact came from (not on the wire)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vtrix.base.record import field, record
from vtrix.spec.clean import SpecError


@record
class Snapshot:
    """The raw snapshot, as the gateways serve it."""

    vtrix_catalog: list[dict[str, Any]] = field(default_factory=list)
    modellix_catalog: list[dict[str, Any]] = field(default_factory=list)
    vtrix_specs: dict[str, dict[str, Any]] = field(default_factory=dict)
    modellix_specs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def modellix_entry(self, slug: str) -> dict[str, Any] | None:
        return next((m for m in self.modellix_catalog if m.get("slug") == slug), None)

    def vtrix_entry(self, model_id: str) -> dict[str, Any] | None:
        return next((m for m in self.vtrix_catalog if m.get("id") == model_id), None)


def dumps(obj: Any) -> str:
    """Canonical JSON for the snapshot: sorted keys, 2-space indent, newline at the end."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SpecError(
            str(path), f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}"
        ) from None


def load_snapshot(root: Path, *, catalogs_only: bool = False) -> Snapshot:
    """Read ``specs/`` (files in sorted order, so the result never depends on the file system);
    with ``catalogs_only``, the two catalogs and no spec."""
    snap = Snapshot()
    for provider in ("vtrix", "modellix"):
        catalog = root / f"{provider}.catalog.json"
        if catalog.exists():
            data = _read(catalog)
            if not isinstance(data, dict) or not isinstance(data.get("models"), list):
                raise SpecError(str(catalog), "$.models", 'expected {"models": [...]}')
            setattr(snap, f"{provider}_catalog", data["models"])
    if catalogs_only:
        return snap
    vdir = root / "vtrix"
    if vdir.is_dir():
        for path in sorted(vdir.glob("*.json")):
            snap.vtrix_specs[path.stem] = _read(path)
    mdir = root / "modellix"
    if mdir.is_dir():
        for path in sorted(mdir.glob("*/*.json")):
            snap.modellix_specs[f"{path.parent.name}/{path.stem}"] = _read(path)
    return snap


def spec_files(root: Path) -> list[tuple[str, str, Path]]:
    """(provider, id, path) of every spec file under ``root``, sorted by gateway (the table's
    order) and id. Each gateway's folder is laid out as its row says: vtrix's one file per id,
    Modellix's ``vendor/model.json``, fal's ``fal-ai__flux__dev.json`` (a "/" written "__")
    for the prefixed id ``fal:fal-ai/flux/dev``."""
    from vtrix.base.gateways import GATEWAYS

    out = []
    for order, g in enumerate(GATEWAYS.values()):
        folder = root / g.name
        for path in sorted(folder.glob("/".join(["*"] * g.spec_depth) + ".json")):
            rel = path.relative_to(folder).with_suffix("").as_posix()
            model_id = f"{g.name}:{rel.replace('__', '/')}" if g.prefixed_ids else rel
            out.append((order, g.name, model_id, path))
    return [(name, model_id, path) for _, name, model_id, path in sorted(out)]


def read_json(path: Path) -> Any:
    return _read(path)
