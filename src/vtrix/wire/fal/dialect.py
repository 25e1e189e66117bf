"""fal's dialect: one OpenAPI 3.0 document per endpoint, lowered into the checked subset the
other gateways' specs become (:mod:`vtrix.spec.clean`).

The document names its endpoint in ``info.x-fal-metadata.endpointId`` and its input as the
POST request body of ``/<endpoint>``, a ``$ref`` to ``components.schemas``. Lowering resolves
``$ref`` (a cycle is refused), merges a one-part ``allOf``, reads ``anyOf [X, null]`` as an
optional X, "these values or any string" as any string (the values suggested), "one of these
values or an object" (``anyOf [enum, object]``) as the values
(said in a warning naming the field: the object form is not offered), orders properties by
``x-fal-order-properties`` (the order ``--help`` shows), and drops fal's UI hints. What is
left goes through the same lenient reader as every spec.
"""

from __future__ import annotations

from typing import Any

from vtrix.base.gateways import DEFAULT_FAL_QUEUE_URL, FAL
from vtrix.spec.clean import SpecError, clean_schema, warn
from vtrix.spec.normalise import ModelSpec, check_model_id, modality_of, summary_line

_REF = "#/components/schemas/"
_MAX_DEPTH = 24
_MERGED = ("title", "description", "default", "examples")  # a wrapper's own words win


def endpoint_of(doc: Any, source: str = "fal spec") -> str:
    """The endpoint a fal document describes (``fal-ai/flux/dev``), checked segment by
    segment: each is safe as a file name and a URL segment."""
    meta = doc.get("info", {}).get("x-fal-metadata") if isinstance(doc, dict) else None
    endpoint = meta.get("endpointId") if isinstance(meta, dict) else None
    where = "$.info.x-fal-metadata.endpointId"
    if not isinstance(endpoint, str) or not 2 <= endpoint.count("/") + 1 <= 8:
        raise SpecError(source, where, f"no usable endpoint id (got {endpoint!r})")
    for part in endpoint.split("/"):
        check_model_id(part, source, where)
    return endpoint


def normalise_fal(doc: Any, source: str = "fal spec") -> ModelSpec:
    """A fal OpenAPI document as a :class:`ModelSpec` with the id ``fal:<endpoint>``."""
    if not isinstance(doc, dict):
        raise SpecError(source, "$", "the document is not a JSON object")
    endpoint = endpoint_of(doc, source)
    paths = doc.get("paths")
    post = paths.get("/" + endpoint, {}).get("post") if isinstance(paths, dict) else None
    jpath = f"$.paths./{endpoint}.post.requestBody.content.application/json.schema"
    try:
        body = post["requestBody"]["content"]["application/json"]["schema"]  # type: ignore[index]
    except (KeyError, TypeError):
        raise SpecError(source, jpath, "missing the submit's request body schema") from None
    components = doc.get("components", {}).get("schemas", {})
    warnings: list[str] = []
    lowered = _Lowering(components if isinstance(components, dict) else {}, source, warnings)
    schema = lowered.schema(body, jpath)
    if schema.get("type", "object") != "object" or not isinstance(schema.get("properties"), dict):
        raise SpecError(source, jpath, "the request body is not an object schema")
    clean = clean_schema(schema, source, jpath, warnings)
    meta = doc["info"]["x-fal-metadata"]
    category = str(meta.get("category") or "")
    return ModelSpec(
        id=f"{FAL.name}:{endpoint}",
        provider=FAL.name,
        name=endpoint,
        type=modality_of(category or "unknown"),
        endpoint=f"{DEFAULT_FAL_QUEUE_URL}/{endpoint}",
        summary=summary_line(f"{category} on fal" if category else endpoint),
        schema=clean,
        warnings=tuple(warnings),
    )


class _Lowering:
    """One document's schemas lowered into the subset (see the module docstring)."""

    def __init__(self, components: dict[str, Any], source: str, warnings: list[str]) -> None:
        self.components, self.source, self.warnings = components, source, warnings
        self.stack: list[str] = []

    def schema(self, node: Any, jpath: str) -> dict[str, Any]:
        if not isinstance(node, dict):
            raise SpecError(self.source, jpath, "a schema must be a JSON object")
        if len(self.stack) > _MAX_DEPTH:
            raise SpecError(self.source, jpath, "schemas nested too deeply")
        node = {k: v for k, v in node.items() if not _hint(k)}
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
            out["properties"] = _ordered(props, node.get("x-fal-order-properties"))
        if isinstance(node.get("items"), dict):
            out["items"] = self.schema(node["items"], f"{jpath}.items")
        if isinstance(out.get("additionalProperties"), dict):  # a map's value type
            out["additionalProperties"] = True
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


def _hint(key: str) -> bool:
    """fal's UI hints: not constraints (``x-fal-order-properties`` is read, then dropped)."""
    return key.startswith("_fal") or (key.startswith("x-fal") and key != "x-fal-order-properties")


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


def normalise(
    model_id: str, raw: Any, entry: dict[str, Any] | None = None, source: str = "fal spec"
) -> ModelSpec:
    """A fal document for ``model_id`` (``fal:<endpoint>``, or the bare endpoint)."""
    spec = normalise_fal(raw, source=source)
    if spec.id.removeprefix("fal:") != model_id.removeprefix("fal:"):
        raise SpecError(source, "$.info.x-fal-metadata.endpointId", f"it describes {spec.id}")
    return spec


def _ordered(props: dict[str, Any], order: Any) -> dict[str, Any]:
    """``props`` in the document's order of ``x-fal-order-properties``, others after."""
    if not isinstance(order, list):
        return props
    named = [n for n in order if isinstance(n, str) and n in props]
    return {**{n: props[n] for n in named}, **props}
