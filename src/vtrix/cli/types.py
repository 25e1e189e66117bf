"""Click parameter types that show choices and ranges in help and completion, but pass the
text through unchanged: vtrix coerces and validates every value itself, so that all problems
are reported together with the same wording as ``--param``."""

from __future__ import annotations

from typing import Any

import click


class Choice(click.Choice):  # type: ignore[type-arg]
    """Enum values: shown as ``[a|b|c]`` and completed, checked later."""

    def __init__(self, choices: tuple[Any, ...]) -> None:
        super().__init__([str(c) for c in choices])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return value


class IntRange(click.IntRange):
    """An integer, with its range shown in help; checked later."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return value


class FloatRange(click.FloatRange):
    """A number, with its range shown in help; checked later."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return value
