"""The model description: what a model's parameters look like to people and programs.

Built from a normalised schema (:class:`vtrix.spec.normalise.ModelSpec`), with no click and
no pydantic: the CLI turns :class:`Option`s into click options, codegen renders docs and
typed functions from the same objects, and error messages use :func:`describe_expected`.

Options: one per parameter, depth first. Nested object fields are dotted options
(``--camera-control.type``); the object itself takes JSON. Arrays of scalars repeat the
option; arrays of objects take JSON. A flag never shadows another: a parameter whose flag
is one of vtrix's own options, or the ``--no-…`` form of a boolean parameter, becomes
``--<name>-param`` and says so in its help.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from vtrix.base.record import record
from vtrix.base.text import clean_text
from vtrix.spec.kinds import SCALAR_TYPES, kind_of
from vtrix.spec.names import field_names, flag_for
from vtrix.spec.option import Display, Option, stored_options
from vtrix.spec.walk import at, walk

# Flags vtrix's own commands use (or keep for themselves); a parameter never takes one.
RESERVED_FLAGS = frozenset(
    {
        "--param",
        "--body",
        "--body-file",
        "--output",
        "--timeout",
        "--wait",
        "--no-wait",
        "--poll-interval",
        "--max-cost",
        "--allow-unpriced",
        "--dry-run",
        "--debug",
        "--quiet",
        "--save",
        "--overwrite",
        "--max-download-size",
        "--allow-private-network",
        "--idempotency-key",
        "--resend-unknown",
        "--help",
        "--api-key",
        "--profile",
        "--base-url",
        "--provider",
        "--version",
        "--model",
        "--yes",
    }
)
_URL_WORD = re.compile(r"\b(urls?|uris?)\b", re.I)
_MEDIA_NAME = re.compile(r"(image|img|video|audio|mask|frame|photo|picture|clip)", re.I)
_NOT_MEDIA = re.compile(
    r"(setting|mode|_id|\bids?\b|type|format|ratio|size|count|num|duration|strength|fps|"
    r"resolution|quality|style)",
    re.I,
)


def is_media_input(wire: str, schema: dict[str, Any] | None) -> bool:
    """Whether a parameter takes a media URL (so ``@FILE`` there means a local file): a
    string (or array of strings) named or described as a URL, or named after a kind of
    media (``image``, ``first_frame``, ``referenceImages``) and not a setting of one."""
    if not schema:
        return False
    target = (schema.get("items") or {}) if schema.get("type") == "array" else schema
    if target.get("type") != "string" or "enum" in target:
        return False
    words = re.sub(r"(?<=[a-z])(?=[A-Z])|_|-", " ", wire)
    description = str(schema.get("description", ""))
    if _URL_WORD.search(f"{words} {description}"):
        return True
    return (
        bool(_MEDIA_NAME.search(wire))
        and not _NOT_MEDIA.search(words)
        and not re.search(r"\b(id|mode)\b", description, re.I)
    )


def default_text(schema: dict[str, Any]) -> str | None:
    """A schema's default as shown to people, or None without one."""
    if "default" not in schema:
        return None
    value = schema["default"]
    if isinstance(value, str):
        return clean_text(value) if value else '""'
    return json.dumps(value, ensure_ascii=False)


def _count(n: int, unit: str) -> str:
    return f"{n} {unit if n != 1 else unit[:-1]}"


def size_phrase(schema: dict[str, Any]) -> str:
    """``of 1–3 items``, ``of exactly 1 item``, ``of at most 10 characters``, or ``""``."""
    unit = "characters" if schema.get("type") == "string" else "items"
    lo = schema.get("minLength", schema.get("minItems"))
    hi = schema.get("maxLength", schema.get("maxItems"))
    if lo is not None and hi is not None:
        return f"of exactly {_count(lo, unit)}" if lo == hi else f"of {lo}–{hi} {unit}"
    if lo is not None:
        return f"of at least {_count(lo, unit)}"
    if hi is not None:
        return f"of at most {_count(hi, unit)}"
    return ""


