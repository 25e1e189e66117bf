"""Turning command-line input into a request body: ``--param``, ``--body`` and typed options.

``--param key=value`` splits at the first ``=``; dots in the key nest (``a.b=1``); values are
coerced to the type the spec declares at that path (a string stays a string even when it
looks like a number; arrays and objects are JSON). A key given twice, or ``a=1`` together
with ``a.b=2``, is a problem. Every problem is collected; nothing stops at the first.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from vtrix.errors import Problem
from vtrix.files.uploads import from_text
from vtrix.spec.describe import is_media_input
from vtrix.spec.kinds import kind_of
from vtrix.spec.walk import at

Path = tuple[str, ...]


def dotted(path: Path) -> str:
    return ".".join(path)


def schema_at(schema: dict[str, Any] | None, path: Path) -> dict[str, Any] | None:
    """The sub-schema at ``path`` (through object properties), or None if unknown."""
    return at(schema, path)


def parse_assignment(item: str) -> tuple[Path | None, str, Problem | None]:
    """``a.b=value`` -> (("a", "b"), "value"). Splits at the first ``=`` only."""
    if "=" not in item:
        return None, "", Problem(item, "expected key=value (e.g. --param duration=6)")
    key, value = item.split("=", 1)
    path = tuple(key.strip().split("."))
    if not key.strip() or any(not p for p in path):
        return None, "", Problem(key or "(empty)", f"bad parameter name in {item!r}")
    return path, value, None


def coerce(text: str, schema: dict[str, Any] | None, where: str) -> tuple[Any, Problem | None]:
    """Convert command-line ``text`` to the type the spec wants at ``where`` (its kind
    reads it: :mod:`vtrix.spec.kinds`)."""
    kind = kind_of(schema)
    if kind is not None:
        try:
            return kind.from_text(text), None
        except ValueError as exc:
            return text, Problem(where, str(exc))
    # Not in the spec (an open schema, or an unknown key validation will report): JSON if
    # it parses as JSON, else the text itself.
    try:
        return json.loads(text), None
    except json.JSONDecodeError:
        return text, None


class BodyBuilder:
    """Accumulates one request body from a base object plus path/value assignments."""

    def __init__(
        self,
        schema: dict[str, Any] | None,
        base: dict[str, Any] | None = None,
    ) -> None:
        self.schema = schema
        self.body: dict[str, Any] = copy.deepcopy(base) if base else {}
        self.problems: list[Problem] = []
        self._given: dict[Path, str] = {}

    def add_text(self, path: Path, text: str, origin: str) -> None:
        """Add a command-line string, coerced by the spec (``@FILE`` is a local file where
        the parameter takes a media URL)."""
        schema = schema_at(self.schema, path)
        value, problem = coerce(text, schema, dotted(path))
        if problem:
            self.problems.append(problem)
            return
        if isinstance(value, str) and is_media_input(path[-1], schema):
            value = from_text(value)
        self.add_value(path, value, origin)

    def add_texts(self, path: Path, texts: list[str], origin: str) -> None:
        """Add a repeated option's strings as one array, each coerced by the item schema."""
        schema = schema_at(self.schema, path) or {}
        items_schema = schema.get("items")
        media = is_media_input(path[-1], schema)
        items, problems = [], []
        for text in texts:
            item, problem = coerce(text, items_schema, dotted(path))
            items.append(from_text(item) if media and isinstance(item, str) else item)
            if problem:
                problems.append(problem)
        if problems:
            self.problems.extend(problems)
        else:
            self.add_value(path, items, origin)

    def add_value(self, path: Path, value: Any, origin: str) -> None:
        """Add an already typed value."""
        where = dotted(path)
        if path in self._given:
            self.problems.append(
                Problem(where, f"given twice ({self._given[path]} and {origin}); give it once")
            )
            return
        for other, other_origin in self._given.items():
            shorter, longer = (other, path) if len(other) < len(path) else (path, other)
            if longer[: len(shorter)] == shorter:
                self.problems.append(
                    Problem(
                        where,
                        f"conflicts with {dotted(other)} ({other_origin} and {origin}): "
                        f"set either {dotted(shorter)} as a whole or its fields",
                    )
                )
                return
        self._given[path] = origin
        node = self.body
        for i, part in enumerate(path[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                self.problems.append(
                    Problem(
                        where,
                        f"{dotted(path[: i + 1])} is already {json.dumps(child)} "
                        f"(from --body), not an object",
                    )
                )
                return
            node = child
        node[path[-1]] = value

    def add_params(self, items: list[str]) -> None:
        for item in items:
            path, text, problem = parse_assignment(item)
            if problem:
                self.problems.append(problem)
            elif path is not None:
                self.add_text(path, text, f"--param {item.split('=', 1)[0]}=…")


def load_body(
    body: str | None,
    body_file: str | None,
    stdin_text: str | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """Parse ``--body`` / ``--body-file`` (``-`` is stdin) into the base object."""
    if body is not None and body_file is not None:
        return {}, [Problem("--body", "give --body or --body-file, not both")]
    if body is None and body_file is None:
        return {}, []
    if body_file is not None:
        where = f"--body-file {body_file}"
        if body_file == "-":
            text = stdin_text if stdin_text is not None else ""
        else:
            try:
                with open(body_file, encoding="utf-8") as fh:
                    text = fh.read()
            except OSError as exc:
                return {}, [Problem(where, f"cannot read the file: {exc.strerror}")]
        if not text.strip():
            what = "stdin was empty" if body_file == "-" else "the file is empty"
            return {}, [
                Problem(where, f'{what}: expected a JSON object, e.g. {{"prompt": "a cat"}}')
            ]
    else:
        where, text = "--body", body or ""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return {}, [
            Problem(where, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
        ]
    if not isinstance(value, dict):
        return {}, [Problem(where, 'must be a JSON object, e.g. \'{"prompt": "a cat"}\'')]
    return value, []
