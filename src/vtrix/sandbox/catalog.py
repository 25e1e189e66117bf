"""The snapshot the sandbox serves: raw specs for the spec routes, normalised ones to check
submits against. By default the snapshot packaged with vtrix (``vtrix/models/_snapshot.json``,
written by codegen); ``--specs DIR`` serves a ``specs/`` directory instead.

The sandbox serves exactly the snapshot it was given: both catalogs whole, each spec the
snapshot holds byte for byte as committed (documented endpoints included; ``--rewrite-
endpoints`` points vtrix endpoints at the sandbox for clients that submit to the host a spec
names), and 404 for a catalog model whose spec the snapshot does not hold — so `codegen
fetch` from a sandbox leaves specs/ as it is. Submits to such a model (either gateway) take
any JSON object, as a model without a published spec does — so the README's `model
invoke` examples work as written.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from vtrix.spec.normalise import ModelSpec, modality_of
from vtrix.spec.snapshot import Snapshot, load_snapshot
from vtrix.wire.modellix.dialect import normalise_modellix
from vtrix.wire.vtrix.dialect import normalise_vtrix


class Catalog:
    def __init__(
        self,
        snap: Snapshot,
        fal_docs: dict[str, dict[str, Any]] | None = None,
        replicate_models: dict[str, dict[str, Any]] | None = None,
        wavespeed_rows: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        self.snap = snap
        # fal: OpenAPI documents as fal serves them, by endpoint id (``fal-ai/flux/dev``).
        self.fal_docs = dict(fal_docs or {})
        # Replicate: model objects as GET /v1/models/<owner>/<name> serves them, by owner/name.
        self.replicate_models = dict(replicate_models or {})
        # WaveSpeed: catalog rows as GET /api/v3/models serves them, by model_id.
        self.wavespeed_rows = dict(wavespeed_rows or {})
        self.loaded_at = int(time.time())  # the specs' Last-Modified
        self.normalised: dict[str, ModelSpec] = {}
        for mid, raw in snap.vtrix_specs.items():
            self.normalised[mid] = normalise_vtrix(raw, source=f"vtrix/{mid}")
        for slug, raw in snap.modellix_specs.items():
            self.normalised[slug] = normalise_modellix(slug, raw, snap.modellix_entry(slug))
        self.vtrix_models = list(snap.vtrix_catalog)
        self.modellix_models = list(snap.modellix_catalog)
        self.modellix_specs = dict(snap.modellix_specs)
        # Catalog models without a spec: their kind, for submits that take any object.
        self.unspecified: dict[str, str] = {}
        for entry in snap.vtrix_catalog:
            mid = str(entry.get("id"))
            if mid not in self.normalised:
                self.unspecified[mid] = modality_of(str(entry.get("type") or "image"))
        for entry in snap.modellix_catalog:
            slug = str(entry.get("slug"))
            if slug not in self.normalised:
                self.unspecified[slug] = modality_of(str(entry.get("type") or "image"))
        from vtrix.wire import adapters
        from vtrix.wire.fal.dialect import normalise_fal

        for endpoint, doc in self.fal_docs.items():
            self.normalised[f"fal:{endpoint}"] = normalise_fal(doc, source=f"fal/{endpoint}")
        from vtrix.spec.clean import SpecError

        for gateway, found in (
            ("replicate", self.replicate_models),
            ("wavespeed", self.wavespeed_rows),
        ):
            for name, raw in list(found.items()):
                try:  # one that cannot be used is not served (as its gateway would refuse it)
                    spec = adapters.normalise(gateway, name, raw, None, f"{gateway}/{name}")
                except SpecError:
                    del found[name]
                    continue
                self.normalised[spec.id] = spec
        self.drifted: dict[str, dict[str, Any]] = {}
        self.drifted_normalised: dict[str, ModelSpec] = {}
        base = snap.vtrix_specs.get(DRIFT_MODEL)
        if base is not None:
            self.drifted[DRIFT_MODEL] = drifted_spec(base)
            self.drifted_normalised[DRIFT_MODEL] = normalise_vtrix(
                self.drifted[DRIFT_MODEL], source=f"vtrix/{DRIFT_MODEL} (live)"
            )

    def vtrix_spec(self, model_id: str, *, dialect: str, drift: bool) -> dict[str, Any] | None:
        """A vtrix spec as served in the given modes (None: the snapshot has none)."""
        raw = self.drifted.get(model_id) if drift else None
        raw = raw or self.snap.vtrix_specs.get(model_id)
        if raw is None:
            return None
        return official_dialect(raw) if dialect == "official" else raw

    def spec_for_checks(self, model: str, *, drift: bool) -> ModelSpec | None:
        """The normalised spec submits of ``model`` are checked against."""
        return (self.drifted_normalised.get(model) if drift else None) or self.normalised.get(model)

    def kind(self, model: str) -> str | None:
        """The result kind of a model the sandbox serves (None: not in its catalogs)."""
        spec = self.normalised.get(model)
        if spec is not None:
            return spec.type if spec.type in ("image", "video", "audio") else "image"
        kind = self.unspecified.get(model)
        if kind is None:
            return None
        return kind if kind in ("image", "video", "audio") else "image"


# The model whose live spec can drift from the snapshot (--spec-drift): the README's
# kirin_v3_i2v takes image_url, while the official skill files list image, image_tail ….
DRIFT_MODEL = "kirin_v3_i2v"


def drifted_spec(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` with the parameters the live gateway has per the official skill files."""
    params = [
        {
            "name": "image",
            "path": "image",
            "type": "string",
            "required": True,
            "description": "Input image URL (the first frame)",
        },
        {
            "name": "image_tail",
            "path": "image_tail",
            "type": "string",
            "required": False,
            "description": "Image URL of the last frame",
        },
    ]
    kept = [p for p in raw.get("parameters", []) if p.get("name") != "image_url"]
    return {**raw, "parameters": params + kept}


