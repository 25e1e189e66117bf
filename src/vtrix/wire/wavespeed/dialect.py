"""WaveSpeed's dialect: a row of its catalog (``GET /api/v3/models``), whose
``api_schema.api_schemas[]`` entry of ``type: model_run`` names the submit route and carries
the input as a plain JSON Schema.

Properties are ordered by ``x-order-properties``; UI extensions (``x-ui-component``,
``x-accept``, ``x-hidden`` …) are not constraints and are dropped. Conditional rules
(``if``/``then``/``else``, ``allOf``, ``not``) cannot be checked as options: each is
dropped with a warning naming the fields it constrains, the properties' own (widest)
constraints are kept, and the gateway checks the rest. There is no output schema: outputs
are a list of URLs, of the media the row's ``type`` says.
"""

from __future__ import annotations

from typing import Any

from vtrix.base.gateways import WAVESPEED, default_endpoint, split_id
from vtrix.spec.clean import SpecError, clean_schema, warn
from vtrix.spec.normalise import ModelSpec, check_model_id, modality_of, summary_line

_CONDITIONS = ("if", "then", "else", "allOf", "anyOf", "oneOf", "not")


def check_id(model_id: str, source: str = "WaveSpeed model id") -> str:
    """The bare model id of ``wavespeed:<vendor>/<model>…``, each segment checked."""
    bare = split_id(model_id)[1] if model_id.startswith(f"{WAVESPEED.name}:") else model_id
    parts = bare.split("/")
    if not 1 <= len(parts) <= 8:
        raise SpecError(source, "$.model_id", f"{model_id!r} is not a WaveSpeed model id")
    for part in parts:
        check_model_id(part, source, "$.model_id")
    return bare


def normalise(
    model_id: str, raw: Any, entry: dict[str, Any] | None = None, source: str = "WaveSpeed spec"
) -> ModelSpec:
    """A catalog row for ``model_id`` as a :class:`ModelSpec`."""
    if not isinstance(raw, dict):
        raise SpecError(source, "$", "the catalog row is not a JSON object")
    bare = check_id(str(raw.get("model_id")), source)
    if bare != check_id(model_id, source):
        raise SpecError(source, "$.model_id", f"it describes {bare}, not {model_id}")
    entries = (raw.get("api_schema") or {}).get("api_schemas") if isinstance(raw, dict) else None
    found = [
        (i, e)
        for i, e in enumerate(entries if isinstance(entries, list) else [])
        if isinstance(e, dict) and e.get("type") == "model_run"
    ]
    if not found:
        raise SpecError(source, "$.api_schema.api_schemas", "no model_run entry")
    i, run = found[0]
    jpath = f"$.api_schema.api_schemas[{i}].request_schema"
    schema = run.get("request_schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        raise SpecError(source, jpath, "the request schema is not an object schema")
    if str(run.get("method", "POST")).upper() != "POST":
        raise SpecError(source, f"{jpath[:-15]}.method", "only POST submits are supported")
    warnings: list[str] = []
    clean = clean_schema(_lowered(schema, source, jpath, warnings), source, jpath, warnings)
    kind = str(raw.get("type") or "")
    return ModelSpec(
        id=f"{WAVESPEED.name}:{bare}",
        provider=WAVESPEED.name,
        name=str(raw.get("name") or bare),
        type=modality(kind, str(raw.get("description") or "")),
        endpoint=default_endpoint(WAVESPEED.name, bare),
        summary=summary_line(str(raw.get("description") or f"{kind or bare} on WaveSpeed")),
        schema=clean,
        warnings=tuple(warnings),
    )


def _lowered(
    schema: dict[str, Any], source: str, jpath: str, warnings: list[str]
) -> dict[str, Any]:
    """The request schema in the document's order, its conditions dropped (each named)."""
    out = {k: v for k, v in schema.items() if k not in _CONDITIONS and not k.startswith("x-")}
    rules = [("if", ("if", "then", "else"))] + [(w, (w,)) for w in _CONDITIONS[3:]]
    for head, words in rules:
        if head in schema:
            named = sorted({n for w in words for n in _fields_in(schema.get(w))})
            which = ", ".join(named) if named else "the input"
            rule = "/".join(w for w in words if w in schema)
            warn(
                warnings,
                source,
                f"{jpath}.{head}",
                f"a conditional rule ({rule}) on {which} is not checked here (the gateway "
                "checks it)",
            )
    props = {
        name: _plain(sub) for name, sub in schema["properties"].items() if isinstance(name, str)
    }
    order = schema.get("x-order-properties")
    named = (
        [n for n in order if isinstance(n, str) and n in props] if isinstance(order, list) else []
    )
    out["properties"] = {**{n: props[n] for n in named}, **props}
    if not out.get("required"):
        out.pop("required", None)
    return out


def _plain(node: Any) -> Any:
    """A property's schema without WaveSpeed's UI extensions (``disabled`` among them)."""
    if not isinstance(node, dict):
        return node
    out = {k: _plain(v) for k, v in node.items() if not k.startswith("x-") and k != "disabled"}
    if isinstance(node.get("properties"), dict):
        out["properties"] = {k: _plain(v) for k, v in node["properties"].items()}
    return out


def _fields_in(node: Any) -> set[str]:
    """The property names a conditional rule speaks of."""
    if isinstance(node, list):
        return {n for part in node for n in _fields_in(part)}
    if not isinstance(node, dict):
        return set()
    names = {n for n in node.get("properties") or {} if isinstance(n, str)}
    names |= {n for n in node.get("required") or [] if isinstance(n, str)}
    for word in _CONDITIONS:
        names |= _fields_in(node.get(word))
    return names


def modality(kind: str, description: str) -> str:
    """The media a row's ``type`` makes (``image-to-video``: video); for a type that names
    none (``digital-human``, ``lora-support``), the one its description speaks of."""
    found = modality_of(kind or "unknown")
    if found in ("video", "image", "audio", "text"):
        return found
    low = description.lower()
    return next((m for m in ("video", "audio", "image") if m in low), found)