def range_phrase(schema: dict[str, Any]) -> str:
    """A number's bounds in words — ``in range 3–10``, ``>= 3``, ``< 10``, ``equal to 3`` —
    or ``""``: the one wording of ranges (errors, --help, docs, `models spec`)."""
    lo = schema.get("minimum", schema.get("exclusiveMinimum"))
    hi = schema.get("maximum", schema.get("exclusiveMaximum"))
    if lo is not None and hi is not None:
        return f"equal to {lo}" if lo == hi else f"in range {lo}–{hi}"
    if lo is not None:
        return f">= {lo}" if "minimum" in schema else f"> {lo}"
    if hi is not None:
        return f"<= {hi}" if "maximum" in schema else f"< {hi}"
    return ""


def describe_expected(schema: dict[str, Any]) -> str:
    """What a schema accepts, in words: ``an integer in range 3–10``."""
    kind = str(schema.get("type", "value"))
    if "enum" in schema:
        values = [
            json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
            for v in schema["enum"]
        ]
        if len(values) == 1:
            return f"{values[0]} (the only value allowed)"
        return "one of " + " | ".join(values)
    article = "an" if kind[0] in "aeiou" else "a"
    text = f"{article} {kind}" + (f" {range_phrase(schema)}" if range_phrase(schema) else "")
    sizes = size_phrase(schema)
    if sizes:
        text += f" {sizes}"
    if "pattern" in schema:
        text += f" matching {schema['pattern']}"
    return text


# ------------------------------------------------------------------------------ fields


@record(frozen=True)
class FieldInfo:
    """One field anywhere in a body: ``camera_control.type`` or ``content[].text``."""

    path: str
    kind: str  # "string", "integer[]", "object[]" …
    required: bool  # required where it stands (inside its parent, if nested)
    parent: str  # "" at the top; else the path of the object it belongs to
    schema: dict[str, Any]


def type_label(schema: dict[str, Any]) -> str:
    kind = str(schema.get("type"))
    if kind == "array" and (schema.get("items") or {}).get("type"):
        return f"{schema['items']['type']}[]"
    return kind


def fields(schema: dict[str, Any]) -> Iterator[FieldInfo]:
    """Every field of an object schema, depth first, through objects and arrays of objects."""
    for node in walk(schema, into_arrays=True):
        name = ".".join(node.path).replace(".[]", "[]")
        parent = ".".join(node.parent).replace(".[]", "[]")
        yield FieldInfo(name, type_label(node.schema), node.required, parent, node.schema)


# ----------------------------------------------------------------------------- options


def _display(kind: str, sub: dict[str, Any], multiple: bool) -> Display:
    items = sub.get("items") or {}
    enum = sub.get("enum") or (items.get("enum") if multiple else None)
    if kind == "boolean":
        return Display("flag")
    if enum:
        return Display("choice", tuple(str(v) for v in enum))
    if kind in ("object", "array") and not multiple:
        return Display("json")
    rng = items if multiple else sub
    value_kind = kind_of(str(items.get("type")) if multiple else kind)
    if value_kind is not None and value_kind.numeric:
        return Display(value_kind.display, low=rng.get("minimum"), high=rng.get("maximum"))
    return Display("text")


def _metavar(display: Display, kind: str, sub: dict[str, Any], multiple: bool) -> str | None:
    if display.kind in ("choice", "flag"):
        return None
    if display.kind == "json":
        return "JSON"
    value_kind = kind_of(str((sub.get("items") or {}).get("type")) if multiple else kind)
    return value_kind.metavar if value_kind is not None and value_kind.numeric else "TEXT"


def item_fields(items: dict[str, Any]) -> str:
    """The fields of an array's object items, in one line: ``type (string, required),
    text (string)``."""
    out = []
    for f in fields(items):
        if f.parent:  # nested deeper: the models spec and the docs show those
            continue
        values = f.schema.get("enum")
        kind = f.kind + (": " + "|".join(str(v) for v in values) if values else "")
        out.append(f"{f.path} ({kind}{', required' if f.required else ''})")
    return ", ".join(out) or "any fields"


