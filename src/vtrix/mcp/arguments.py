"""Every tool call checked against the tool's own published ``inputSchema`` (one validator,
:mod:`jsonschema`, for all tools) before anything runs: a bad call is a tool result the model
can correct — ``invalid_params`` with a problem per field — never a protocol error or a
traceback. A JSON string where the schema declares an object, array, number or boolean (a
common model mistake) is parsed when it is one; an enum value gets a did-you-mean."""

from __future__ import annotations

import difflib
import json
from typing import Any

from vtrix.errors import Problem, ValidationFailed

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
}


def checked(tool: str, schema: dict[str, Any], args: Any) -> dict[str, Any]:
    """``args`` fit for ``schema`` (stringified JSON values parsed), or ValidationFailed
    naming every field that is not."""
    from jsonschema import Draft202012Validator

    if not isinstance(args, dict):
        raise ValidationFailed(tool, [Problem("arguments", "must be a JSON object")])
    args = {str(k): _unstring(schema, str(k), v) for k, v in args.items()}
    errors = sorted(
        Draft202012Validator(schema).iter_errors(args), key=lambda e: list(e.absolute_path)
    )
    if errors:
        raise ValidationFailed(tool, [_problem(e) for e in errors])
    out: dict[str, Any] = args
    return out


def _unstring(schema: dict[str, Any], name: str, value: Any) -> Any:
    """A JSON string given where the schema declares another type, parsed when it is one."""
    declared = (schema.get("properties") or {}).get(name) or {}
    kind = declared.get("type") if isinstance(declared, dict) else None
    if not isinstance(value, str) or kind not in _TYPES:
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    wanted = _TYPES[kind]
    if isinstance(parsed, bool) and bool not in wanted:
        return value
    return parsed if isinstance(parsed, wanted) else value


def _problem(error: Any) -> Problem:
    path = ".".join(str(p) for p in error.absolute_path)
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return Problem(".".join(filter(None, [path, missing])), "required, but not given")
    if validator == "additionalProperties":
        extra = sorted(
            set(error.instance) - set(error.schema.get("properties") or {})
            if isinstance(error.instance, dict)
            else []
        )
        known = ", ".join(sorted(error.schema.get("properties") or {}))
        return Problem(
            ".".join(filter(None, [path, ",".join(extra)])) or "arguments",
            f"not an argument of this tool (it takes: {known})",
        )
    if validator == "enum":
        choices = [str(c) for c in error.validator_value]
        close = difflib.get_close_matches(str(error.instance), choices, n=1)
        mean = f"; did you mean {close[0]!r}?" if close else ""
        return Problem(path, f"expected one of {', '.join(choices)}, got {error.instance!r}{mean}")
    if validator == "type":
        return Problem(
            path, f"expected {error.validator_value}, got {type(error.instance).__name__}"
        )
    shown = repr(error.instance)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    words = {
        "minimum": f"at least {error.validator_value}",
        "maximum": f"at most {error.validator_value}",
        "maxLength": f"at most {error.validator_value} characters",
        "minLength": f"at least {error.validator_value} character(s)",
    }
    expected = words.get(validator, str(error.message)[:120])
    return Problem(path or "arguments", f"expected {expected}, got {shown}")
