"""Text from outside (specs, gateway answers) made safe to show: no control characters, so
an escape sequence from a server can't retitle a terminal or clear a screen."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_KEEP_NEWLINES = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


def clean_text(text: object) -> str:
    """One line: control characters dropped, whitespace folded."""
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def clean_line(text: object, limit: int = 300) -> str:
    """:func:`clean_text`, cut to ``limit`` characters."""
    s = clean_text(text)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def for_terminal(text: str) -> str:
    """``text`` with every control character but line breaks (and tabs) removed."""
    return _CONTROL_KEEP_NEWLINES.sub("", text)
