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
from vtrix.spec.clean import SpecError, clean_schema
from vtrix.spec.normalise import ModelSpec, check_model_id, modality_of, summary_line
from vtrix.spec.openapi import Lowering


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
    lowered = Lowering(
        components if isinstance(components, dict) else {}, source, warnings, _hint, _order
    )
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


def _hint(key: str) -> bool:
    """fal's UI hints: not constraints (``x-fal-order-properties`` is read, then dropped)."""
    return key.startswith("_fal") or (key.startswith("x-fal") and key != "x-fal-order-properties")


def normalise(
    model_id: str, raw: Any, entry: dict[str, Any] | None = None, source: str = "fal spec"
) -> ModelSpec:
    """A fal document for ``model_id`` (``fal:<endpoint>``, or the bare endpoint)."""
    spec = normalise_fal(raw, source=source)
    if spec.id.removeprefix("fal:") != model_id.removeprefix("fal:"):
        raise SpecError(source, "$.info.x-fal-metadata.endpointId", f"it describes {spec.id}")
    return spec


def _order(node: dict[str, Any]) -> list[str]:
    """The document's order of ``node``'s properties (``x-fal-order-properties``)."""
    order = node.get("x-fal-order-properties")
    return [n for n in order if isinstance(n, str)] if isinstance(order, list) else []
