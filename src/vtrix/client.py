"""The Python client: everything the CLI does, as typed calls.

from vtrix import Client
client = Client()                      # key from VTRIX_API_KEY / MODELLIX_API_KEY / profile
result = client.run("kirin_v3_i2v", image_url="https://…", duration=6)
print(result.urls)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from vtrix import history, registry
from vtrix.config import Settings
from vtrix.errors import NotFound, SpecUnavailable, TaskFailed, UsageError, ValidationFailed
from vtrix.providers import PROVIDER_NAMES, make_provider
from vtrix.providers.base import CatalogEntry, PreparedRequest, Provider, TaskState
from vtrix.spec.normalise import ModelSpec
from vtrix.tasks import PollPlan, wait_for

ProgressCallback = Callable[[TaskState, "float | None"], None]


@dataclass
class Result:
    """A finished task: its output URLs and the provider's full final response."""

    task_id: str
    model: str
    provider: str
    status: str
    urls: list[str] = field(default_factory=list)
    cost: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def save(self, directory: str | os.PathLike[str], client: Client | None = None) -> list[str]:
        """Download every output into ``directory``; returns the file paths."""
        os.makedirs(directory, exist_ok=True)
        http = (client or Client()).provider(self.provider).http
        paths = []
        for i, url in enumerate(self.urls):
            name = os.path.basename(urlsplit(url).path) or f"output-{i}"
            _stem, ext = os.path.splitext(name)
            path = os.path.join(
                directory,
                f"{self.task_id}-{i}{ext}" if len(self.urls) > 1 else f"{self.task_id}{ext}",
            )
            http.download(url, path)
            paths.append(path)
        return paths


class Task:
    """A submitted task. ``wait()`` polls it to the end."""

    def __init__(self, client: Client, state: TaskState, *, endpoint: str = "") -> None:
        self.client = client
        self.state = state
        self.endpoint = endpoint

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def provider(self) -> str:
        return self.state.provider

    def __repr__(self) -> str:
        return f"Task(id={self.id!r}, provider={self.provider!r}, status={self.state.status!r})"

    def refresh(self) -> TaskState:
        prov = self.client.provider(self.provider)
        model = self.state.model
        self.state = prov.get_task(self.id, self.endpoint or None)
        self.state.model = self.state.model or model
        return self.state

    def wait(
        self,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        poll_interval: float | None = None,
    ) -> Result:
        """Wait until the task ends; raise TaskFailed, WaitTimeout or Interrupted otherwise."""
        plan = PollPlan(first=poll_interval) if poll_interval else PollPlan()
        state = wait_for(
            self.refresh, task_id=self.id, timeout=timeout, on_progress=on_progress, plan=plan
        )
        if self.client.keep_history:
            history.record(self.id, state.model, self.provider, state.status, self.endpoint)
        return self.client.result_of(state)


