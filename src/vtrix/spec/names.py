"""Checked identifiers: turn wire names from a spec into safe Python names and CLI flags.

Every spec string that becomes a Python identifier goes through :func:`python_name`, which
yields an ASCII identifier that is not a keyword, soft keyword, builtin, pydantic attribute or
a name the generated modules import. :func:`dedupe` makes a list of them unique, deterministically.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata
from collections.abc import Iterable

# Names the generated modules and the typed functions use themselves.
_RESERVED = {
    "annotations",
    "Any",
    "Annotated",
    "Literal",
    "BaseModel",
    "ConfigDict",
    "Field",
    "RootModel",
    "click",
    "Client",
    "Task",
    "Result",
    "Params",
    "MODEL_ID",
    "PROVIDER",
    "SCHEMA",
    "SPEC",
    "run",
    "submit",
    "command",
    "client",
    "timeout",
    "wait",
    "poll_interval",
    "on_progress",
    "self",
    "cls",
    "kwargs",
    "args",
    "params",
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


def python_name(wire: str, *, fallback: str = "param") -> str:
    """Return a safe snake_case ASCII identifier for ``wire``."""
    text = unicodedata.normalize("NFKD", wire).encode("ascii", "ignore").decode("ascii")
    text = _CAMEL.sub("_", text)
    text = _NON_IDENT.sub("_", text).strip("_").lower()
    text = re.sub(r"_+", "_", text)
    if not text:
        text = fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    if text.startswith("model_") or text in _BLOCKED or keyword.iskeyword(text):
        text = f"{text}_"
    assert is_safe_identifier(text), text
    return text


def is_safe_identifier(name: str) -> bool:
    """True when ``name`` is an ASCII identifier that shadows nothing we rely on."""
    return (
        bool(_IDENT.match(name))
        and not keyword.iskeyword(name)
        and not keyword.issoftkeyword(name)
        and name not in _BLOCKED
        and not name.startswith("__")
    )


def dedupe(names: Iterable[str]) -> list[str]:
    """Make names unique in order of appearance: the second ``x`` becomes ``x_2``, and so on."""
    seen: set[str] = set()
    out: list[str] = []
    wanted = list(names)
    taken = set(wanted)
    for name in wanted:
        candidate = name
        n = 2
        while candidate in seen or (candidate != name and candidate in taken):
            candidate = f"{name.rstrip('_')}_{n}"
            n += 1
        seen.add(candidate)
        out.append(candidate)
    return out


def flag_for(path: tuple[str, ...]) -> str:
    """CLI flag for a parameter path of Python names: ``('camera_control','type')`` ->
    ``--camera-control.type``."""
    return "--" + ".".join(part.rstrip("_").replace("_", "-") for part in path)
