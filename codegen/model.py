"""What the templates render for one model: its names, typed arguments, nested types and
options, all derived from the normalised spec through :mod:`vtrix.spec.names` (the one
namer) and :mod:`vtrix.spec.describe` (the model description)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vtrix.base.gateways import GATEWAYS
from vtrix.base.text import clean_text
from vtrix.spec.describe import default_text, describe_expected, is_media_input, options
from vtrix.spec.kinds import KINDS
from vtrix.spec.names import class_names, field_names
from vtrix.spec.normalise import ModelSpec
from vtrix.spec.option import Option


@dataclass
class Arg:
    """One keyword argument of the typed functions (one field of ``Params``)."""

    name: str
    wire: str
    annotation: str
    required: bool
    doc: str

    @property
    def renamed(self) -> bool:
        """Its Python name is not its wire name (the wire's is a keyword, or no name)."""
        return self.name != self.wire


@dataclass
class DictType:
    """A TypedDict twin of a nested object class, keyed by wire names."""

    name: str
    items: list[tuple[str, str]]  # (wire name, annotation with Required[...] where needed)


@dataclass
class GenModel:
    spec: ModelSpec
    module: str
    source: str
    args: list[Arg]
    dicts: list[DictType]
    options: list[Option]
    aliases: dict[str, str]  # "Class.wire" -> Python field name, for the pydantic generator
    titled_schema: dict[str, Any] = field(default_factory=dict)
    open: bool = False  # the spec allows parameters it does not list: ``**extra`` takes them


def source_path(spec: ModelSpec) -> str:
    """The spec file a model is generated from (fal's ``fal:a/b`` is ``specs/fal/a__b.json``)."""
    if spec.id.startswith(f"{spec.provider}:"):
        return f"specs/{spec.provider}/{spec.id.split(':', 1)[1].replace('/', '__')}.json"
    return f"specs/{spec.provider}/{spec.id}.json"


def _object_paths(
    schema: dict[str, Any],
    pypath: tuple[str, ...],
    out: list[tuple[str, ...]],
) -> None:
    """Python-name paths of every nested object with properties, depth first (item objects of
    arrays take their array's path plus ``item``)."""
    names = field_names(schema.get("properties", {}))
    for wire, sub in schema.get("properties", {}).items():
        here = (*pypath, names[wire])
        target = sub
        if sub.get("type") == "array" and (sub.get("items") or {}).get("type") == "object":
            target, here = sub["items"], (*here, "item")
        if target.get("type") == "object" and target.get("properties"):
            out.append(here)
            _object_paths(target, here, out)


class _Builder:
    """Walks one schema, naming classes and producing annotations, aliases and TypedDicts."""

    def __init__(self, schema: dict[str, Any], uploads: bool = True) -> None:
        self.uploads = uploads
        paths: list[tuple[str, ...]] = []
        _object_paths(schema, (), paths)
        self.classes = class_names(paths)
        self.aliases: dict[str, str] = {}
        self.dicts: list[DictType] = []

    def annotation(self, schema: dict[str, Any], pypath: tuple[str, ...], wire: str = "") -> str:
        if "enum" in schema:
            return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
        kind = schema["type"]
        media = self.uploads and is_media_input(wire, schema)
        if kind == "array":
            items = schema.get("items")
            if not items:
                return "list[Any]"
            if media:
                return "list[str | PathLike[str]]"
            sub = (*pypath, "item") if items.get("type") == "object" else pypath
            return f"list[{self.annotation(items, sub)}]"
        if media:
            return "str | PathLike[str]"  # a local file is uploaded
        if kind == "object":
            if not schema.get("properties"):
                return "dict[str, Any]"
            cls = self.classes[pypath]
            return f"{cls} | {cls}Dict"
        return KINDS[kind].python

    def titled(self, schema: dict[str, Any], pypath: tuple[str, ...]) -> dict[str, Any]:
        """The schema for datamodel-code-generator: our class names as titles, spec text
        cleaned, annotations that do not change validation dropped; records the aliases and
        the TypedDict of every object on the way (inner ones first)."""
        out: dict[str, Any] = {}
        for key, value in schema.items():
            if key in ("title", "examples"):
                continue
            if key == "description":
                value = clean_text(value)
            elif key == "items":
                sub = (*pypath, "item") if value.get("type") == "object" else pypath
                value = self.titled(value, sub)
            elif key == "properties" and value:
                names = field_names(value)
                cls = self.classes[pypath]
                required = set(schema.get("required", []))
                props, items = {}, []
                for wire, sub in value.items():
                    here = (*pypath, names[wire])
                    props[wire] = self.titled(sub, here)
                    if names[wire] != wire:  # a field named as on the wire needs no alias
                        self.aliases[f"{cls}.{wire}"] = names[wire]
                    ann = self.annotation(sub, here, wire)
                    items.append((wire, f"Required[{ann}]" if wire in required else ann))
                value = props
                if pypath:
                    self.dicts.append(DictType(f"{cls}Dict", items))
            out[key] = value
        if out.get("type") == "object" and out.get("properties"):
            out["title"] = self.classes[pypath]
        return out


def arg_doc(schema: dict[str, Any]) -> str:
    parts = [clean_text(schema.get("description", ""))]
    expected = describe_expected(schema)
    default = default_text(schema)
    if default is not None:
        expected += f"; server default {default}"
    parts.append(f"({clean_text(expected)})")
    return " ".join(p for p in parts if p)


def build_model(spec: ModelSpec, module: str) -> GenModel:
    uploads = GATEWAYS[spec.provider].has_upload  # @FILE / PathLike only where they work
    builder = _Builder(spec.schema, uploads)
    titled = builder.titled(spec.schema, ())
    props = spec.schema.get("properties", {})
    names = field_names(props)
    required = set(spec.schema.get("required", []))
    args = [
        Arg(
            name=names[wire],
            wire=wire,
            annotation=builder.annotation(sub, (names[wire],), wire),
            required=wire in required,
            doc=arg_doc(sub),
        )
        for wire, sub in props.items()
    ]
    return GenModel(
        spec=spec,
        module=module,
        source=source_path(spec),
        args=args,
        dicts=builder.dicts,
        options=options(spec.schema, uploads=uploads),
        aliases=builder.aliases,
        titled_schema=titled,
        open=spec.schema.get("additionalProperties") is True,
    )
