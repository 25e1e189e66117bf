"""Keeping API keys out of every output: a masked string type and a redaction filter."""

from __future__ import annotations

_KNOWN: set[str] = set()


class Secret:
    """An API key. ``str()``/``repr()`` show a mask; :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        if len(value) >= 4:
            _KNOWN.add(value)

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        return mask(self._value)

    def problem(self) -> str | None:
        """Why this key cannot go in an ``Authorization`` header, or None when it can."""
        v = self._value
        if not v:
            return "is empty"
        if "\n" in v or "\r" in v:
            return "contains a line break"
        if not v.isascii():
            return "contains non-ASCII characters"
        if any(c.isspace() or not c.isprintable() for c in v):
            return "contains spaces or control characters"
        return None

    def __repr__(self) -> str:
        return f"Secret({self.masked()!r})"

    __str__ = masked

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


def mask(value: str) -> str:
    """``sk-…abcd``-style mask: never more than the last four characters."""
    if len(value) <= 8:
        return "****"
    return f"{value[:3]}…{value[-4:]}" if len(value) >= 16 else f"…{value[-4:]}"


def redact(text: str) -> str:
    """Replace every known key in ``text`` by its mask."""
    for value in sorted(_KNOWN, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "[redacted]")
    return text