class Client:
    """Talks to both gateways. Keys and URLs resolve as the CLI's do (see :mod:`vtrix.config`)."""

    def __init__(
        self,
        api_key: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        *,
        settings: Settings | None = None,
        debug: bool = False,
        keep_history: bool = True,
    ) -> None:
        self.settings = settings or Settings.resolve(
            api_key=api_key, profile=profile, base_url=base_url
        )
        self.debug = debug
        self.keep_history = keep_history
        self._providers: dict[str, Provider] = {}

    def __repr__(self) -> str:
        return f"Client(profile={self.settings.profile!r})"

    def provider(self, name: str) -> Provider:
        if name not in self._providers:
            self._providers[name] = make_provider(name, self.settings, debug=self.debug)
        return self._providers[name]

    # ------------------------------------------------------------------ specs

    def spec(self, model_id: str, *, live: bool = True) -> ModelSpec:
        """A model's normalised spec: live when reachable, else the generated one."""
        return self.spec_with_source(model_id, live=live)[0]

    def spec_with_source(self, model_id: str, *, live: bool = True) -> tuple[ModelSpec, str]:
        from vtrix.errors import ApiError

        generated = registry.generated_spec(model_id)
        if live:
            try:
                return self.provider(registry.provider_of(model_id)).spec(model_id), "live"
            except NotFound:
                if generated is None:
                    raise
            except (ApiError, UsageError):
                if generated is None:
                    raise
        if generated is None:
            raise SpecUnavailable(
                f"no spec known for {model_id!r}", hint="List models with `vtrix models list`."
            )
        return generated, "generated"

    def resolve(self, model_id: str) -> tuple[ModelSpec | None, Any]:
        """Spec and pydantic model for a run: generated if we have it, else live (cached).

        ``(None, None)`` means the gateway publishes no spec for this catalog model: its
        parameters cannot be checked locally.
        """
        spec = registry.generated_spec(model_id)
        if spec is not None:
            return spec, registry.params_model(model_id)
        prov = self.provider(registry.provider_of(model_id))
        try:
            return registry.cached_live_spec(prov, model_id), None
        except NotFound:
            entry = registry.lookup(model_id)
            if entry is not None:
                return None, None
            raise NotFound(
                f"unknown model {model_id!r}: the gateway has no such model",
                hint="List models with `vtrix models list`.",
            ) from None

    def models(
        self, *, type: str | None = None, search: str | None = None, provider: str | None = None
    ) -> list[CatalogEntry]:
        """Catalog entries of one provider or both."""
        out: list[CatalogEntry] = []
        for name in [provider] if provider else list(PROVIDER_NAMES):
            out.extend(self.provider(name).catalog(type=type, search=search))
        return out

    # ---------------------------------------------------------------- submits

    def prepare(self, model_id: str, params: dict[str, Any]) -> tuple[PreparedRequest, ModelSpec]:
        """Validate ``params`` and build the exact request; raises ValidationFailed."""
        from vtrix.validate import validate

        spec, model = self.resolve(model_id)
        if spec is None:
            spec = unchecked_spec(model_id, registry.provider_of(model_id))
        else:
            problems = validate(params, spec.schema, model)
            if problems:
                raise ValidationFailed(model_id, problems)
        return self.provider(spec.provider).prepare_submit(spec, params), spec

    def submit_prepared(self, request: PreparedRequest, spec: ModelSpec) -> Task:
        prov = self.provider(spec.provider)
        state = prov.submit(request, spec.id)
        endpoint = spec.endpoint if spec.provider == "vtrix" else ""
        if self.keep_history:
            history.record(state.id, spec.id, spec.provider, state.status, endpoint)
        return Task(self, state, endpoint=endpoint)

    def submit(self, model_id: str, params: dict[str, Any] | None = None, /, **kwargs: Any) -> Task:
        """Validate and submit; returns at once with a :class:`Task`."""
        request, spec = self.prepare(model_id, {**(params or {}), **kwargs})
        return self.submit_prepared(request, spec)

    def run(
        self,
        model_id: str,
        params: dict[str, Any] | None = None,
        /,
        *,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        **kwargs: Any,
    ) -> Result:
        """Submit and wait; returns the :class:`Result` or raises (TaskFailed, WaitTimeout…)."""
        task = self.submit(model_id, params, **kwargs)
        result = task.wait(timeout=timeout, on_progress=on_progress)
        return result

    # ------------------------------------------------------------------ tasks

    def get_task(self, task_id: str, provider: str | None = None) -> Task:
        """Look a task up; its provider comes from the history, else ``provider``."""
        entry = history.find(task_id)
        name = provider or (entry.provider if entry else None) or "vtrix"
        task = Task(
            self,
            TaskState(
                id=task_id, provider=name, status="queued", model=entry.model if entry else ""
            ),
            endpoint=entry.endpoint if entry else "",
        )
        task.refresh()
        if self.keep_history and entry is not None:
            history.record(task_id, task.state.model, name, task.state.status, task.endpoint)
        return task

    def result_of(self, state: TaskState) -> Result:
        """A Result for a final state; raises TaskFailed for a failed or canceled task."""
        if state.status in ("failed", "canceled"):
            raise TaskFailed(
                f"Task {state.id} {state.status}: {state.error or 'no reason given'}",
                task_id=state.id,
            )
        return Result(
            task_id=state.id,
            model=state.model,
            provider=state.provider,
            status=state.remote_status or state.status,
            urls=list(state.urls),
            cost=state.cost,
            raw=state.raw,
        )


def unchecked_spec(model_id: str, provider: str) -> ModelSpec:
    """Stand-in spec for a catalog model whose gateway publishes no parameters."""
    if provider == "modellix":
        endpoint = f"https://api.modellix.ai/api/v1/{model_id}/async"
    else:
        endpoint = "https://vtrix.ai/model/v1/generation"
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=model_id,
        type="unknown",
        endpoint=endpoint,
        summary="",
        schema={"type": "object", "properties": {}, "additionalProperties": True},
    )
