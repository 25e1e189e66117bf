"""One class per parameter type (as openapi-python-client gives each property type its own):
each kind owns its Python type, its command-line wording and reading, what JSON values fit
it, and how a loose spec's value reads as one. Every switch on a schema's ``type`` asks
:func:`kind_of` instead of testing the word itself."""

from __future__ import annotations

import json
import math
import re
from typing import Any

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class Kind:
    """A JSON Schema ``type``: ``string``, ``integer``, ``number``, ``boolean``, ``array``
    or ``object``."""

    name = ""
    python = "Any"  # the annotation in generated code
    metavar = "TEXT"  # on the command line
    numeric = False  # takes minimum/maximum
    display = "text"  # how a command-line option shows and reads it (int, float, text)
    scalar = False  # a JSON number or boolean (written as text by loose specs)
    # Its JSON Schema limits and the pydantic Field argument each becomes.
    limits: tuple[tuple[str, str], ...] = ()

    def fits(self, value: Any) -> bool:
        """Whether a JSON value is of this kind (strictly: ``true`` is not an integer)."""
        raise NotImplementedError

    def loose(self, value: Any) -> tuple[bool, Any]:
        """(whether ``value`` is, or reads unambiguously as, this kind; the value as one):
        how the spec reader takes a loose spec's enum values and defaults."""
        return self.fits(value), value

    def from_text(self, text: str) -> Any:
        """The value command-line ``text`` stands for; ValueError says what was expected."""
        return text

    def pytype(self) -> Any:
        """The Python type validation checks against (arrays and objects: see validate)."""
        return Any


class StringKind(Kind):
    name, python = "string", "str"
    limits = (("minLength", "min_length"), ("maxLength", "max_length"), ("pattern", "pattern"))

    def fits(self, value: Any) -> bool:
        return isinstance(value, str)

    def loose(self, value: Any) -> tuple[bool, Any]:
        if isinstance(value, (int, float)) and math.isfinite(value):  # true too: "true"
            return True, json_scalar(value)
        return self.fits(value), value

    def pytype(self) -> Any:
        return str


_NUMERIC_LIMITS = (
    ("minimum", "ge"),
    ("maximum", "le"),
    ("exclusiveMinimum", "gt"),
    ("exclusiveMaximum", "lt"),
)


class IntegerKind(Kind):
    name, python, metavar, numeric, scalar = "integer", "int", "INTEGER", True, True
    display, limits = "int", _NUMERIC_LIMITS

    def fits(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def loose(self, value: Any) -> tuple[bool, Any]:
        if isinstance(value, float) and value.is_integer():
            return True, int(value)
        number = _number_text(value)
        if number is not None:
            return number.is_integer(), int(number)
        return self.fits(value), value

    def from_text(self, text: str) -> Any:
        try:
            return int(text.strip())
        except ValueError:
            raise ValueError(f"expected an integer, got {text!r}") from None

    def pytype(self) -> Any:
        return int


class NumberKind(Kind):
    name, python, metavar, numeric, scalar = "number", "float", "NUMBER", True, True
    display, limits = "float", _NUMERIC_LIMITS

    def fits(self, value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def loose(self, value: Any) -> tuple[bool, Any]:
        number = _number_text(value)
        if number is not None:
            whole = re.fullmatch(r"[-+]?\d+", str(value).strip())
            return True, int(number) if whole else number
        return self.fits(value), value

    def from_text(self, text: str) -> Any:
        t = text.strip()
        try:
            return int(t)
        except ValueError:
            pass
        try:
            value = float(t)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {text!r}")
        return value

    def pytype(self) -> Any:
        return float


class BooleanKind(Kind):
    name, python, scalar = "boolean", "bool", True

    def fits(self, value: Any) -> bool:
        return isinstance(value, bool)

    def loose(self, value: Any) -> tuple[bool, Any]:
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return True, value.strip().lower() == "true"
        return self.fits(value), value

    def from_text(self, text: str) -> Any:
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {text!r}")

    def pytype(self) -> Any:
        return bool


class _JsonKind(Kind):
    metavar = "JSON"
    want: type = object
    example = ""

    def fits(self, value: Any) -> bool:
        return isinstance(value, self.want)

    def from_text(self, text: str) -> Any:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"expected a JSON {self.name} (e.g. {self.example}), got {text!r}: "
                f"{exc.msg} at column {exc.colno}"
            ) from None
        if not isinstance(value, self.want):
            raise ValueError(f"expected a JSON {self.name}, got {text!r}")
        return value


class ArrayKind(_JsonKind):
    name, python, want = "array", "list[Any]", list
    limits = (("minItems", "min_length"), ("maxItems", "max_length"))
    example = '\'[{"type":"text","text":"hi"}]\''


class ObjectKind(_JsonKind):
    name, python, want = "object", "dict[str, Any]", dict
    example = "'{\"k\":1}'"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (StringKind(), IntegerKind(), NumberKind(), BooleanKind(), ArrayKind(), ObjectKind())
}
SCALAR_TYPES = ("string", "integer", "number", "boolean")
ALL_TYPES = tuple(KINDS)


def kind_of(schema: dict[str, Any] | str | None) -> Kind | None:
    """The kind of a schema (or of a type word); None when it names none."""
    word = schema.get("type") if isinstance(schema, dict) else schema
    return KINDS.get(word) if isinstance(word, str) else None


def json_scalar(value: int | float | bool) -> str:
    """A number or boolean as JSON writes it (``1.5``, ``true``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number_text(value: Any) -> float | None:
    """A finite number written as text, else None."""
    if not isinstance(value, str):
        return None
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None
