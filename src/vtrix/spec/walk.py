"""The one walk over a normalised object schema: every property, depth first, through
nested objects (and, when asked, arrays of objects), and the sub-schema at a path. The
options, the field tables, the spec diff, codegen and the body builder all walk with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

ITEMS = "[]"  # the path step into an array's items


class Node:
    """One property: its wire path from the top of the body, its schema, and whether its
    object requires it (``top_required``: required all the way from the top)."""

    __slots__ = ("path", "required", "schema", "top_required")

    def __init__(
        self, path: tuple[str, ...], schema: dict[str, Any], required: bool, top_required: bool
    ) -> None:
        self.path, self.schema, self.required, self.top_required = (
            path,
            schema,
            required,
            top_required,
        )

    @property
    def parent(self) -> tuple[str, ...]:
        return self.path[:-1]


def walk(
    schema: dict[str, Any],
    *,
    into_arrays: bool = False,
    prefix: tuple[str, ...] = (),
    top: bool = True,
) -> Iterator[Node]:
    """Every property of an object schema, depth first (an array of objects's item
    properties too, under ``[]``, when ``into_arrays``)."""
    required = set(schema.get("required", []))
    for name, sub in schema.get("properties", {}).items():
        path = (*prefix, name)
        yield Node(path, sub, name in required, top and name in required)
        if sub.get("type") == "object" and sub.get("properties"):
            yield from walk(sub, into_arrays=into_arrays, prefix=path, top=False)
        items = sub.get("items") or {}
        if into_arrays and sub.get("type") == "array" and items.get("type") == "object":
            yield from walk(items, into_arrays=True, prefix=(*path, ITEMS), top=False)


def at(schema: dict[str, Any] | None, path: tuple[Any, ...]) -> dict[str, Any] | None:
    """The sub-schema at ``path`` (names through objects; an int or ``[]`` into an
    array's items), or None where the schema says nothing."""
    cur = schema
    for part in path:
        if cur is None:
            return None
        if isinstance(part, int) or part == ITEMS:
            cur = cur.get("items") if cur.get("type") == "array" else None
        elif cur.get("type") == "object":
            cur = cur.get("properties", {}).get(part)
        else:
            return None
    return cur
