"""The vtrix dialect: a models-service spec (parameters with dotted ``path``s and ``children``)
read into the one :class:`~vtrix.spec.normalise.ModelSpec` form."""

from __future__ import annotations

import re
from typing import Any

from vtrix.spec.clean import SpecError, clean_schema, warn
from vtrix.spec.kinds import KINDS
from vtrix.spec.normalise import ModelSpec, check_model_id, summary_line

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


def normalise(
    model_id: str, raw: Any, entry: dict[str, Any] | None = None, source: str = "vtrix spec"
) -> ModelSpec:
    """A spec of the snapshot or the models service (its catalog entry's description is the
    summary, where it has one)."""
    spec = normalise_vtrix(raw, source=source)
    if spec.id != model_id:
        raise SpecError(source, "$.model_id", f"model_id {spec.id!r} does not match {model_id!r}")
    if entry and entry.get("description"):
        spec = ModelSpec(**{**spec.__dict__, "summary": summary_line(entry["description"])})
    return spec
