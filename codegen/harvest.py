"""Seeding ``specs/`` from ``harvest.json``: parameters read off the gateways' own per-model
docs pages, for models the catalogs hold no spec for.

Each entry is written in its gateway's wire form — a vtrix parameter list, a Modellix
``api_schema`` path object — so the one normaliser reads it like any other spec. A list the
page showed whole is a closed schema; a list cut short (``complete: false``) stays open to
further fields (vtrix: ``additional_parameters``; Modellix: ``additionalProperties``), and
the help and ``models spec`` say it is partial. Where a page was read and whence goes to
``provenance.json``, never into text users see. Entries that re-check a seed model are left
out: the seed models keep the seed page's spec.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vtrix.spec.snapshot import dumps

# JSON Schema keyword -> the vtrix spec's constraint of the same meaning.
_CONSTRAINTS = {
    "enum": "enum",
    "default": "default",
    "minimum": "min",
    "maximum": "max",
    "minLength": "min_length",
    "maxLength": "max_length",
    "minItems": "min_items",
    "maxItems": "max_items",
}

# Facts the harvest found wrong in a seeded spec: (gateway, model, parameter) -> changes.
CORRECTIONS: dict[tuple[str, str, str], dict[str, Any]] = {
    ("modellix", "kling/kling-image-o1", "resolution"): {"default": "1k"},
}


def entries(catalogs: Path) -> list[dict[str, Any]]:
    """The harvested entries that seed a spec (none when the file is absent)."""
    path = catalogs / "harvest.json"
    if not path.is_file():
        return []
    data = json.loads(path.read_text())
    return [e for e in data if not e.get("recheck_of_existing_spec")]


def provenance(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "parameters": entry.get("sources", []),
        "confidence": entry.get("confidence"),
        "complete": bool(entry.get("complete")),
        "verified": False,
        **({"names_inferred": True} if entry.get("names_inferred") else {}),
        **({"notes": entry["notes"]} if entry.get("notes") else {}),
        "harvested": True,
    }


def vtrix_spec(entry: dict[str, Any], catalog: dict[str, Any], endpoint: str) -> str:
    """The vtrix spec file of a harvested entry (``catalog``: its vtrix catalog row)."""
    spec: dict[str, Any] = {
        "model_id": entry["model_id"],
        "name": catalog.get("name") or entry["model_id"],
        "vendor": catalog.get("vendor", ""),
        "type": catalog.get("type", "unknown"),
        "api": {"endpoint": endpoint, "method": "POST", "headers": {}},
        "parameters": vtrix_parameters(entry["parameters"]),
    }
    if not entry.get("complete"):
        spec["additional_parameters"] = True
    return dumps(spec)


def vtrix_parameters(schema: dict[str, Any], parent: str = "") -> list[dict[str, Any]]:
    """A JSON Schema object's properties as a vtrix parameter list (children for objects and
    arrays of objects; ``oneOf`` a value or a list of them: the list)."""
    required = set(schema.get("required") or [])
    out = []
    for name, prop in (schema.get("properties") or {}).items():
        path = f"{parent}.{name}" if parent else name
        description = prop.get("description")
        if "oneOf" in prop:
            lists = [p for p in prop["oneOf"] if p.get("type") == "array"]
            prop = lists[0] if lists else prop["oneOf"][0]
            description = description or prop.get("description")
        param: dict[str, Any] = {"name": name, "path": path, "required": name in required}
        kind = prop.get("type") or "string"
        items = prop.get("items") or {}
        if kind == "array" and items.get("type") == "object":
            param["type"] = "array"
            param["children"] = vtrix_parameters(items, path)
        elif kind == "array" and items.get("type"):
            param["type"] = f"array[{items['type']}]"
        elif kind == "object" and prop.get("properties"):
            param["type"] = "object"
            param["children"] = vtrix_parameters(prop, path)
        else:
            param["type"] = kind
        if description:
            param["description"] = description
        constraints = {v: prop[k] for k, v in _CONSTRAINTS.items() if k in prop}
        if constraints:
            param["constraints"] = constraints
        out.append(param)
    return out


def correct(gateway: str, model: str, schema: dict[str, Any]) -> list[str]:
    """Apply :data:`CORRECTIONS` to a request body schema; what was changed."""
    done = []
    for (gw, slug, name), changes in CORRECTIONS.items():
        prop = (schema.get("properties") or {}).get(name)
        if (gw, slug) == (gateway, model) and isinstance(prop, dict):
            prop.update(changes)
            done.append(f"{name}: {', '.join(f'{k} {v!r}' for k, v in changes.items())}")
    return done
