"""Seed ``specs/`` from the hand-collected catalogs in ``../shared/catalogs``.

Only facts are copied: a spec file is written for a model whose parameters are known (the three
vtrix models of the vtrix run page, the product's specification; Modellix models with verified
or example-sourced parameters; and the models whose parameters were read off the gateways' own
docs pages, ``harvest.json``: :mod:`codegen.harvest`); every other model is a catalog entry
only. Provenance goes to ``specs/provenance.json``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from codegen import harvest
from codegen.specfiles import replace_tree
from vtrix.base.gateways import MODELLIX_LEGACY_SUFFIX, default_endpoint
from vtrix.spec.snapshot import dumps

VTRIX_GATEWAY = "https://vtrix.ai/model/v1/generation"
SEED_PAGE = "vtrix run page (shared/seeds/000) and shared/catalogs/README.md"

# The vtrix run page's own `vtrix models spec` output names the model so.
VTRIX_NAMES = {"kirin_v3_i2v": "Kirin V3 I2V"}

# The three vtrix models whose parameters the vtrix run page shows, exactly as shown there.
VTRIX_PARAMETERS: dict[str, list[dict[str, Any]]] = {
    "kirin_v3_i2v": [
        {
            "name": "image_url",
            "path": "image_url",
            "type": "string",
            "required": True,
            "description": "Input image URL",
        },
        {
            "name": "prompt",
            "path": "prompt",
            "type": "string",
            "required": False,
            "description": "Motion description prompt",
            "constraints": {"default": ""},
        },
        {
            "name": "negative_prompt",
            "path": "negative_prompt",
            "type": "string",
            "required": False,
            "description": "Negative prompt",
            "constraints": {"default": ""},
        },
        {
            "name": "resolution",
            "path": "resolution",
            "type": "string",
            "required": False,
            "description": "Output resolution",
            "constraints": {"enum": ["480p", "720p", "1080p"], "default": "720p"},
        },
        {
            "name": "duration",
            "path": "duration",
            "type": "integer",
            "required": False,
            "description": "Video duration in seconds",
            "constraints": {"min": 3, "max": 10, "default": 5},
        },
        {
            "name": "seed",
            "path": "seed",
            "type": "integer",
            "required": False,
            "description": "Random seed, -1 for random",
            "constraints": {"default": -1},
        },
    ],
    "spark_dance_v2_0": [
        {
            "name": "prompt",
            "path": "prompt",
            "type": "string",
            "required": False,
            "description": "Text prompt",
        },
        {
            "name": "duration",
            "path": "duration",
            "type": "integer",
            "required": False,
            "description": "Video duration in seconds",
        },
        {
            "name": "content",
            "path": "content",
            "type": "array",
            "required": False,
            "description": "Multimodal content items",
            "children": [
                {
                    "name": "type",
                    "path": "content.type",
                    "type": "string",
                    "required": True,
                    "description": "Content item type",
                },
                {
                    "name": "text",
                    "path": "content.text",
                    "type": "string",
                    "required": False,
                    "description": "Text of a text item",
                },
            ],
        },
    ],
    "kirin_v2_6_i2v": [
        {
            "name": "image",
            "path": "image",
            "type": "string",
            "required": False,
            "description": "Input image URL",
        },
        {
            "name": "camera_control",
            "path": "camera_control",
            "type": "object",
            "required": False,
            "description": "Camera movement",
            "children": [
                {
                    "name": "type",
                    "path": "camera_control.type",
                    "type": "string",
                    "required": True,
                    "description": "Camera movement type",
                },
                {
                    "name": "config",
                    "path": "camera_control.config",
                    "type": "object",
                    "required": False,
                    "description": "Camera movement amounts",
                    "children": [
                        {
                            "name": "horizontal",
                            "path": "camera_control.config.horizontal",
                            "type": "number",
                            "required": False,
                            "description": "Horizontal movement",
                        },
                    ],
                },
            ],
        },
    ],
}


def _has_real_parameters(model: dict[str, Any]) -> bool:
    props = model["parameters"].get("properties") or {}
    if not props:
        return False
    return not any("minimal assumption" in str(p.get("description", "")) for p in props.values())


# Notes about where a fact came from, written into descriptions by whoever captured them.
# Users see descriptions in help; such notes belong in provenance.json, never there.
_PROVENANCE = (
    re.compile(r"\s*;\s*verify against [^;()]*$", re.I),
    re.compile(r"\s*\((?:values )?per agent-canvas adapter(?::\s*(?P<keep>[^)]*))?\)", re.I),
    re.compile(r"\s*\(agent-canvas (?:requires|uses) (?P<keep>[^)]*)\)", re.I),
)


def split_provenance(description: str) -> tuple[str, str | None]:
    """(the description for users, the provenance note taken out of it or None). What a note
    says about the values themselves stays: "(values per agent-canvas adapter: low/high)"
    becomes "(low/high)"."""
    text = description
    for rx in _PROVENANCE:
        text = rx.sub(lambda m: f" ({m['keep']})" if m.groupdict().get("keep") else "", text)
    text = text.strip()
    return text, (description if text != description else None)


def without_provenance(schema: Any, notes: dict[str, str], path: str = "") -> Any:
    """``schema`` with provenance notes moved out of every description into ``notes``."""
    if isinstance(schema, list):
        return [without_provenance(v, notes, path) for v in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "description" and isinstance(value, str):
            out[key], note = split_provenance(value)
            if note:
                notes[path or "$"] = note
        elif key == "properties" and isinstance(value, dict):
            out[key] = {
                k: without_provenance(v, notes, f"{path}.{k}" if path else k)
                for k, v in value.items()
            }
        else:
            out[key] = without_provenance(value, notes, path)
    return out


def modellix_path_object(
    model: dict[str, Any], notes: dict[str, str] | None = None
) -> dict[str, Any]:
    """The api_schema path object Modellix serves for ``model``."""
    schema = without_provenance(dict(model["parameters"]), notes if notes is not None else {})
    if not model["parameters_verified"]:
        # A partial list: other parameters may exist, so unknown keys stay allowed.
        schema["additionalProperties"] = True
    return {
        "servers": [{"url": default_endpoint("modellix", model["slug"]) + MODELLIX_LEGACY_SUFFIX}],
        "post": {
            "summary": model["name"],
            "description": model["description"],
            "operationId": model["slug"].replace("/", "_"),
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": schema}},
            },
        },
    }


def build(catalogs: Path) -> dict[str, str]:
    """Map of relative path -> file text for the whole seeded ``specs/`` tree."""
    files: dict[str, str] = {}
    provenance: dict[str, Any] = {}
    harvested = {(e["gateway"], e["model_id"]): e for e in harvest.entries(catalogs)}
    vtrix = json.loads((catalogs / "vtrix_models.json").read_text())
    entries = []
    for m in sorted(vtrix, key=lambda m: m["id"]):
        entries.append(
            {
                "id": m["id"],
                "name": m["name"],
                "type": m["type"],
                "description": m["title"],
                "input_modalities": m["input_modalities"],
                "output_modalities": m["output_modalities"],
            }
        )
        if m["id"] in VTRIX_PARAMETERS:
            files[f"vtrix/{m['id']}.json"] = dumps(
                {
                    "model_id": m["id"],
                    "name": VTRIX_NAMES.get(m["id"], m["name"]),
                    "vendor": m["vendor"],
                    "type": m["type"],
                    "api": {"endpoint": VTRIX_GATEWAY, "method": "POST", "headers": {}},
                    "parameters": VTRIX_PARAMETERS[m["id"]],
                }
            )
            provenance[f"vtrix/{m['id']}"] = {"parameters": SEED_PAGE, "verified": True}
        elif ("vtrix", m["id"]) in harvested:
            entry = harvested["vtrix", m["id"]]
            files[f"vtrix/{m['id']}.json"] = harvest.vtrix_spec(entry, m, VTRIX_GATEWAY)
            provenance[f"vtrix/{m['id']}"] = harvest.provenance(entry)
    files["vtrix.catalog.json"] = dumps({"models": entries})

    modellix = json.loads((catalogs / "modellix_specs.json").read_text())
    mentries = []
    for m in sorted(modellix, key=lambda m: m["slug"]):
        mentries.append(
            {
                "slug": m["slug"],
                # The catalog's "type" is the task ("text-to-image"), as the official
                # modellix-cli's tests show; the modality is derived from it.
                "type": m.get("task") or m["type"],
                "description": m["description"],
                "docs_url": m["docs_url"],
            }
        )
        notes: dict[str, str] = {}
        if _has_real_parameters(m):
            path_object = modellix_path_object(m, notes)
            provenance[f"modellix/{m['slug']}"] = {
                "parameters": m["source"].get("parameters"),
                "verified": m["parameters_verified"],
                "notes": m.get("notes", ""),
                **({"descriptions_as_captured": notes} if notes else {}),
            }
        elif ("modellix", m["slug"]) in harvested:
            entry = harvested["modellix", m["slug"]]
            complete = bool(entry.get("complete"))
            page = {**m, "parameters": entry["parameters"], "parameters_verified": complete}
            path_object = modellix_path_object(page, notes)
            provenance[f"modellix/{m['slug']}"] = harvest.provenance(entry)
        else:
            continue
        schema = path_object["post"]["requestBody"]["content"]["application/json"]["schema"]
        corrected = harvest.correct("modellix", m["slug"], schema)
        if corrected:
            provenance[f"modellix/{m['slug']}"]["corrected"] = {
                "from": "harvest.json (the gateway's docs page)",
                "changes": corrected,
            }
        files[f"modellix/{m['slug']}.json"] = dumps(path_object)
    files["modellix.catalog.json"] = dumps({"models": mentries})
    files["provenance.json"] = dumps(provenance)
    return files


def main(catalogs: Path, specs: Path) -> int:
    files = build(catalogs)
    replace_tree(specs, files, keep=("module-names.json",))
    n = sum(1 for p in files if p.startswith(("vtrix/", "modellix/")))
    print(f"seeded {specs}: {n} spec files, catalogs and provenance")
    return 0
