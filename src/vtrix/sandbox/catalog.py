"""The snapshot the sandbox serves: raw specs for the spec routes, normalised ones to check
submits against. By default the snapshot packaged with vtrix (``vtrix/models/_snapshot.json``,
written by codegen); ``--specs DIR`` serves a ``specs/`` directory instead.

Catalog, spec and submit agree. vtrix: the catalog lists only the models whose spec the
snapshot holds, and only those take submits (a vtrix spec cannot say "parameters unknown").
Modellix: every catalog model is served; one whose parameters the snapshot does not know
gets an api_schema that says so (any JSON object), and its submits accept any object, as
its spec allows — so the seed page's `model invoke` examples work as written.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from vtrix.spec.normalise import ModelSpec, normalise_modellix, normalise_vtrix
from vtrix.spec.snapshot import Snapshot, load_snapshot


class Catalog:
    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.loaded_at = int(time.time())  # the specs' Last-Modified
        self.normalised: dict[str, ModelSpec] = {}
        for mid, raw in snap.vtrix_specs.items():
            self.normalised[mid] = normalise_vtrix(raw, source=f"vtrix/{mid}")
        for slug, raw in snap.modellix_specs.items():
            self.normalised[slug] = normalise_modellix(slug, raw, snap.modellix_entry(slug))
        self.vtrix_models = [m for m in snap.vtrix_catalog if m.get("id") in snap.vtrix_specs]
        self.modellix_models = list(snap.modellix_catalog)
        self.modellix_specs = dict(snap.modellix_specs)
        for entry in snap.modellix_catalog:
            slug = str(entry.get("slug"))
            if slug not in self.modellix_specs:
                self.modellix_specs[slug] = open_api_schema(slug, entry)
                self.normalised[slug] = normalise_modellix(slug, self.modellix_specs[slug], entry)
        self.agent_prompts = {mid: agent_prompt(spec) for mid, spec in self.normalised.items()}

    def kind(self, model: str) -> str | None:
        """The result kind of a model the sandbox serves (None: not served)."""
        spec = self.normalised.get(model)
        return spec.type if spec else None


def open_api_schema(slug: str, entry: dict[str, Any]) -> dict[str, Any]:
    """The api_schema of a catalog model whose parameters the snapshot does not know."""
    return {
        "servers": [{"url": f"https://api.modellix.ai/api/v1/{slug}/async"}],
        "post": {
            "summary": slug,
            "description": str(entry.get("description") or slug)
            + " (vtrix sandbox: this model's parameters are not known; any JSON object is"
            " accepted.)",
            "requestBody": {
                "content": {
                    "application/json": {"schema": {"type": "object", "additionalProperties": True}}
                }
            },
        },
    }


def agent_prompt(spec: ModelSpec) -> str:
    """A short text for agents, as the real models service has, for specs that carry none."""
    props = spec.schema.get("properties", {})
    required = set(spec.schema.get("required", []))
    lines = [f"{spec.name} ({spec.type}). {spec.summary}".strip(), "Parameters:"]
    for name, sub in props.items():
        need = "required" if name in required else "optional"
        lines.append(
            f"- {name} ({sub.get('type')}, {need}): {sub.get('description', '')}".rstrip(": ")
        )
    return "\n".join(lines)


def packaged_snapshot() -> Snapshot:
    """The snapshot this vtrix was built from, as packaged."""
    from vtrix import registry

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