def official_dialect(raw: dict[str, Any]) -> dict[str, Any]:
    """``raw`` as the official client's types allow specs to be: enum values and defaults
    as strings on numeric parameters, ``array[X]`` type words, ``min``/``max`` on strings,
    constraint keys vtrix does not know."""
    import copy

    from vtrix.spec.kinds import KINDS

    out = copy.deepcopy(raw)

    def loosen(param: dict[str, Any]) -> None:
        kind = param.get("type")
        c = param.setdefault("constraints", {})
        if kind in KINDS and KINDS[kind].scalar:
            if "enum" in c:
                c["enum"] = [json.dumps(v) for v in c["enum"]]
            if "default" in c:
                c["default"] = json.dumps(c["default"])
            c["step"] = 1
        elif kind == "string":
            c.setdefault("max", 4000)
            c["ui_widget"] = "textarea"
        elif kind == "array":
            param["type"] = "array[object]" if param.get("children") else "array[string]"
        for child in param.get("children") or []:
            loosen(child)

    for param in out.get("parameters", []):
        loosen(param)
    return out


def packaged_snapshot() -> Snapshot:
    """The snapshot this vtrix was built from, as packaged."""
    from vtrix.engine import registry

    path = os.path.join(registry.models_dir(), "_snapshot.json")
    with open(path, encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return Snapshot(
        vtrix_catalog=data["vtrix_catalog"],
        modellix_catalog=data["modellix_catalog"],
        vtrix_specs=data["vtrix_specs"],
        modellix_specs=data["modellix_specs"],
    )


def load_catalog(specs_dir: str | None) -> Catalog:
    """``specs_dir`` (or ``VTRIX_SANDBOX_SPECS``) when given, else the packaged snapshot. A
    directory with only ``fal/``, ``replicate/`` or ``wavespeed/`` folders serves the
    packaged vtrix and Modellix snapshot beside them."""
    from vtrix.base.constants import env

    chosen = specs_dir or env("VTRIX_SANDBOX_SPECS")
    if not chosen:
        return Catalog(packaged_snapshot())
    root = Path(chosen)
    fal = fal_documents(root / "fal")
    others = replicate_models(root / "replicate"), wavespeed_rows(root / "wavespeed")
    if not any((root / f"{p}.catalog.json").is_file() for p in ("vtrix", "modellix")):
        if fal or any(others):
            return Catalog(packaged_snapshot(), fal, *others)
        from vtrix.errors import UsageError

        raise UsageError(
            f"{root} holds no spec snapshot (no vtrix.catalog.json, modellix.catalog.json, "
            "or fal/, replicate/ or wavespeed/ folder)",
            hint="Point --specs at a specs/ directory, or leave it out to serve the built-in one.",
        )
    return Catalog(load_snapshot(root), fal, *others)


def fal_documents(folder: Path) -> dict[str, dict[str, Any]]:
    """Every fal OpenAPI document under ``folder`` (any layout of ``.json`` files), by the
    endpoint id each names in ``info.x-fal-metadata.endpointId``; other JSON files (a
    catalog dump) are passed over."""
    from vtrix.spec.clean import SpecError
    from vtrix.wire.fal.dialect import endpoint_of

    docs: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.rglob("*.json")) if folder.is_dir() else []:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            docs[endpoint_of(doc, str(path))] = doc
        except (OSError, ValueError, SpecError):
            continue
    return docs


def _json_files(folder: Path) -> list[tuple[Path, Any]]:
    out = []
    for path in sorted(folder.rglob("*.json")) if folder.is_dir() else []:
        try:
            out.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    return out


def replicate_models(folder: Path) -> dict[str, dict[str, Any]]:
    """Every Replicate model object under ``folder`` (any layout of ``.json`` files), by
    ``owner/name``; other JSON files are passed over (the catalog reads each model once)."""
    return {
        f"{model['owner']}/{model['name']}": model
        for _, model in _json_files(folder)
        if isinstance(model, dict)
        and isinstance(model.get("owner"), str)
        and isinstance(model.get("name"), str)
    }


def wavespeed_rows(folder: Path) -> dict[str, dict[str, Any]]:
    """Every WaveSpeed catalog row under ``folder``: files holding a JSON array of rows, or
    the enveloped answer (``{"code": 200, "data": [...]}``), by ``model_id``; a row that
    is not one is passed over (the catalog reads each model once)."""
    rows: dict[str, dict[str, Any]] = {}
    for _, data in _json_files(folder):
        data = data.get("data") if isinstance(data, dict) else data
        for row in data if isinstance(data, list) else []:
            if isinstance(row, dict) and isinstance(row.get("model_id"), str):
                rows[row["model_id"]] = row
    return rows
