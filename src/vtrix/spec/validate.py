"""Validation of a request body against a model's normalised schema, with pydantic.

Generated models bring their own ``Params`` class; any other model gets a dynamic one built
here from the same normalised schema (tests prove both accept and reject the same inputs).
Validation is strict (JSON semantics: "5" is not an integer). Errors become
:class:`~vtrix.errors.Problem`s that name the path, what was expected and what was given.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from vtrix.errors import Problem
from vtrix.spec.describe import describe_expected

if TYPE_CHECKING:
    from pydantic import BaseModel


def dynamic_model(schema: dict[str, Any]) -> type[BaseModel]:
    """A pydantic model for a normalised object schema (cached per schema)."""
    return _dynamic(json.dumps(schema, sort_keys=True))


@lru_cache(maxsize=256)
def _dynamic(key: str) -> type[BaseModel]:
    return _model_for(json.loads(key), "Params")


def _model_for(schema: dict[str, Any], name: str) -> type[BaseModel]:
    from pydantic import ConfigDict, create_model

    fields: dict[str, Any] = {}
    required = set(schema.get("required", []))
    for i, (wire, sub) in enumerate(schema.get("properties", {}).items()):
        from pydantic import Field

        typ = _type_for(sub, f"{name}_{i}")
        if wire in required:
            fields[f"f{i}"] = (typ, Field(alias=wire))
        else:
            fields[f"f{i}"] = (typ | None, Field(default=None, alias=wire))  # type: ignore[operator]
    extra: Literal["allow", "forbid"] = "allow" if schema.get("additionalProperties") else "forbid"
    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        name, __config__=ConfigDict(extra=extra, populate_by_name=False), **fields
    )
    return model


def _type_for(schema: dict[str, Any], name: str) -> Any:
    from typing import Annotated

    from pydantic import Field

    kind = schema["type"]
    constraints: dict[str, Any] = {}
    if "enum" in schema:
        base: Any = Literal[tuple(schema["enum"])]
    elif kind == "string":
        base = str
        for k, p in (
            ("minLength", "min_length"),
            ("maxLength", "max_length"),
            ("pattern", "pattern"),
        ):
            if k in schema:
                constraints[p] = schema[k]
    elif kind in ("integer", "number"):
        base = int if kind == "integer" else float
        for k, p in (
            ("minimum", "ge"),
            ("maximum", "le"),
            ("exclusiveMinimum", "gt"),
            ("exclusiveMaximum", "lt"),
        ):
            if k in schema:
                constraints[p] = schema[k]
    elif kind == "boolean":
        base = bool
    elif kind == "array":
        items = schema.get("items")
        base = list[_type_for(items, f"{name}Item")] if items else list[Any]  # type: ignore[misc]
        for k, p in (("minItems", "min_length"), ("maxItems", "max_length")):
            if k in schema:
                constraints[p] = schema[k]
    elif schema.get("properties"):
        base = _model_for(schema, name)
    else:
        base = dict[str, Any]
    return Annotated[base, Field(**constraints)] if constraints else base


def validate(
    params: dict[str, Any], schema: dict[str, Any], model: type[BaseModel] | None = None
) -> list[Problem]:
    """Every problem of ``params`` against ``schema`` (empty when valid)."""
    from pydantic import ValidationError

    cls = model or dynamic_model(schema)
    try:
        cls.model_validate(params, strict=True)
    except ValidationError as exc:
        return [_problem(err, schema) for err in exc.errors(include_url=False)]
    return []


def _loc_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _schema_for_loc(schema: dict[str, Any], loc: tuple[Any, ...]) -> dict[str, Any] | None:
    cur: dict[str, Any] | None = schema
    for part in loc:
        if cur is None:
            return None
        if isinstance(part, int):
            cur = cur.get("items") if cur.get("type") == "array" else None
        elif cur.get("type") == "object":
            cur = cur.get("properties", {}).get(part)
        else:
            return None  # a pydantic-internal loc (e.g. a union branch)
    return cur


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _problem(err: Any, schema: dict[str, Any]) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    given = err.get("input")
    # pydantic adds the type name to loc for Literal/union internals; drop non-schema parts.
    while loc and _schema_for_loc(schema, loc) is None and kind != "extra_forbidden":
        loc = loc[:-1]
    path = _loc_path(loc)
    if kind == "missing":
        return Problem(path, "required, but not given")
    if kind == "extra_forbidden":
        parent = _schema_for_loc(schema, loc[:-1]) or {}
        known = list(parent.get("properties", {}))
        name = str(loc[-1])
        import difflib  # only when a name is unknown

        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        if close:
            hint = f"did you mean {close[0]!r}?"
        elif known:
            hint = "known: " + ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
        else:
            hint = "this object takes no parameters"
        return Problem(path, f"unknown parameter; {hint}")
    sub = _schema_for_loc(schema, loc)
    if sub is not None:
        return Problem(path, f"expected {describe_expected(sub)}, got {_show(given)}")
    return Problem(path, f"{err['msg']}, got {_show(given)}")
