"""Which typed options a model's command gets: one per parameter, derived from its schema.

Both the generated command modules (rendered by codegen) and the commands built at run time
for models that are not generated use :func:`option_specs`, so they cannot drift apart.
Nested object fields become dotted options (``--camera-control.type``); the object itself
also takes JSON (``--camera-control '{"type": "simple"}'``). Arrays of scalars repeat the
option; arrays of objects take JSON. A parameter whose flag would clash with one of vtrix's
own options is renamed ``--<name>-param`` and says so in its help.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from vtrix.spec.names import dedupe, flag_for, python_name

# Options every model command has; a parameter must not take these flags.
RUN_OPTION_FLAGS = frozenset(
    {
        "--param",
        "--body",
        "--body-file",
        "--output",
        "--timeout",
        "--no-wait",
        "--wait",
        "--poll-interval",
        "--dry-run",
        "--debug",
        "--quiet",
        "--save",
        "--help",
        "--api-key",
        "--profile",
        "--base-url",
        "--provider",
        "--version",
    }
)


class OptionSpec(NamedTuple):
    """One typed option of a model command."""

    flag: str
    dest: str
    path: tuple[str, ...]
    kind: str
    multiple: bool
    choices: tuple[Any, ...] | None
    minimum: float | None
    maximum: float | None
    required: bool
    default_text: str | None
    help: str
    metavar: str | None

    @property
    def wire(self) -> str:
        return ".".join(self.path)


def _default_text(schema: dict[str, Any]) -> str | None:
    if "default" not in schema:
        return None
    value = schema["default"]
    if isinstance(value, str):
        return value if value else '""'
    import json

    return json.dumps(value)


def _help(schema: dict[str, Any], wire: str, required: bool, renamed: str | None) -> str:
    parts = [" ".join(str(schema.get("description", "")).split())]
    kind = schema.get("type")
    if kind == "object":
        parts.append("(JSON object)")
    elif kind == "array" and (schema.get("items") or {}).get("type") in ("object", "array"):
        parts.append("(JSON array)")
    elif kind == "array":
        parts.append("(repeat for several values)")
    if "minItems" in schema or "maxItems" in schema:
        parts.append(f"[{schema.get('minItems', 0)}–{schema.get('maxItems', '∞')} items]")
    if "minLength" in schema or "maxLength" in schema:
        parts.append(f"[{schema.get('minLength', 0)}–{schema.get('maxLength', '∞')} chars]")
    if renamed:
        parts.append(
            f"(model parameter '{wire}', renamed because {renamed} is a vtrix "
            f"option; --param {wire}=… works too)"
        )
    if required:
        parts.append("[required]")
    default = _default_text(schema)
    if default is not None:
        parts.append(f"[default: {default}]")
    return " ".join(p for p in parts if p)


def option_specs(schema: dict[str, Any]) -> list[OptionSpec]:
    """Typed options for an object schema, in schema order, depth first."""
    out: list[OptionSpec] = []
    _collect(schema, (), (), True, out)
    flags = dedupe(o.flag for o in out)
    return [o._replace(flag=f) for o, f in zip(out, flags, strict=True)]


def _collect(
    schema: dict[str, Any],
    wire_prefix: tuple[str, ...],
    py_prefix: tuple[str, ...],
    parent_required: bool,
    out: list[OptionSpec],
) -> None:
    props = schema.get("properties", {})
    names = dedupe(python_name(w) for w in props)
    required = set(schema.get("required", []))
    for (wire, sub), py in zip(props.items(), names, strict=True):
        path, pypath = (*wire_prefix, wire), (*py_prefix, py)
        flag = flag_for(pypath)
        renamed = None
        if flag in RUN_OPTION_FLAGS:
            renamed, flag = flag, f"{flag}-param"
        kind = sub["type"]
        items = sub.get("items") or {}
        multiple = kind == "array" and items.get("type") in (
            "string",
            "integer",
            "number",
            "boolean",
        )
        enum = sub.get("enum") or (items.get("enum") if multiple else None)
        is_required = wire in required and parent_required and not wire_prefix
        rng = sub if kind in ("integer", "number") else items if multiple else {}
        metavar = None
        if kind == "object" or (kind == "array" and not multiple):
            metavar = "JSON"
        elif not enum:
            metavar = {"string": "TEXT", "integer": "INTEGER", "number": "NUMBER"}.get(
                str(items.get("type")) if multiple else kind
            )
        out.append(
            OptionSpec(
                flag=flag,
                dest="p_" + "__".join(pypath),
                path=path,
                kind=kind,
                multiple=multiple,
                choices=tuple(enum) if enum else None,
                minimum=rng.get("minimum"),
                maximum=rng.get("maximum"),
                required=is_required,
                default_text=_default_text(sub),
                help=_help(sub, ".".join(path), is_required, renamed),
                metavar=metavar,
            )
        )
        if kind == "object" and sub.get("properties"):
            _collect(sub, path, pypath, wire in required, out)
