"""A model command's typed options as data: what :func:`vtrix.spec.describe.options` derives
from a schema, and what codegen stores beside each generated spec so that ``vtrix run
MODEL --help`` builds its options without deriving them again."""

from __future__ import annotations

from typing import Any, NamedTuple


class Display(NamedTuple):
    """How an option's value looks in help and completion (checked later by validation)."""

    kind: str  # "choice", "int", "float", "text", "flag" or "json"
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None


class Option(NamedTuple):
    """One typed option of a model command."""

    flag: str
    off_flag: str | None  # the ``--no-…`` form of a boolean flag
    dest: str
    path: tuple[str, ...]  # wire names from the top of the body
    kind: str  # the parameter's schema type
    display: Display
    multiple: bool
    required: bool
    default_text: str | None
    help: str
    metavar: str | None

    @property
    def wire(self) -> str:
        return ".".join(self.path)

    def to_data(self) -> dict[str, Any]:
        data = self._asdict()
        data["display"] = self.display._asdict()
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Option:
        d = data["display"]
        display = Display(d["kind"], tuple(d["choices"]), d["low"], d["high"])
        return cls(**{**data, "path": tuple(data["path"]), "display": display})


def spec_options(spec: dict[str, Any]) -> list[Option]:
    """The options of a spec as data: stored ones (generated specs), else derived."""
    stored = spec.get("options")
    if isinstance(stored, list):
        return [Option.from_data(o) for o in stored]
    from vtrix.spec.describe import options

    return options(spec["schema"])
