"""Text from outside (specs, gateway answers) made safe to show: no control characters, so
an escape sequence from a server can't retitle a terminal or clear a screen."""

from __future__ import annotations

# C0 and C1 controls, line/paragraph separators and bidi overrides/isolates. Translation
# tables, not a regex (start-up: docs/architecture.md).
_CONTROLS = [
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]
_TO_SPACE = dict.fromkeys(_CONTROLS, " ")
_DROP_KEEP_NEWLINES = dict.fromkeys((c for c in _CONTROLS if c not in (0x09, 0x0A)), None)


def clean_text(text: object) -> str:
    """One line: control characters dropped, whitespace folded."""
    return " ".join(str(text).translate(_TO_SPACE).split())


def clean_line(text: object, limit: int = 300) -> str:
    """:func:`clean_text`, cut to ``limit`` characters."""
    s = clean_text(text)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def for_terminal(text: str) -> str:
    """``text`` with every control character but line breaks (and tabs) removed."""
    return text.translate(_DROP_KEEP_NEWLINES)


# In JSON every one of them may be written as \uXXXX: escaped, the data stays whole and the
# text stays harmless on a terminal (json.dumps escapes only C0 when not ensure_ascii).
_JSON_ESCAPES = {c: f"\\u{c:04x}" for c in _CONTROLS if c >= 0x7F}


def escape_json_controls(text: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with C1 controls, line and
    paragraph separators and bidi controls written as ``\\uXXXX``: same data, safe to print."""
    return text.translate(_JSON_ESCAPES)


def human_size(n: float) -> str:
    """``300 MB``, ``16 MB``, ``512 bytes`` (powers of 1024)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "bytes" or n >= 10 else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.0f} GB"


def count(n: int | None, noun: str, plural: str = "") -> str:
    """``1 task``, ``3 tasks``, ``no tasks`` (None: not known)."""
    if n is None:
        return f"an unknown number of {plural or noun + 's'}"
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
