"""A model command's typed options as data: what :func:`vtrix.spec.describe.options` derives
from a schema, and what codegen stores beside each generated spec so that ``vtrix run
MODEL --help`` builds its options without deriving them again."""

from __future__ import annotations

from typing import Any

# Plain classes, not NamedTuples: this module is on the path of every `vtrix run MODEL --help`
# (start-up: docs/architecture.md).

# What a spec open to further fields (``additionalProperties: true`` at the top: a list its
# source showed only in part) says wherever its parameters are shown.
PARTIAL_NOTE = (
    "Partial spec: these are the parameters its documentation lists; it may take others "
    "(pass them with --param NAME=VALUE; sent as given, unchecked)."
)


class _Record:
    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, n) for n in self.__slots__)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._values() == other._values()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({args})"


class Display(_Record):
    """How an option's value looks in help and completion (checked later by validation)."""

    __slots__ = ("choices", "high", "kind", "low")

    def __init__(
        self,
        kind: str,  # "choice", "int", "float", "text", "flag" or "json"
        choices: tuple[str, ...] = (),
        low: float | None = None,
        high: float | None = None,
    ) -> None:
        self.kind, self.choices, self.low, self.high = kind, choices, low, high


class Option(_Record):
    """One typed option of a model command."""

    __slots__ = (
        "default_text",
        "dest",
        "display",
        "flag",
        "help",
        "kind",
        "metavar",
        "multiple",
        "off_flag",
        "path",
        "required",
    )

    def __init__(
        self,
        flag: str,
        off_flag: str | None,  # the ``--no-…`` form of a boolean flag
        dest: str,
        path: tuple[str, ...],  # wire names from the top of the body
        kind: str,  # the parameter's schema type
        display: Display,
        multiple: bool,
        required: bool,
        default_text: str | None,
        help: str,
        metavar: str | None,
    ) -> None:
        self.flag, self.off_flag, self.dest, self.path = flag, off_flag, dest, path
        self.kind, self.display, self.multiple, self.required = kind, display, multiple, required
        self.default_text, self.help, self.metavar = default_text, help, metavar

    @property
    def wire(self) -> str:
        return ".".join(self.path)

    def to_data(self) -> dict[str, Any]:
        data = {n: getattr(self, n) for n in self.__slots__}
        data["display"] = {n: getattr(self.display, n) for n in Display.__slots__}
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Option:
        d = data["display"]
        display = Display(d["kind"], tuple(d["choices"]), d["low"], d["high"])
        return cls(**{**data, "path": tuple(data["path"]), "display": display})


def stored_options(spec: dict[str, Any]) -> list[Option] | None:
    """The options codegen stored beside a generated spec (None: derive them with
    :func:`vtrix.spec.describe.spec_options`)."""
    stored = spec.get("options")
    if isinstance(stored, list):
        return [Option.from_data(o) for o in stored]
    return None
