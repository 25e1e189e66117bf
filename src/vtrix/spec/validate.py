"""Validation of a request body against a model's normalised schema: one checker for every
front end (the command line, the SDK and its typed functions, MCP and the sandbox), with the
spec's own kinds — no pydantic, so that the command line's run path is as light as its help.
It accepts and refuses what the generated ``Params`` classes do (strict JSON semantics:
``"5"`` is not an integer, ``true`` is not a number; an optional field may be ``null``; and,
stricter than pydantic's ``Literal``, ``false`` is not ``0``), and every problem names its
path (``content[0].text``): a property test holds the two side by side.
"""

from __future__ import annotations

import json
import math
import operator
import re
from typing import Any

from vtrix.errors import Problem
from vtrix.spec.describe import describe_expected
from vtrix.spec.kinds import kind_of


def validate(body: Any, schema: dict[str, Any]) -> list[Problem]:
    """Every problem of ``body`` against the object ``schema`` (empty when valid)."""
    out: list[Problem] = []
    _object(body, schema, "", out)
    return out


def _object(value: Any, schema: dict[str, Any], path: str, out: list[Problem]) -> None:
    if not isinstance(value, dict):
        out.append(_expected(path, schema, value))
        return
    props: dict[str, Any] = schema.get("properties") or {}
    if not props and path:
        return  # a free-form object: any content
    for name in schema.get("required") or ():
        if name in props and name not in value:
            out.append(Problem(_join(path, name), "required, but not given"))
    for name, item in value.items():
        sub = props.get(name)
        where = _join(path, str(name))
        if sub is None:
            if not schema.get("additionalProperties"):
                out.append(Problem(where, _unknown(str(name), list(props))))
            continue
        if item is None and name not in (schema.get("required") or ()):
            continue
        _value(item, sub, where, out)


def _value(value: Any, schema: dict[str, Any], path: str, out: list[Problem]) -> None:
    kind = kind_of(schema)
    if kind is None:
        return
    if kind.name == "object" and "enum" not in schema:
        _object(value, schema, path, out)  # (which refuses what is not an object)
        return
    if "enum" in schema:
        if not _member(value, schema["enum"]):
            out.append(_expected(path, schema, value))
        return
    if not kind.fits(value):
        out.append(_expected(path, schema, value))
        return
    if not _within(value, schema):
        out.append(_expected(path, schema, value))
        return
    items = schema.get("items")
    if kind.name == "array" and isinstance(items, dict):
        for i, item in enumerate(value):
            _value(item, items, f"{path}[{i}]", out)


def _member(value: Any, allowed: list[Any]) -> bool:
    """``value`` is one of ``allowed`` (as the typed classes see it: ``1.0`` is ``1``, but
    ``true`` is not, nor is ``"1"``)."""
    return any(
        value == v
        and isinstance(value, bool) == isinstance(v, bool)
        and isinstance(value, str) == isinstance(v, str)
        for v in allowed
    )


def _within(value: Any, schema: dict[str, Any]) -> bool:
    if isinstance(value, (str, list)):
        n = len(value)
        lo = schema.get("minLength" if isinstance(value, str) else "minItems")
        hi = schema.get("maxLength" if isinstance(value, str) else "maxItems")
        if (lo is not None and n < lo) or (hi is not None and n > hi):
            return False
        pattern = schema.get("pattern")
        return not (isinstance(value, str) and pattern and not re.search(pattern, value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and not math.isfinite(value):
            return False
        checks = (
            ("minimum", operator.ge),
            ("maximum", operator.le),
            ("exclusiveMinimum", operator.gt),
            ("exclusiveMaximum", operator.lt),
        )
        return all(key not in schema or ok(value, schema[key]) for key, ok in checks)
    return True


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _expected(path: str, schema: dict[str, Any], value: Any) -> Problem:
    return Problem(path, f"expected {describe_expected(schema)}, got {_show(value)}")


def _show(value: Any) -> str:
    """A given value as JSON, cut to 80 characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _unknown(name: str, known: list[str]) -> str:
    """What to say of a parameter the schema does not list."""
    import difflib  # only when a name is unknown

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        hint = f"did you mean {close[0]!r}?"
    elif known:
        hint = "known: " + ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
    else:
        hint = "this object takes no parameters"
    return f"unknown parameter; {hint}"
