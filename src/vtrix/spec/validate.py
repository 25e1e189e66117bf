"""Validation of a request body against a model's normalised schema: with the generated
``Params`` class when the typed SDK passes one (pydantic, strict: "5" is not an integer),
else with the spec's own kinds (:mod:`vtrix.spec.check`, no pydantic; a property test proves
both accept and refuse the same inputs). Errors become :class:`~vtrix.errors.Problem`s that
name the path, what was expected and what was given.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vtrix.errors import Problem
from vtrix.spec.check import check, show, unknown_name
from vtrix.spec.describe import describe_expected
from vtrix.spec.walk import at

if TYPE_CHECKING:
    from pydantic import BaseModel


def validate(
    params: dict[str, Any], schema: dict[str, Any], model: type[BaseModel] | None = None
) -> list[Problem]:
    """Every problem of ``params`` against ``schema`` (empty when valid)."""
    if model is None:
        return check(params, schema)
    from pydantic import ValidationError

    try:
        model.model_validate(params, strict=True)
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
        return Problem(path, unknown_name(str(loc[-1]), list(parent.get("properties", {}))))
    sub = _schema_for_loc(schema, loc)
    if sub is not None:
        return Problem(path, f"expected {describe_expected(sub)}, got {show(given)}")
    return Problem(path, f"{err['msg']}, got {show(given)}")
