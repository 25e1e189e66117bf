"""Before a submit: a model's spec resolved (generated, live or none), the parameters
converted, validated and built into the exact request. Every submit — ``vtrix run``,
``vtrix model invoke``, batch lines, the typed functions, both clients — is prepared here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vtrix.base.gateways import PROVIDERS, default_endpoint
from vtrix.base.record import field, record, replace
from vtrix.engine import registry
from vtrix.errors import (
    NotFound,
    Problem,
    SpecUnavailable,
    UnknownModel,
    UsageError,
    ValidationFailed,
)

if TYPE_CHECKING:
    from vtrix.engine.session import Session
    from vtrix.files.uploads import Upload
    from vtrix.spec.normalise import ModelSpec
    from vtrix.wire.base import CatalogEntry, PreparedRequest


@record(frozen=True)
class Resolved:
    """What is known of a model before a submit: its spec, and whether it can be checked."""

    spec: ModelSpec
    source: str  # "generated", "live", or "none" (the gateway publishes no parameters)

    @property
    def checked(self) -> bool:
        return self.source != "none"


@record(frozen=True)
class SpecInfo:
    """A model's spec for display: normalised, where it came from, and the raw wire form."""

    spec: ModelSpec
    source: str  # "live" or "generated"
    raw: dict[str, Any] | None


@record(frozen=True)
class Prepared:
    """A validated submit, ready to send (or to print with ``--dry-run``)."""

    model_id: str
    spec: ModelSpec
    request: PreparedRequest
    checked: bool
    # The model's parameters, as sent (a secret among them is never shown: not in repr).
    params: dict[str, Any] = field(default_factory=dict, repr=False)
    unlisted: tuple[str, ...] = ()  # keys sent that an open schema does not list
    uploads: tuple[Upload, ...] = ()  # local files, uploaded when the submit is sent

    def dry_run_text(self) -> str:
        """The request as ``--dry-run`` prints it: local files shown as ``@path``."""
        from vtrix.files.uploads import for_display

        return for_display(self.request.body_json(), list(self.uploads))


def spec(session: Session, model_id: str, *, live: bool = True) -> ModelSpec:
    """A model's normalised spec: live when reachable, else the generated one."""
    return spec_info(session, model_id, live=live).spec


def spec_info(session: Session, model_id: str, *, live: bool = True, raw: bool = False) -> SpecInfo:
    """The spec for display, live when reachable (one request), else the generated one
    (with ``raw``: live or an error). Type, name and summary the live spec lacks come
    from the catalog index."""
    from vtrix.errors import ApiError

    failure: ApiError | None = None
    if live:
        try:
            wire, spec = session.provider(registry.provider_of(model_id)).fetch_spec(model_id)
            registry.store_spec(spec)  # a later submit checks against what is live
            return SpecInfo(with_catalog_facts(spec), "live", wire)
        except ApiError as exc:
            failure = exc
    generated = registry.generated_spec(model_id)
    if generated is None or raw:
        if failure is not None and not isinstance(failure, NotFound):
            raise failure
        if registry.lookup(model_id) is None:
            raise UnknownModel(model_id, registry.suggest(model_id))
        raise SpecUnavailable(
            f"{model_id} is in the catalog, but no parameter spec is "
            + ("published for it" if generated is None else "reachable now (--raw needs one)"),
            hint="Its gateway takes --param/--body as given, unchecked.",
        )
    return SpecInfo(generated, "generated", None)


def resolve(
    session: Session,
    model_id: str,
    generated: dict[str, Any] | None = None,
    *,
    live: bool = False,
) -> Resolved:
    """The spec a submit is checked against: the generated one, unless the gateway's live
    spec differs from it (with ``live`` — before a submit or a dry run — looked at cheaply,
    :mod:`vtrix.engine.live_spec`; else only a live spec cached already); for a model not
    generated, the live spec (cached); for a catalog model whose gateway publishes none, an
    unchecked stand-in.
    ``generated``: the generated spec as data, when the caller read it already (the command
    line builds a model's command from it): it is not read again."""
    from vtrix.engine import live_spec
    from vtrix.spec.normalise import ModelSpec

    model_id = registry.canonical(model_id)
    spec = ModelSpec.from_dict(generated) if generated else registry.generated_spec(model_id)
    if spec is not None:
        current = (
            live_spec.current(session, spec.provider, model_id)
            if live
            else registry.cached_spec(spec.provider, model_id)
        )
        if current is not None and current.schema != spec.schema:
            warn_stale_build(session, model_id)
            return Resolved(replace(current, type=spec.type), "live")
        return Resolved(spec, "generated")
    provider = registry.provider_of(model_id)
    try:
        return Resolved(registry.cached_live_spec(session.provider(provider), model_id), "live")
    except NotFound:
        if registry.lookup(model_id) is not None:
            return Resolved(unchecked_spec(model_id, provider), "none")
        raise UnknownModel(model_id, registry.suggest(model_id)) from None


