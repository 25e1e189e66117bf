"""The gateway's current spec of a model, looked at before a submit or a dry run.

A spec built into vtrix may be older than what the gateway takes today. Before a request is
prepared against a built-in spec, the gateway's own is looked at — cheaply:

* a spec looked at within :data:`LIVE_SPEC_TTL` seconds is used as kept, with no request;
* else one conditional GET (ETag / Last-Modified), a single attempt ending within
  :data:`LIVE_SPEC_BOUND` seconds: 304 keeps the kept spec, 200 replaces it;
* a model whose look failed is not looked at again for :data:`LIVE_SPEC_TTL` seconds (the
  built-in spec stands meanwhile), and a service found down or silent is not asked about any
  model for as long: it costs the bound once at most; nor is a gateway asked while its 429
  hold runs (a glance never waits).

What was looked at, and when, is kept beside the cached spec (``<id>.check.json``).
"""

from __future__ import annotations

import json
import os
import time
from typing import TYPE_CHECKING, Any

from vtrix.base.constants import LIVE_SPEC_BOUND, LIVE_SPEC_TTL
from vtrix.engine import registry

if TYPE_CHECKING:
    from vtrix.engine.session import Session
    from vtrix.spec.normalise import ModelSpec


def current(session: Session, provider: str, model_id: str) -> ModelSpec | None:
    """The gateway's spec of ``model_id`` as of now (see the module docstring), or None
    when it cannot be had (the caller keeps its built-in spec)."""
    gateway = session.provider(provider)
    url = gateway.spec_url(model_id)
    state_file = _state_file(provider, model_id)
    state = _read(state_file)
    if state.get("url") != url:  # what was seen of another service says nothing of this one
        state = {}
    if time.time() - float(state.get("at", 0)) < LIVE_SPEC_TTL:
        return registry.cached_spec(provider, model_id) if state.get("ok") else None
    kept = registry.cached_spec(provider, model_id)
    http = gateway.http
    if http.hold_until > http.clock() or _down(provider, url):  # no look now: what we have
        return kept if state.get("ok") else None
    validators = state.get("validators", {}) if kept is not None else {}
    found: ModelSpec | None = None
    got: dict[str, str] = {}
    from vtrix.errors import TemporaryFailure, VtrixError
    from vtrix.spec.clean import SpecError

    try:
        found, got = _look(session, provider, model_id, validators)
    except (VtrixError, SpecError, OSError, ValueError) as exc:  # the built-in spec stands
        _write(state_file, {"at": time.time(), "ok": False, "url": url})
        if isinstance(exc, TemporaryFailure):  # down or silent: no model is looked at for now
            _write(_service_file(provider), {"at": time.time(), "host": _host(url)})
        return None
    if found is None:  # 304: what is kept is current (kept a day more)
        found = kept
    if found is not None:
        registry.store_spec(found)
    _write(state_file, {"at": time.time(), "ok": found is not None, "validators": got, "url": url})
    return found


def _look(
    session: Session, provider: str, model_id: str, validators: dict[str, str]
) -> tuple[ModelSpec | None, dict[str, str]]:
    """One conditional GET within the bound: (the new spec or None for 304, validators)."""
    gateway = session.provider(provider)
    until = gateway.http.clock() + LIVE_SPEC_BOUND
    raw, got = gateway.conditional_spec(model_id, validators, deadline=until, attempts=1)
    if raw is None:
        return None, got
    return gateway.normalise_spec(model_id, raw), got


def _down(provider: str, url: str) -> bool:
    """Whether the service at ``url`` was found down or silent within the time to live."""
    seen = _read(_service_file(provider))
    fresh = time.time() - float(seen.get("at", 0)) < LIVE_SPEC_TTL
    return fresh and seen.get("host") == _host(url)


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc


def _service_file(provider: str) -> str:
    from vtrix.base.dirs import cache_dir

    return str(cache_dir() / "specs" / provider / "_service.json")


def _state_file(provider: str, model_id: str) -> str:
    spec_file = registry.cache_file(provider, model_id)
    return spec_file.removesuffix(".json") + ".check.json"


def _read(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write(path: str, data: dict[str, Any]) -> None:
    """Best effort: a cache is never a reason to fail."""
    try:
        from vtrix.base.atomic import write_text_atomic

        os.makedirs(os.path.dirname(path), exist_ok=True)
        write_text_atomic(path, json.dumps(data))
    except OSError:
        pass
