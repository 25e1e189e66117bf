"""Turn either gateway's spec into one intermediate form: a JSON Schema plus model metadata.

The vtrix spec lists parameters with dotted ``path``s and ``children``; Modellix publishes an
OpenAPI path object whose request body carries a JSON Schema. Both become a :class:`ModelSpec`
whose ``schema`` uses a small, checked subset of JSON Schema.

The reader is lenient where real specs are loose (the official vtrix client's types show
enum values as strings on integer, number and boolean parameters, ``array[string]`` types,
unknown type words and constraint keys, defaults of another JSON type, ``min``/``max`` on
strings): such values are coerced when every one of them parses, and otherwise dropped, each
with a warning naming the spec and the field (``ModelSpec.warnings``). A spec is refused
with a :class:`SpecError` (naming the spec, the JSON path and the reason) only for what
could steer code generation, what cannot be named safely, or a shape that is not a spec.
"""

from __future__ import annotations

import json
import re
from typing import Any

from vtrix.base.gateways import MODELLIX, MODELLIX_LEGACY_SUFFIX, default_endpoint
from vtrix.base.record import field, record
from vtrix.spec.clean import SpecError, clean_schema, warn
from vtrix.spec.kinds import KINDS

_VTRIX_TYPES = {
    "string": "string",
    "str": "string",
    "integer": "integer",
    "int": "integer",
    "number": "number",
    "float": "number",
    "boolean": "boolean",
    "bool": "boolean",
    "array": "array",
    "object": "object",
}
_VTRIX_CONSTRAINTS = {
    "enum": "enum",
    "default": "default",
    "min": "minimum",
    "max": "maximum",
    "min_length": "minLength",
    "max_length": "maxLength",
    "max_items": "maxItems",
    "min_items": "minItems",
    "pattern": "pattern",
}
_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