def models(
    session: Session,
    *,
    type: str | None = None,
    search: str | None = None,
    provider: str | None = None,
) -> list[CatalogEntry]:
    """Catalog entries of one provider or both."""
    out: list[CatalogEntry] = []
    for name in [provider] if provider else list(PROVIDERS):
        out.extend(session.provider(name).catalog(type=type, search=search))
    return out


def prepare(
    session: Session,
    model_id: str,
    params: dict[str, Any],
    *,
    resolved: Resolved | None = None,
) -> Prepared:
    """Validate ``params`` and build the exact request; raises ValidationFailed.

    Values may be JSON data or the generated pydantic classes (sent by wire name). The
    prepared submit names the model by its catalog id (what ``vtrix run`` takes back)."""
    from vtrix.files.uploads import collect
    from vtrix.spec.validate import validate

    resolved = resolved or resolve(session, model_id)
    spec = resolved.spec
    model_id = spec.id
    body, uploads, problems = collect(to_wire(params), spec.provider)
    unlisted: tuple[str, ...] = ()
    if resolved.checked:
        seen = {p.path for p in problems}
        problems += [p for p in validate(body, spec.schema) if p.path not in seen]
        seen = {p.path for p in problems}
        problems += [p for p in media_problems(body, spec.schema) if p.path not in seen]
        if spec.schema.get("additionalProperties"):
            known = spec.schema.get("properties", {})
            unlisted = tuple(k for k in body if k not in known)
    if problems:
        raise ValidationFailed(model_id, problems)
    request = session.provider(spec.provider).prepare_submit(spec, body)
    return Prepared(model_id, spec, request, resolved.checked, body, unlisted, tuple(uploads))


MEDIA_SCHEMES = ("https://", "http://", "data:")


def media_problems(body: Any, schema: dict[str, Any]) -> list[Problem]:
    """A media parameter takes a URL (what the gateway fetches): a local file name, a bare
    word or an ``@file`` that reached here as text would be paid for and fail there."""
    from vtrix.spec.describe import is_media_input

    if not isinstance(body, dict):
        return []
    props = schema.get("properties") or {}
    out = []
    for name, value in body.items():
        prop = props.get(name)
        if not isinstance(prop, dict) or not is_media_input(name, prop):
            continue
        if "base64" in str(prop.get("description", "")).lower():
            continue
        values = value if isinstance(value, list) else [value]
        for i, item in enumerate(values):
            if not isinstance(item, str) or item.lower().startswith(MEDIA_SCHEMES):
                continue
            where = f"{name}[{i}]" if isinstance(value, list) else name
            out.append(Problem(where, _not_a_url(item)))
    return out


def _not_a_url(value: str) -> str:
    shown = value if len(value) <= 60 else value[:57] + "..."
    if value.startswith("@"):
        return (
            f"expected a URL, got {shown!r}: a local file is uploaded first (upload_file, "
            "then its URL; from Python a pathlib.Path)"
        )
    return f"expected an http(s) URL, got {shown!r}; a local file? did you mean @{shown}?"


def warn_stale_build(session: Session, model_id: str) -> None:
    """Say once per session that a model's live spec differs from the one built in."""
    if model_id in session.warned:
        return
    session.warned.add(model_id)
    import sys

    print(
        f"! the gateway's live spec of {model_id} differs from the one built into this vtrix; "
        "checking against the live spec (`vtrix models spec` shows the difference; "
        "maintainers: `make specs generate`)",
        file=sys.stderr,
    )


def with_catalog_facts(spec: ModelSpec) -> ModelSpec:
    """``spec`` with the type, name and summary the catalog index has where the spec itself
    says nothing (a live Modellix api_schema carries no type)."""
    entry = registry.lookup(spec.id)
    if entry is None:
        return spec
    facts: dict[str, Any] = {}
    if spec.type in ("", "unknown") and entry.type:
        facts["type"] = entry.type
    if spec.name in ("", spec.id) and entry.name and entry.name != spec.id:
        facts["name"] = entry.name
    if not spec.summary and entry.summary:
        facts["summary"] = entry.summary
    return replace(spec, **facts) if facts else spec


def to_wire(value: Any) -> Any:
    """JSON data for a parameter value: generated pydantic objects become their wire dicts
    (only the fields that were set), recursively."""
    if isinstance(value, dict):
        return {k: to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    dump = getattr(value, "model_dump", None)
    if dump is not None and hasattr(value, "model_fields_set"):
        return to_wire(dump(mode="json", by_alias=True, exclude_unset=True))
    if isinstance(value, os.PathLike):
        from vtrix.files.uploads import LocalFile

        return LocalFile(Path(os.fspath(value)))
    return value


def unchecked_spec(model_id: str, provider: str) -> ModelSpec:
    """Stand-in spec for a catalog model whose gateway publishes no parameters."""
    from vtrix.spec.normalise import ModelSpec

    if not model_id or any(c.isspace() for c in model_id):
        raise UsageError(f"{model_id!r} is not a model id")
    return with_catalog_facts(
        ModelSpec(
            id=model_id,
            provider=provider,
            name=model_id,
            type="unknown",
            endpoint=default_endpoint(provider, model_id),
            summary="",
            schema={"type": "object", "properties": {}, "additionalProperties": True},
        )
    )
