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
from vtrix.spec.kinds import KINDS
from vtrix.spec.walk import at

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

    kind = KINDS[schema["type"]]
    constraints = {arg: schema[key] for key, arg in kind.limits if key in schema}
    if "enum" in schema:
        base: Any = Literal[tuple(schema["enum"])]
    elif kind.name == "array":
        items = schema.get("items")
        base = list[_type_for(items, f"{name}Item")] if items else list[Any]  # type: ignore[misc]
    elif kind.name == "object":
        base = _model_for(schema, name) if schema.get("properties") else dict[str, Any]
    else:
        base = kind.pytype()
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
    return at(schema, loc)


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
