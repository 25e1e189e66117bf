"""The Modellix dialect: an ``api_schema`` (an OpenAPI path object whose request body carries
a JSON Schema) read into the one :class:`~vtrix.spec.normalise.ModelSpec` form."""

from __future__ import annotations

from typing import Any

from vtrix.base.gateways import MODELLIX, MODELLIX_LEGACY_SUFFIX, default_endpoint
from vtrix.spec.clean import SpecError, clean_schema
from vtrix.spec.normalise import ModelSpec, check_model_id, modality_of, summary_line


def check_slug(slug: object, source: str, json_path: str = "$.slug") -> str:
    """A Modellix slug ``provider/model``."""
    if not isinstance(slug, str) or slug.count("/") != 1:
        raise SpecError(source, json_path, f"slug {slug!r} is not of the form provider/model")
    vendor, model = slug.split("/")
    check_model_id(vendor, source, json_path)
    check_model_id(model, source, json_path)
    return slug


def normalise_modellix(
    slug: str,
    path_object: Any,
    catalog_entry: dict[str, Any] | None = None,
    source: str = "modellix spec",
) -> ModelSpec:
    """Normalise a Modellix ``api_schema`` (an OpenAPI path object) for ``slug``."""
    check_slug(slug, source, "$")
    if not isinstance(path_object, dict):
        raise SpecError(source, "$", "the api_schema is not a JSON object")
    post = path_object.get("post")
    if not isinstance(post, dict):
        raise SpecError(source, "$.post", "missing the POST operation")
    try:
        schema = post["requestBody"]["content"]["application/json"]["schema"]
    except (KeyError, TypeError):
        raise SpecError(
            source,
            "$.post.requestBody.content.application/json.schema",
            "missing the request body schema",
        ) from None
    jpath = "$.post.requestBody.content.application/json.schema"
    if not isinstance(schema, dict) or schema.get("type", "object") != "object":
        raise SpecError(source, jpath, "the request body schema must be an object schema")
    schema = {"type": "object", **schema}
    warnings: list[str] = []
    clean = clean_schema(schema, source, jpath, warnings)
    servers = path_object.get("servers")
    endpoint = default_endpoint(MODELLIX.name, slug)
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = servers[0].get("url")
        if isinstance(url, str) and url:
            endpoint = url.removesuffix(MODELLIX_LEGACY_SUFFIX)
    entry = catalog_entry or {}
    name = post.get("summary") or entry.get("name") or slug
    description = post.get("description") or entry.get("description") or name
    kind = modality_of(str(entry.get("type") or post.get("x-model-type") or "unknown"))
    return ModelSpec(
        id=slug,
        provider="modellix",
        name=str(name),
        type=str(kind),
        endpoint=endpoint,
        summary=summary_line(str(description)),
        schema=clean,
        warnings=tuple(warnings),
    )


def normalise(
    model_id: str, raw: Any, entry: dict[str, Any] | None = None, source: str = "modellix spec"
) -> ModelSpec:
    """A spec of the snapshot or the schema host, with its catalog entry."""
    return normalise_modellix(model_id, raw, entry, source=source)
