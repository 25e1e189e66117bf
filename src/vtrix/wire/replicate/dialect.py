"""Replicate's dialect: a model object (``GET /v1/models/<owner>/<name>``, its schema under
``latest_version.openapi_schema``) or a version object (``…/versions/<id>``, under
``openapi_schema``), whose Cog schema is lowered into the checked subset.

Cog writes the input as ``components.schemas.Input``: properties ordered by ``x-order``,
choices as ``allOf: [{$ref: <an enum component>}]``, bounds as ``minimum``/``maximum`` (older
Cog: ``ge``/``le``), files as ``format: uri`` strings, secrets with ``x-cog-secret`` (read as
``writeOnly``: never shown or logged). The output schema says what comes back: file URLs (a
single one, a list, or an iterator of them) or text.
"""

from __future__ import annotations

import re
from typing import Any

from vtrix.base.gateways import REPLICATE, default_endpoint, split_id
from vtrix.spec.clean import SpecError, clean_schema
from vtrix.spec.normalise import ModelSpec, check_model_id, summary_line
from vtrix.spec.openapi import Lowering

_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}\Z")
_KINDS = (("video", "video"), ("audio", "audio"), ("music", "audio"), ("speech", "audio"))


def parse_id(model_id: str, source: str = "Replicate model id") -> tuple[str, str]:
    """(``owner/name``, version or "") of ``replicate:owner/name[:version]``, each part
    checked: safe as a file name and a URL segment."""
    bare = split_id(model_id)[1] if model_id.startswith(f"{REPLICATE.name}:") else model_id
    model, _, version = bare.partition(":")
    parts = model.split("/")
    if len(parts) != 2:
        raise SpecError(source, "$.id", "expected <owner>/<name>, and a version after ':' if any")
    for part in parts:
        check_model_id(part, source)
    if version and not _VERSION.match(version):
        raise SpecError(source, "$.id", f"version {version!r} is not a version id")
    return model, version


def normalise(
    model_id: str, raw: Any, entry: dict[str, Any] | None = None, source: str = "Replicate spec"
) -> ModelSpec:
    """A model or version object for ``model_id`` as a :class:`ModelSpec`."""
    model, version = parse_id(model_id, source)
    if not isinstance(raw, dict):
        raise SpecError(source, "$", "the answer is not a JSON object")
    where = "$.openapi_schema" if "openapi_schema" in raw else "$.latest_version.openapi_schema"
    holder = raw if "openapi_schema" in raw else raw.get("latest_version")
    doc = holder.get("openapi_schema") if isinstance(holder, dict) else None
    if not isinstance(doc, dict) or not doc:
        raise SpecError(source, where, "the model has no published version with a schema")
    named = raw.get("owner"), raw.get("name")
    if all(isinstance(n, str) for n in named) and "/".join(named) != model:  # type: ignore[arg-type]
        raise SpecError(source, "$.name", f"it describes {named[0]}/{named[1]}, not {model}")
    components = doc.get("components", {}).get("schemas", {}) if isinstance(doc, dict) else {}
    components = components if isinstance(components, dict) else {}
    jpath = f"{where}.components.schemas.Input"
    if not isinstance(components.get("Input"), dict):
        raise SpecError(source, jpath, "no Input schema")
    warnings: list[str] = []
    lowered = Lowering(components, source, warnings, _hint, _order).schema(
        components["Input"], jpath
    )
    if lowered.get("type", "object") != "object":
        raise SpecError(source, jpath, "the input is not an object schema")
    lowered.setdefault("properties", {})
    lowered.setdefault("additionalProperties", False)  # Cog refuses inputs it does not name
    schema = clean_schema(lowered, source, jpath, warnings)
    text = str(raw.get("description") or (entry or {}).get("description") or "")
    return ModelSpec(
        id=f"{REPLICATE.name}:{model}" + (f":{version}" if version else ""),
        provider=REPLICATE.name,
        name=model,
        type=modality(components.get("Output"), f"{model} {text}"),
        endpoint=default_endpoint(REPLICATE.name, f"{model}:{version}" if version else model),
        summary=summary_line(text or f"{model} on Replicate"),
        schema=schema,
        warnings=tuple(warnings),
    )


def modality(output: Any, words: str) -> str:
    """What a model makes: text when its output holds no file URL, else the media its name
    and description speak of (an image when they say nothing)."""
    if not _has_uri(output, 0):
        return "text"
    low = words.lower()
    return next((kind for word, kind in _KINDS if word in low), "image")


def _has_uri(node: Any, depth: int) -> bool:
    if not isinstance(node, dict) or depth > 8:
        return False
    if node.get("format") == "uri" or "$ref" in node:  # a referenced output holds files
        return True
    parts = [node.get("items"), *(node.get("properties") or {}).values()]
    return any(_has_uri(p, depth + 1) for p in parts)


def _hint(key: str) -> bool:
    """Cog's display hints on outputs; the input's own are all read (``x-order``, secrets)."""
    return key.startswith("x-cog-array")


def _order(node: dict[str, Any]) -> list[str]:
    """Property names by their ``x-order`` (those without one after, as written)."""
    props = node.get("properties")
    if not isinstance(props, dict):
        return []

    def rank(name: str) -> float:
        sub = props[name]
        order = sub.get("x-order") if isinstance(sub, dict) else None
        if isinstance(order, (int, float)) and not isinstance(order, bool):
            return float(order)
        return float("inf")

    return sorted(props, key=rank)
