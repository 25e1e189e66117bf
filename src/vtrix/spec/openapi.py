"""OpenAPI schemas (fal's per-endpoint documents, Replicate's Cog schemas) lowered into the
checked subset every spec becomes (:mod:`vtrix.spec.clean`).

Lowering resolves ``$ref`` to ``#/components/schemas/…`` (a cycle or a dangling one is
refused, naming where), merges ``allOf`` (Cog's ``allOf: [{$ref: enum}]`` choices), reads
``anyOf [X, null]`` as an optional X, "these values or any string" as any string (the values
suggested), "one of these values or an object" as the values (said in a warning naming the
field: the object form is not offered), orders properties as the document says, reads Cog's
``ge``/``le`` as ``minimum``/``maximum`` and a secret input (``x-cog-secret``) as
``writeOnly``, and drops UI hints. What is left goes through the lenient reader.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vtrix.spec.clean import SpecError, warn

_REF = "#/components/schemas/"
_MAX_DEPTH = 24
_MERGED = ("title", "description", "default", "examples")  # a wrapper's own words win


class Lowering:
    """One document's schemas lowered into the subset (see the module docstring).
    ``is_hint``: keys that are UI hints (dropped first); ``order``: the property names of an
    object node in the document's order (read before ``x-`` keys are dropped)."""

    def __init__(
        self,
        components: dict[str, Any],
        source: str,
        warnings: list[str],
        is_hint: Callable[[str], bool],
        order: Callable[[dict[str, Any]], list[str]],
    ) -> None:
        self.components, self.source, self.warnings = components, source, warnings
        self.is_hint, self.order = is_hint, order
        self.stack: list[str] = []

    def schema(self, node: Any, jpath: str) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise SpecError(self.source, jpath, "a schema must be a JSON object")
        if len(self.stack) > _MAX_DEPTH:
            raise SpecError(self.source, jpath, "schemas nested too deeply")
        node = {k: v for k, v in node.items() if not self.is_hint(k)}
        if "$ref" in node:
            node = self._merge(self._ref(node.pop("$ref"), jpath), node)
        if "allOf" in node:
            node = self._all_of(node, jpath)
        for word in ("anyOf", "oneOf"):
            if word in node:
                node = self._any_of(node, word, jpath)
        out = dict(node)
        if isinstance(node.get("properties"), dict):
            props = {
                name: self.schema(sub, f"{jpath}.properties.{name}")
                for name, sub in node["properties"].items()
            }
            named = [n for n in self.order(node) if n in props]
            out["properties"] = {**{n: props[n] for n in named}, **props}
        if isinstance(node.get("items"), dict):
            out["items"] = self.schema(node["items"], f"{jpath}.items")
        if isinstance(out.get("additionalProperties"), dict):  # a map's value type
            out["additionalProperties"] = True
        for cog, word in (("ge", "minimum"), ("le", "maximum")):  # Cog's older bounds
            if cog in out:
                out.setdefault(word, out.pop(cog))
        if out.pop("x-cog-secret", False) is True:
            out["writeOnly"] = True  # a secret: never shown, never logged
        return {k: v for k, v in out.items() if not k.startswith("x-")}

    def _ref(self, ref: Any, jpath: str) -> dict[str, Any]:
        name = ref[len(_REF) :] if isinstance(ref, str) and ref.startswith(_REF) else None
        if name is None or not isinstance(self.components.get(name), dict):
            raise SpecError(self.source, f"{jpath}.$ref", f"{ref!r} names no schema here")
        if name in self.stack:
            raise SpecError(self.source, f"{jpath}.$ref", f"{ref!r} refers to itself")
        self.stack.append(name)
        try:
            return self.schema(self.components[name], f"$.components.schemas.{name}")
        finally:
            self.stack.pop()

    def _all_of(self, node: dict[str, Any], jpath: str) -> dict[str, Any]:
        parts = node.pop("allOf")
        if not isinstance(parts, list) or not parts:
            raise SpecError(self.source, f"{jpath}.allOf", "must be a non-empty list")
        merged: dict[str, Any] = {}
        for i, part in enumerate(parts):
            lowered = self.schema(part, f"{jpath}.allOf[{i}]")
            if merged and lowered.get("properties") and merged.get("properties"):
                lowered = {
                    **lowered,
                    "properties": {**merged["properties"], **lowered["properties"]},
                    "required": [*merged.get("required", []), *lowered.get("required", [])],
                }
            merged.update(lowered)
        return self._merge(merged, node)

    def _any_of(self, node: dict[str, Any], word: str, jpath: str) -> dict[str, Any]:
        branches = node.pop(word)
        if not isinstance(branches, list) or not branches:
            raise SpecError(self.source, f"{jpath}.{word}", "must be a non-empty list")
        forms = [
            self.schema(b, f"{jpath}.{word}[{i}]")
            for i, b in enumerate(branches)
            if not (isinstance(b, dict) and b.get("type") == "null")
        ]
        if not forms:
            raise SpecError(self.source, f"{jpath}.{word}", "only null is allowed")
        widest = _widest(forms)
        if widest is not None:  # "one of these, or any string": any string, these suggested
            suggested = [v for f in forms for v in f.get("enum", [])]
            forms = [{**widest, "examples": suggested} if suggested else widest]
        if len(forms) > 1:
            chosen = _scalar(forms)
            others = ", ".join(str(f.get("type", "?")) for f in forms if f is not chosen)
            warn(
                self.warnings,
                self.source,
                f"{jpath}.{word}",
                f"one of {len(forms)} forms; read as its {chosen.get('type', 'string')} form "
                f"(the {others} form is not offered)",
            )
            forms = [chosen]
        return self._merge(forms[0], node)

    @staticmethod
    def _merge(base: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
        """``base`` (a resolved reference or chosen form) with the wrapper's own words."""
        out = dict(base)
        for key, value in own.items():
            if key in _MERGED or key not in out:
                out[key] = value
        return out


def _widest(forms: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The form that takes every value the others take: all of one type, and one of them
    that type with no constraint at all; else None."""
    kinds = {f.get("type") for f in forms}
    if len(kinds) != 1:
        return None
    for form in forms:
        if set(form) <= {"type", "title", "description"}:
            return form
    return None


def _scalar(forms: list[dict[str, Any]]) -> dict[str, Any]:
    """The form a command-line option can take: values to choose from, else any scalar."""
    for form in forms:
        if "enum" in form and form.get("type") in ("string", "integer", "number", None):
            return form
    for form in forms:
        if form.get("type") in ("string", "integer", "number", "boolean"):
            return form
    return forms[0]
