"""The schema reader: a spec's JSON Schema cleaned into the subset vtrix generates from — lenient
where a gateway is loose (each leniency a warning naming the spec and field), strict where a key
would steer codegen."""

from __future__ import annotations

import math
import re
from typing import Any

from vtrix.spec.kinds import ALL_TYPES, KINDS

# JSON Schema keywords kept in the normalised form.
_KEPT = {
    "type",
    "description",
    "title",
    "default",
    "enum",
    "examples",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "writeOnly",  # a secret input: never shown in output, logs or the ledger
}


# Annotations that are accepted and dropped (they do not change what is valid for us).
_DROPPED = {
    "format",
    "readOnly",
    "deprecated",
    "example",
    "$comment",
    "nullable",
    "contentMediaType",
    "contentEncoding",
    "uniqueItems",
    "multipleOf",
    "const",
}


# Keys that would let a spec steer the code generator: refused outright.
_FORBIDDEN = {
    "customTypePath",
    "customBasePath",
    "customTemplateDir",
    "javaType",
    "$ref",
    "$id",
    "$schema",
    "$defs",
    "definitions",
}


_FORBIDDEN_PREFIXES = ("x-python", "x-enum", "x-datamodel", "x-pydantic")


class SpecError(ValueError):
    """A spec that cannot be used: says which spec, where in it, and why."""

    def __init__(self, source: str, json_path: str, reason: str) -> None:
        self.source = source
        self.json_path = json_path
        self.reason = reason
        super().__init__(f"{source}: {json_path}: {reason}")


def warn(warnings: list[str] | None, source: str, json_path: str, text: str) -> None:
    """Note something the lenient reader coerced or dropped."""
    if warnings is not None:
        warnings.append(f"{source}: {json_path}: {text}")


def clean_schema(
    schema: Any, source: str, jpath: str, warnings: list[str] | None = None
) -> dict[str, Any]:
    """Check a JSON Schema against the subset vtrix supports; return a cleaned copy.

    Objects get an explicit ``additionalProperties``: closed when properties are listed and
    the spec does not say otherwise, open for a free-form object with no properties. What
    is outside the subset but harmless is coerced or dropped with a warning (see the module
    docstring); with ``warnings`` None (a strict caller), it is a :class:`SpecError`.
    """
    if not isinstance(schema, dict):
        raise SpecError(source, jpath, "a schema must be a JSON object")
    lenient = _Lenient(source, warnings)
    _check_keys(schema, lenient, jpath)
    kind = schema.get("type")
    if kind is None:
        kind = "object" if "properties" in schema else None
    if kind not in ALL_TYPES:
        lenient.drop(
            f"{jpath}.type",
            f"unknown type {kind!r} (expected one of {', '.join(ALL_TYPES)})",
            "read as a string",
        )
        kind = "string"
    out: dict[str, Any] = {"type": kind}
    for key in ("description", "title"):
        if key in schema:
            if not isinstance(schema[key], str):
                lenient.drop(f"{jpath}.{key}", "must be a string")
            elif schema[key]:
                out[key] = schema[key]
    if "enum" in schema:
        enum = _enum(schema["enum"], kind, lenient, jpath)
        if enum is not None:
            out["enum"] = enum
    out.update(_bounds(schema, kind, lenient, jpath))
    if "pattern" in schema:
        pattern = _pattern(schema["pattern"], kind, lenient, jpath)
        if pattern is not None:
            out["pattern"] = pattern
    if kind == "array":
        items = schema.get("items")
        if items is not None:
            out["items"] = clean_schema(items, source, f"{jpath}.items", warnings)
    elif "items" in schema:
        lenient.drop(f"{jpath}.items", f"'items' on a {kind}")
    if kind == "object":
        out.update(_object(schema, lenient, jpath))
    elif "properties" in schema:
        lenient.drop(f"{jpath}.properties", f"'properties' on a {kind}")
    if "default" in schema:
        ok, value = _coerce(kind, schema["default"])
        if not ok:
            lenient.drop(f"{jpath}.default", f"default {schema['default']!r} is not {_a(kind)}")
        elif "enum" in out and value not in out["enum"]:
            lenient.drop(f"{jpath}.default", f"default {value!r} is not one of the enum's values")
        else:
            if value != schema["default"] or type(value) is not type(schema["default"]):
                lenient.note(f"{jpath}.default", f"default {schema['default']!r} read as {value!r}")
            out["default"] = value
    if schema.get("writeOnly") is True:
        out["writeOnly"] = True
    if "examples" in schema:
        if not isinstance(schema["examples"], list):
            lenient.drop(f"{jpath}.examples", "must be a list")
        else:
            out["examples"] = schema["examples"]
    return out


class _Lenient:
    """Where the reader notes what it coerced or dropped; strict (raises) without a list."""

    def __init__(self, source: str, warnings: list[str] | None) -> None:
        self.source, self.warnings = source, warnings

    def drop(self, json_path: str, reason: str, action: str = "ignored") -> None:
        if self.warnings is None:
            raise SpecError(self.source, json_path, reason)
        warn(self.warnings, self.source, json_path, f"{reason}; {action}")

    def note(self, json_path: str, text: str) -> None:
        warn(self.warnings, self.source, json_path, text)

    def refuse(self, json_path: str, reason: str) -> None:
        raise SpecError(self.source, json_path, reason)


