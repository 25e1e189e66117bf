"""The one namer: wire names from a spec become checked Python names, CLI flags, class names
and module names here, and nowhere else.

Every spec string that becomes a Python identifier goes through :func:`python_name`, which
yields a :class:`PyName`: an ASCII identifier that is not a keyword, soft keyword, builtin,
pydantic attribute or a name the generated modules use themselves. The pydantic ``Params``
field, the typed function's keyword and the option's ``dest`` of one wire field are all
:func:`field_names` of its object, so they cannot disagree.

Module names come from :func:`assign_module_names`, which keeps every name it ever gave
(the committed lock), so adding a model never renames another.
"""

from __future__ import annotations

import builtins
import functools
import keyword
import re
import unicodedata
from collections.abc import Iterable, Mapping

# Names the generated modules and the typed functions use themselves.
_RESERVED = {
    "annotations",
    "Any",
    "Annotated",
    "Literal",
    "TypedDict",
    "Required",
    "NotRequired",
    "TYPE_CHECKING",
    "BaseModel",
    "ConfigDict",
    "Field",
    "RootModel",
    "Client",
    "AsyncClient",
    "Task",
    "Result",
    "Params",
    "MODEL_ID",
    "PROVIDER",
    "SPEC",
    "run",
    "submit",
    "arun",
    "asubmit",
    "client",
    "timeout",
    "save",
    "wait",
    "self",
    "cls",
    "kwargs",
    "args",
    "params",
    "values",
    "body",
}
# pydantic BaseModel attributes a field must not shadow.
_PYDANTIC = {
    "model_config",
    "model_fields",
    "model_computed_fields",
    "model_extra",
    "model_fields_set",
    "model_construct",
    "model_copy",
    "model_dump",
    "model_dump_json",
    "model_json_schema",
    "model_parametrized_name",
    "model_post_init",
    "model_rebuild",
    "model_validate",
    "model_validate_json",
    "model_validate_strings",
    "dict",
    "json",
    "copy",
    "parse_obj",
    "parse_raw",
    "parse_file",
    "from_orm",
    "construct",
    "schema",
    "schema_json",
    "validate",
    "update_forward_refs",
    "fields",
    "Config",
}
_BLOCKED = (
    set(keyword.kwlist) | set(keyword.softkwlist) | set(dir(builtins)) | _RESERVED | _PYDANTIC
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_IDENT = re.compile(r"[^A-Za-z0-9]+")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\Z")


class PyName(str):
    """A checked identifier: safe as a Python name in generated code. Made only here."""

    __slots__ = ()


def is_safe_identifier(name: str) -> bool:
    """True when ``name`` is an ASCII identifier that shadows nothing we rely on."""
    return (
        bool(_IDENT.match(name))
        and not keyword.iskeyword(name)
        and not keyword.issoftkeyword(name)
        and name not in _BLOCKED
        and not name.startswith("__")
    )


def _snake(wire: str) -> str:
    text = unicodedata.normalize("NFKD", wire).encode("ascii", "ignore").decode("ascii")
    text = _CAMEL.sub("_", text)
    text = _NON_IDENT.sub("_", text).strip("_").lower()
    return re.sub(r"_+", "_", text)


@functools.lru_cache(maxsize=8192)
def python_name(wire: str, *, fallback: str = "param") -> PyName:
    """A safe snake_case ASCII identifier for ``wire``: ``aspectRatio`` -> ``aspect_ratio``,
    ``123start`` -> ``param_123start``, ``type`` -> ``type_``, ``model_dump`` ->
    ``param_model_dump``."""
    text = _snake(wire) or fallback
    if text[0].isdigit() or text.startswith("model_"):
        # digits can't start a name; pydantic reserves the model_ namespace
        text = f"{fallback}_{text}"
    if not is_safe_identifier(text):
        text = f"{text}_"
    if not is_safe_identifier(text):  # e.g. "__x" forms; never reached with _snake output
        raise ValueError(f"cannot make a safe identifier of {wire!r}")
    return PyName(text)


def dedupe(names: Iterable[str]) -> list[PyName]:
    """Make names unique in order of appearance: the second ``x`` becomes ``x_2``, and so on."""
    seen: set[str] = set()
    out: list[PyName] = []
    wanted = list(names)
    taken = set(wanted)
    for name in wanted:
        candidate = name
        n = 2
        while candidate in seen or (candidate != name and candidate in taken):
            candidate = f"{name.rstrip('_')}_{n}"
            n += 1
        seen.add(candidate)
        out.append(PyName(candidate))
    return out


def field_names(wires: Iterable[str]) -> dict[str, PyName]:
    """wire name -> Python name for the fields of one object, in order (the one namer)."""
    return dict(_field_names(tuple(wires)))


@functools.lru_cache(maxsize=4096)
def _field_names(wires: tuple[str, ...]) -> tuple[tuple[str, PyName], ...]:
    return tuple(zip(wires, dedupe(python_name(w) for w in wires), strict=True))


def class_name(path: tuple[str, ...]) -> str:
    """A PascalCase class name for the nested object at ``path`` of Python names
    (``("camera_control", "config")`` -> ``CameraControlConfig``); ``()`` is ``Params``."""
    if not path:
        return "Params"
    return "".join(part.rstrip("_").title().replace("_", "") for part in path) or "Nested"


def class_names(paths: Iterable[tuple[str, ...]]) -> dict[tuple[str, ...], str]:
    """Unique class names for the nested objects at ``paths`` (in order), each leaving room
    for its TypedDict twin ``<name>Dict``; the root ``()`` is always ``Params``."""
    taken = {"Params", "ParamsDict"}
    out: dict[tuple[str, ...], str] = {(): "Params"}
    for path in paths:
        if not path:
            continue
        base = class_name(path)
        name, n = base, 2
        while (
            name in taken
            or f"{name}Dict" in taken
            or not is_safe_identifier(name)
            or not is_safe_identifier(f"{name}Dict")
        ):
            name = f"{base}{n}"
            n += 1
        taken |= {name, f"{name}Dict"}
        out[path] = name
    return out


def flag_for(path: tuple[str, ...]) -> str:
    """CLI flag for a parameter path of Python names: ``('camera_control','type')`` ->
    ``--camera-control.type``."""
    return "--" + ".".join(part.rstrip("_").replace("_", "-") for part in path)


def module_name(model_id: str) -> PyName:
    """The module name a model id would like: ``google/veo-3.1-t2v`` -> ``google_veo_3_1_t2v``
    (a gateway's prefix is read as a word: ``fal:fal-ai/flux/dev`` -> ``fal_fal_ai_flux_dev``)."""
    return python_name(model_id.replace("/", "_").replace(":", "_"), fallback="model")


def assign_module_names(ids: Iterable[str], lock: Mapping[str, str]) -> dict[str, str]:
    """The lock extended with names for ``ids`` it does not hold yet (in sorted id order).

    A name once given is never given to another id, even after its model is gone, so an
    import that worked never silently means another model.
    """
    out = dict(lock)
    taken = set(out.values())
    for model_id in sorted(set(ids) - set(out)):
        base = module_name(model_id)
        name, n = str(base), 2
        while name in taken:
            name = f"{base.rstrip('_')}_{n}"
            n += 1
        out[model_id] = name
        taken.add(name)
    return dict(sorted(out.items()))