@record(frozen=True)
class ModelSpec:
    """One model in the normalised form shared by codegen, the runtime and the sandbox."""

    id: str
    provider: str
    name: str
    type: str
    endpoint: str
    summary: str
    schema: dict[str, Any] = field(default_factory=dict)
    method: str = "POST"
    # What the lenient reader coerced or dropped (not part of the spec's identity).
    warnings: tuple[str, ...] = field(default=(), compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "name": self.name,
            "type": self.type,
            "endpoint": self.endpoint,
            "method": self.method,
            "summary": self.summary,
            "schema": self.schema,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        return cls(
            id=data["id"],
            provider=data["provider"],
            name=data["name"],
            type=data["type"],
            endpoint=data["endpoint"],
            method=data.get("method", "POST"),
            summary=data.get("summary", ""),
            schema=data["schema"],
        )


def check_model_id(model_id: object, source: str, json_path: str = "$.id") -> str:
    """A vtrix id or one half of a Modellix slug: safe as a file name and URL segment."""
    if not isinstance(model_id, str) or not _SAFE_ID.match(model_id) or ".." in model_id:
        raise SpecError(
            source,
            json_path,
            f"model id {model_id!r} is not a safe identifier "
            "(letters, digits, '.', '_', '-'; at most 128 characters)",
        )
    return model_id


def check_slug(slug: object, source: str, json_path: str = "$.slug") -> str:
    """A Modellix slug ``provider/model``."""
    if not isinstance(slug, str) or slug.count("/") != 1:
        raise SpecError(source, json_path, f"slug {slug!r} is not of the form provider/model")
    vendor, model = slug.split("/")
    check_model_id(vendor, source, json_path)
    check_model_id(model, source, json_path)
    return slug


_MODALITIES = ("video", "image", "audio", "text")
_MODALITY_WORDS = {
    "video": ("video", "avatar", "lip-sync", "motion"),
    "audio": ("audio", "speech", "tts", "voice", "music", "sound"),
    "image": ("image", "try-on", "photo", "edit", "upscale", "background"),
    "text": ("text", "transcri", "caption", "recogni"),
}
_TEXT_OUT = ("recogni", "transcri", "caption", "understand")


def modality_of(kind: str) -> str:
    """The output modality of a catalog type: ``text-to-image`` -> ``image``,
    ``avatar-video`` -> ``video``, ``video`` -> ``video``; an unknown word is kept."""
    low = kind.strip().lower()
    if low in _MODALITIES:
        return low
    after = low.rsplit("-to-", 1)[-1] if "-to-" in low else low
    if any(w in after for w in _TEXT_OUT):
        return "text"
    for modality in _MODALITIES:
        if modality in after.split("-"):
            return modality
    for modality, words in _MODALITY_WORDS.items():
        if any(w in after for w in words):
            return modality
    return low or "unknown"


def summary_line(text: str, limit: int | None = None) -> str:
    """First sentence or line of ``text``, whitespace folded; cut (with "…") only when a
    ``limit`` is given — tables cut, data (``-o json``, specs, the index) never does."""
    line = " ".join(str(text).split())
    for stop in (". ", "; "):
        if stop in line:
            line = line.split(stop, 1)[0] + stop.strip()
            break
    if limit is None or len(line) <= limit:
        return line
    return line[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- vtrix dialect


def normalise_vtrix(spec: Any, source: str = "vtrix spec") -> ModelSpec:
    """Normalise the ``data`` object of ``GET /api/v1/skill/models/{id}/spec``."""
    if not isinstance(spec, dict):
        raise SpecError(source, "$", "the spec is not a JSON object")
    model_id = check_model_id(spec.get("model_id"), source, "$.model_id")
    api = spec.get("api")
    if not isinstance(api, dict) or not isinstance(api.get("endpoint"), str):
        raise SpecError(source, "$.api.endpoint", "missing the generation endpoint URL")
    params = spec.get("parameters", [])
    if not isinstance(params, list):
        raise SpecError(source, "$.parameters", "must be a list of parameters")
    warnings: list[str] = []
    schema = _vtrix_object(params, "", "$.parameters", source, warnings)
    if spec.get("additional_parameters") is True:  # a list known to be partial (seeded)
        schema["additionalProperties"] = True
    name = spec.get("name") or model_id
    kind = spec.get("type") or "unknown"
    if not isinstance(name, str) or not isinstance(kind, str):
        raise SpecError(source, "$.name", "name and type must be strings")
    summary = spec.get("description") or spec.get("title") or name
    return ModelSpec(
        id=model_id,
        provider="vtrix",
        name=name,
        type=kind,
        endpoint=api["endpoint"],
        method=str(api.get("method") or "POST").upper(),
        summary=summary_line(str(summary)),
        schema=schema,
        warnings=tuple(warnings),
    )


def _vtrix_object(
    params: list[Any], parent: str, jpath: str, source: str, warnings: list[str]
) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for i, param in enumerate(params):
        where = f"{jpath}[{i}]"
        if not isinstance(param, dict):
            raise SpecError(source, where, "a parameter must be an object")
        name = param.get("name")
        if not isinstance(name, str) or not name or "." in name:
            raise SpecError(source, f"{where}.name", f"invalid parameter name {name!r}")
        expected = f"{parent}.{name}" if parent else name
        path = param.get("path", expected)
        if path != expected:
            raise SpecError(
                source,
                f"{where}.path",
                f"broken children tree: path {path!r} should be {expected!r}",
            )
        if name in properties:
            raise SpecError(source, f"{where}.name", f"parameter {expected!r} is listed twice")
        properties[name] = _vtrix_param(param, expected, where, source, warnings)
        if param.get("required") is True:
            required.append(name)
    out: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        out["required"] = required
    return out


_ARRAY_OF = re.compile(r"^\s*(?:array|list)\s*[\[<]\s*([A-Za-z]+)\s*[\]>]\s*\Z", re.I)


def _vtrix_type(raw_type: Any, where: str, source: str, warnings: list[str]) -> dict[str, Any]:
    """The schema a vtrix type word stands for: ``array[string]`` is an array of strings;
    a word vtrix does not know is read as a string (with a warning)."""
    if isinstance(raw_type, str):
        word = raw_type.strip().lower()
        if word in _VTRIX_TYPES:
            return {"type": _VTRIX_TYPES[word]}
        m = _ARRAY_OF.match(raw_type)
        if m:
            inner = _vtrix_type(m.group(1), where, source, warnings)
            return {"type": "array", "items": inner}
    warn(warnings, source, f"{where}.type", f"unknown type {raw_type!r}, read as a string")
    return {"type": "string"}


def _vtrix_param(
    param: dict[str, Any], path: str, where: str, source: str, warnings: list[str]
) -> dict[str, Any]:
    """One parameter's schema; what was coerced or dropped is noted naming the parameter."""
    local: list[str] = []
    schema = _vtrix_param_schema(param, path, where, source, local)
    warnings.extend(f"{line} (parameter {path})" for line in local)
    return schema


def _vtrix_param_schema(
    param: dict[str, Any], path: str, where: str, source: str, warnings: list[str]
) -> dict[str, Any]:
    out = _vtrix_type(param.get("type"), where, source, warnings)
    kind = out["type"]
    if isinstance(param.get("description"), str) and param["description"]:
        out["description"] = param["description"]
    constraints = param.get("constraints") or {}
    if not isinstance(constraints, dict):
        warn(warnings, source, f"{where}.constraints", "not an object; ignored")
        constraints = {}
    for key, value in constraints.items():
        if key not in _VTRIX_CONSTRAINTS:
            warn(warnings, source, f"{where}.constraints.{key}", "unknown constraint, ignored")
            continue
        if key in ("min", "max") and not (kind in KINDS and KINDS[kind].numeric):
            warn(
                warnings,
                source,
                f"{where}.constraints.{key}",
                f"a numeric bound on a {kind} parameter, ignored",
            )
            continue
        out[_VTRIX_CONSTRAINTS[key]] = value
    if "example" in param:
        out["examples"] = [param["example"]]
    children = param.get("children")
    if children is not None:
        if not isinstance(children, list):
            raise SpecError(source, f"{where}.children", "broken children tree: not a list")
        if kind == "object":
            out.update(_vtrix_object(children, path, f"{where}.children", source, warnings))
        elif kind == "array":
            out["items"] = _vtrix_object(children, path, f"{where}.children", source, warnings)
        elif children:
            raise SpecError(
                source,
                f"{where}.children",
                f"broken children tree: a {kind} parameter cannot have children",
            )
    return clean_schema(out, source, where, warnings)


# ------------------------------------------------------------------------ Modellix dialect


def normalise_modellix(
    slug: str,
    path_object: Any,
    catalog_entry: dict[str, Any] | None = None,
    source: str = "modellix spec",
) -> ModelSpec:
    """Normalise a Modellix ``api_schema`` (an OpenAPI path object) for ``slug``."""
    check_slug(slug, source, "$")
    if not isinstance(path_object, dict):
        raise SpecError(source, "$", "the api_schema is not a JSON object")
    post = path_object.get("post")
    if not isinstance(post, dict):
        raise SpecError(source, "$.post", "missing the POST operation")
    try:
        schema = post["requestBody"]["content"]["application/json"]["schema"]
    except (KeyError, TypeError):
        raise SpecError(
            source,
            "$.post.requestBody.content.application/json.schema",
            "missing the request body schema",
        ) from None
    jpath = "$.post.requestBody.content.application/json.schema"
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        raise SpecError(source, jpath, "the request body schema must be an object schema")
    schema = {"type": "object", **schema}
    warnings: list[str] = []
    clean = clean_schema(schema, source, jpath, warnings)
    servers = path_object.get("servers")
    endpoint = default_endpoint(MODELLIX.name, slug)
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = servers[0].get("url")
        if isinstance(url, str) and url:
            endpoint = url.removesuffix(MODELLIX_LEGACY_SUFFIX)
    entry = catalog_entry or {}
    name = post.get("summary") or entry.get("name") or slug
    description = post.get("description") or entry.get("description") or name
    kind = modality_of(str(entry.get("type") or post.get("x-model-type") or "unknown"))
    return ModelSpec(
        id=slug,
        provider="modellix",
        name=str(name),
        type=str(kind),
        endpoint=endpoint,
        summary=summary_line(str(description)),
        schema=clean,
        warnings=tuple(warnings),
    )


# ------------------------------------------------------------------------- the checked subset


def agent_prompt(spec: ModelSpec) -> str:
    """A compact text for agents, for specs that carry none of their own: what the model is,
    then a line per parameter (nested fields as ``a.b``, array items as ``a[].b``) with its
    type, whether it is required, its values or range, its default and what it is for."""
    from vtrix.spec.describe import fields, range_phrase
    from vtrix.spec.option import PARTIAL_NOTE

    summary = spec.summary if spec.summary and spec.summary != spec.name else ""
    head = f"{spec.name} ({spec.type}, {spec.provider}: {spec.id})."
    lines = [f"{head} {summary}".strip(), "Parameters:"]
    rows = list(fields(spec.schema))
    for f in rows:
        sub = f.schema
        facts = [f.kind, "required" if f.required else "optional"]
        if "enum" in sub:
            facts.append("one of " + "|".join(str(v) for v in sub["enum"]))
        bounds = range_phrase(sub)
        if bounds:
            facts.append(bounds.removeprefix("in range ").replace("–", "-"))
        if "default" in sub:
            facts.append(f"default {json.dumps(sub['default'], ensure_ascii=False)}")
        text = " ".join(str(sub.get("description", "")).split())
        lines.append(f"- {f.path} ({', '.join(facts)})" + (f": {text}" if text else ""))
    if not rows:
        lines[-1] = (
            "Parameters: not published by its gateway; pass them as its documentation "
            "says (sent as given, unchecked)."
        )
    elif spec.schema.get("additionalProperties") is True:
        lines.append(PARTIAL_NOTE)
    return "\n".join(lines)