def _check_keys(schema: dict[Any, Any], lenient: _Lenient, jpath: str) -> None:
    for key in schema:
        if not isinstance(key, str):
            lenient.refuse(jpath, "schema keys must be strings")
        if key in _FORBIDDEN or key.startswith(_FORBIDDEN_PREFIXES):
            lenient.refuse(
                f"{jpath}.{key}",
                "refused: this key could steer code generation and is never accepted from a spec",
            )
        if key not in _KEPT and key not in _DROPPED and not key.startswith("x-"):
            lenient.drop(f"{jpath}.{key}", "unsupported schema keyword")


def _coerce(kind: str, value: Any) -> tuple[bool, Any]:
    """(whether ``value`` is, or reads unambiguously as, a ``kind``; the value as one)."""
    return KINDS[kind].loose(value)


def _enum(enum: Any, kind: str, lenient: _Lenient, jpath: str) -> list[Any] | None:
    if not isinstance(enum, list) or not enum:
        lenient.drop(f"{jpath}.enum", "must be a non-empty list")
        return None
    read = [_coerce(kind, v) for v in enum]
    bad = [i for i, (ok, _) in enumerate(read) if not ok]
    if bad:
        lenient.drop(
            f"{jpath}.enum[{bad[0]}]", f"{enum[bad[0]]!r} is not {_a(kind)}", "enum ignored"
        )
        return None
    values = [v for _, v in read]
    if any(not _fits(kind, v) for v in enum):
        lenient.note(f"{jpath}.enum", f"values {enum!r} read as {kind}s {values!r}")
    if len({repr(v) for v in values}) != len(values):
        lenient.drop(f"{jpath}.enum", "values are not unique", "duplicates dropped")
        values = list({repr(v): v for v in values}.values())
    return values


def _bounds(schema: dict[str, Any], kind: str, lenient: _Lenient, jpath: str) -> dict[str, Any]:
    """Numeric ranges, lengths and item counts, each checked and in the right order."""
    out: dict[str, Any] = {}
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if key in schema:
            value = schema[key]
            ok, value = _coerce("number", value)
            if not ok or (isinstance(value, float) and not math.isfinite(value)):
                lenient.drop(f"{jpath}.{key}", "must be a finite number")
            elif not KINDS[kind].numeric:
                lenient.drop(f"{jpath}.{key}", f"does not apply to a {kind}")
            else:
                out[key] = value
    for key in ("minLength", "maxLength", "minItems", "maxItems"):
        if key in schema:
            ok, value = _coerce("integer", schema[key])
            applies = "string" if key.endswith("Length") else "array"
            if not ok or value < 0:
                lenient.drop(f"{jpath}.{key}", "must be a whole number >= 0")
            elif kind != applies:
                lenient.drop(f"{jpath}.{key}", f"does not apply to a {kind}")
            else:
                out[key] = value
    for lo, hi in (("minimum", "maximum"), ("minLength", "maxLength"), ("minItems", "maxItems")):
        if lo in out and hi in out and out[lo] > out[hi]:
            lenient.drop(f"{jpath}.{lo}", f"{lo} {out[lo]} is above {hi} {out[hi]}", "both ignored")
            del out[lo], out[hi]
    return out


def _pattern(pattern: Any, kind: str, lenient: _Lenient, jpath: str) -> str | None:
    if not isinstance(pattern, str) or kind != "string":
        lenient.drop(f"{jpath}.pattern", "must be a string, on a string")
        return None
    try:
        re.compile(pattern)
    except re.error as exc:
        lenient.drop(f"{jpath}.pattern", f"not a valid regular expression: {exc}")
        return None
    if re.search(r"\(\?[=!<]|\\[1-9]", pattern):
        lenient.drop(f"{jpath}.pattern", "look-around and back-references are not supported")
        return None
    return pattern


def _object(schema: dict[str, Any], lenient: _Lenient, jpath: str) -> dict[str, Any]:
    """``properties``, ``required`` and ``additionalProperties`` of an object schema."""
    props = schema.get("properties", {})
    if not isinstance(props, dict):
        lenient.refuse(f"{jpath}.properties", "must be an object")
    out: dict[str, Any] = {"properties": {}}
    for name, sub in props.items():
        if not name or len(name) > 200:
            lenient.refuse(f"{jpath}.properties", f"bad property name {name!r}")
        out["properties"][name] = clean_schema(
            sub, lenient.source, f"{jpath}.properties.{name}", lenient.warnings
        )
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
        lenient.drop(f"{jpath}.required", "must be a list of names")
        required = []
    missing = [r for r in required if r not in out["properties"]]
    if missing and out["properties"]:
        lenient.drop(f"{jpath}.required", f"names unknown properties {missing}", "those ignored")
        required = [r for r in required if r in out["properties"]]
    if required and out["properties"]:
        out["required"] = list(dict.fromkeys(required))
    extra = schema.get("additionalProperties")
    if extra is None:
        extra = not out["properties"]
    if not isinstance(extra, bool):
        lenient.drop(
            f"{jpath}.additionalProperties", "only true or false is supported", "read as true"
        )
        extra = True
    out["additionalProperties"] = extra
    return out


def _a(kind: str) -> str:
    return f"{'an' if kind[:1] in 'aeiou' else 'a'} {kind}"


def _fits(kind: str, value: Any) -> bool:
    return KINDS[kind].fits(value)
