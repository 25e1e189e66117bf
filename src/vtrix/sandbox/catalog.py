"""The snapshot the sandbox serves: raw specs for the spec routes, normalised ones to check
submits against. By default the snapshot packaged with vtrix (``vtrix/models/_snapshot.json``,
written by codegen); ``--specs DIR`` serves a ``specs/`` directory instead."""

from __future__ import annotations

import json
import os
from pathlib import Path

from vtrix.spec.normalise import ModelSpec, normalise_modellix, normalise_vtrix
from vtrix.spec.snapshot import Snapshot, load_snapshot


class Catalog:
    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.normalised: dict[str, ModelSpec] = {}
        for mid, raw in snap.vtrix_specs.items():
            self.normalised[mid] = normalise_vtrix(raw, source=f"vtrix/{mid}")
        for slug, raw in snap.modellix_specs.items():
            self.normalised[slug] = normalise_modellix(slug, raw, snap.modellix_entry(slug))

    def kind(self, model: str) -> str | None:
        entry = self.snap.vtrix_entry(model) or self.snap.modellix_entry(model)
        if entry:
            return str(entry.get("type") or "image")
        spec = self.normalised.get(model)
        return spec.type if spec else None


def packaged_snapshot() -> Snapshot:
    """The snapshot this vtrix was built from, as packaged."""
    from vtrix import registry

    path = os.path.join(registry.models_dir(), "_snapshot.json")
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    return Snapshot(
        vtrix_catalog=data["vtrix_catalog"],
        modellix_catalog=data["modellix_catalog"],
        vtrix_specs=data["vtrix_specs"],
        modellix_specs=data["modellix_specs"],
    )


def load_catalog(specs_dir: str | None) -> Catalog:
    """``specs_dir`` (or ``VTRIX_SANDBOX_SPECS``) when given, else the packaged snapshot."""
    chosen = specs_dir or os.environ.get("VTRIX_SANDBOX_SPECS")
    if not chosen:
        return Catalog(packaged_snapshot())
    root = Path(chosen)
    if not any((root / f"{p}.catalog.json").is_file() for p in ("vtrix", "modellix")):
        from vtrix.errors import UsageError

        raise UsageError(
            f"{root} holds no spec snapshot (no vtrix.catalog.json or modellix.catalog.json)",
            hint="Point --specs at a specs/ directory, or leave it out to serve the built-in one.",
        )
    return Catalog(load_snapshot(root))