def _help(
    schema: dict[str, Any], wire: str, required: bool, renamed: str | None, uploads: bool = True
) -> str:
    parts = [clean_text(schema.get("description", ""))]
    kind = schema.get("type")
    if kind == "object":
        parts.append("(JSON object)")
    elif kind == "array" and (schema.get("items") or {}).get("type") == "object":
        parts.append(f"(JSON array of objects: {item_fields(schema['items'])})")
    elif kind == "array" and (schema.get("items") or {}).get("type") == "array":
        parts.append("(JSON array)")
    elif kind == "array":
        parts.append("(repeat for several values)")
    sizes = size_phrase(schema)
    if sizes:
        parts.append(f"[{sizes}]")
    if uploads and is_media_input(wire.rsplit(".", 1)[-1], schema):
        parts.append("(a URL, or @FILE to upload a local file)")
    if schema.get("writeOnly") is True:
        parts.append("(secret: never shown or logged)")
    if renamed:
        parts.append(
            f"(model parameter '{clean_text(wire)}', renamed because {renamed} is taken; "
            f"--param {clean_text(wire)}=… works too)"
        )
    if required:
        parts.append("[required]")
    default = default_text(schema)
    if default is not None:
        parts.append(f"[default: {default}]")
    return " ".join(p for p in parts if p)


@record(frozen=True)
class _Raw:
    path: tuple[str, ...]
    pypath: tuple[str, ...]
    schema: dict[str, Any]
    required: bool


def options(schema: dict[str, Any], *, uploads: bool = True) -> list[Option]:
    """Typed options for an object schema, in schema order, depth first. ``uploads``: the
    model's gateway has an upload route, so media parameters also take ``@FILE``."""
    raws = [_Raw(n.path, _pypath(schema, n.path), n.schema, n.top_required) for n in walk(schema)]
    wanted = [flag_for(r.pypath) for r in raws]
    off_flags = {
        "--no-" + w[2:]
        for w, r in zip(wanted, raws, strict=True)
        if r.schema.get("type") == "boolean"
    }
    taken: set[str] = set(RESERVED_FLAGS)
    out: list[Option] = []
    for raw, flag in zip(raws, wanted, strict=True):
        kind = str(raw.schema["type"])
        is_flag = kind == "boolean"
        renamed = None
        clash = flag in RESERVED_FLAGS or (not is_flag and flag in off_flags)
        if is_flag and "--no-" + flag[2:] in RESERVED_FLAGS:
            clash = True
        if clash:
            renamed, flag = flag, f"{flag}-param"
        base, n = flag, 2
        while flag in taken or (is_flag and "--no-" + flag[2:] in taken):
            flag = f"{base}-{n}"
            n += 1
        off = "--no-" + flag[2:] if is_flag else None
        taken.update(f for f in (flag, off) if f)
        items = raw.schema.get("items") or {}
        multiple = kind == "array" and items.get("type") in SCALAR_TYPES
        display = _display(kind, raw.schema, multiple)
        out.append(
            Option(
                flag=flag,
                off_flag=off,
                dest="p_" + "__".join(raw.pypath),
                path=raw.path,
                kind=kind,
                display=display,
                multiple=multiple,
                required=raw.required,
                default_text=default_text(raw.schema),
                help=_help(raw.schema, ".".join(raw.path), raw.required, renamed, uploads),
                metavar=_metavar(display, kind, raw.schema, multiple),
            )
        )
    return out


def spec_options(spec: dict[str, Any]) -> list[Option]:
    """The options of a spec as data: stored ones (generated specs), else derived."""
    stored = stored_options(spec)
    if stored is not None:
        return stored
    from vtrix.base.gateways import GATEWAYS

    gateway = GATEWAYS.get(str(spec.get("provider")))
    return options(spec["schema"], uploads=gateway is None or gateway.has_upload)


def _pypath(schema: dict[str, Any], path: tuple[str, ...]) -> tuple[str, ...]:
    """The Python names of a wire path (each level named as its siblings are)."""
    out: list[str] = []
    for depth, wire in enumerate(path):
        parent = at(schema, path[:depth]) or {}
        out.append(field_names(parent.get("properties", {}))[wire])
    return tuple(out)
