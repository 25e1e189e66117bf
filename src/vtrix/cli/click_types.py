"""The model description's display types as click types, and its options as click options.

The types show choices and ranges in help and completion but pass the text through
unchanged: vtrix coerces and validates every value itself, so that all problems are
reported together with the same wording as ``--param``.
"""

from __future__ import annotations

from typing import Any

import click

from vtrix.spec.option import Display, Option


class Choice(click.Choice):  # type: ignore[type-arg]
    """Enum values: shown as ``[a|b|c]`` and completed, checked later."""

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


def click_type(display: Display) -> click.ParamType:  # type: ignore[type-arg]
    if display.kind == "choice":
        return Choice(list(display.choices))
    bounded = display.low is not None or display.high is not None
    if display.kind == "int" and bounded:
        return IntRange(
            None if display.low is None else int(display.low),
            None if display.high is None else int(display.high),
        )
    if display.kind == "float" and bounded:
        return FloatRange(display.low, display.high)
    return click.STRING


def click_option(opt: Option) -> click.Option:
    """The click option of one model parameter."""
    if opt.off_flag:
        return click.Option([f"{opt.flag}/{opt.off_flag}", opt.dest], default=None, help=opt.help)
    option = click.Option(
        [opt.flag, opt.dest],
        type=click_type(opt.display),
        multiple=opt.multiple,
        default=None,
        metavar=opt.metavar,
        help=opt.help,
    )
    option.vtrix_wire_name = ".".join(opt.path)  # type: ignore[attr-defined]
    return option


_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class Duration(click.ParamType):  # type: ignore[type-arg]
    """Seconds, as a number or with a unit: ``90``, ``90s``, ``5m``, ``2h``, ``7d``."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, (int, float)):
            seconds = float(value)
        else:
            text = str(value).strip().lower()
            unit = text[-1:] if text[-1:] in "smhd" else ""
            try:
                seconds = float(text[: len(text) - len(unit)]) * _UNITS[unit]
            except ValueError:
                self.fail(f"{value!r} is not a duration (say 90, 90s, 5m, 2h or 7d)", param, ctx)
        if not seconds >= 0 or seconds == float("inf"):
            self.fail(f"{value!r} is not a duration of 0 or more seconds", param, ctx)
        return seconds


DURATION = Duration()


class Word(click.ParamType):  # type: ignore[type-arg]
    """One of a few words (case-insensitive): an unknown one is a usage error with a
    did-you-mean (exit 2), never an empty answer; completed in the shell. ``words`` may be a
    function, for lists read when needed (the index's types)."""

    name = "word"

    def __init__(self, words: tuple[str, ...] | Any, what: str) -> None:
        self.words, self.what = words, what

    def known(self) -> list[str]:
        return list(self.words() if callable(self.words) else self.words)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        import difflib

        want = str(value).strip().lower()
        known = self.known()
        if want in known:
            return want
        close = difflib.get_close_matches(want, known, n=3, cutoff=0.6)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        article = "an" if self.what[:1] in "aeiou" else "a"
        self.fail(f"{value!r} is not {article} {self.what}.{hint} ({', '.join(known)})", param, ctx)

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
        from click.shell_completion import CompletionItem

        return [CompletionItem(w) for w in self.known() if w.startswith(incomplete.lower())]

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        words = self.known()
        return "[" + "|".join(words) + "]" if len(words) <= 8 else "WORD"
