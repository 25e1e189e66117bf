"""The Python client: everything the CLI does, as typed calls, and the one route to a request.

from vtrix import Client
client = Client()                      # key from VTRIX_API_KEY / MODELLIX_API_KEY / profile
result = client.run("kirin_v3_i2v", image_url="https://…", duration=6)
print(result.urls)

Every submit, from ``vtrix run``, ``vtrix model invoke``, the generated typed functions or
this class, goes through :meth:`Client.prepare` (resolve the spec, convert, validate, build
the request) and :meth:`Client.submit_prepared`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from vtrix import registry
from vtrix.config import Settings
from vtrix.errors import (
    Interrupted,
    NotFound,
    SpecUnavailable,
    SubmitOutcomeUnknown,
    TaskFailed,
    UsageError,
    ValidationFailed,
    VtrixError,
)
from vtrix.gateways import PROVIDERS, VTRIX, default_endpoint
from vtrix.http import Transport
from vtrix.ledger import REJECTED, Ledger, digest
from vtrix.ledger import UNKNOWN as UNKNOWN_SUBMIT
from vtrix.providers import make_provider
from vtrix.providers.base import CatalogEntry, PreparedRequest, Provider, TaskState, url_of
from vtrix.signals import held_interrupts
from vtrix.spec.normalise import ModelSpec
from vtrix.tasks import PollPlan, resume_hint, wait_plan
from vtrix.uploads import LocalFile, Upload, collect, for_display, replace_markers

if TYPE_CHECKING:
    from pydantic import BaseModel

    from vtrix.download import Progress

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
    files: list[str] = field(default_factory=list)

    def save(
        self,
        directory: str | os.PathLike[str],
        client: Client | None = None,
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
        allow_private_network: bool = False,
    ) -> list[str]:
        """Download every output into ``directory`` (safely, atomically, resumably: see
        :mod:`vtrix.download`); returns the file paths."""
        return (client or Client()).save(
            self,
            directory,
            overwrite=overwrite,
            max_bytes=max_bytes,
            allow_private_network=allow_private_network,
        )


class Task:
    """A submitted task. ``wait()`` polls it to the end."""

    def __init__(
        self,
        client: Client,
        state: TaskState,
        *,
        endpoint: str = "",
        idempotency_key: str | None = None,
        reused: bool = False,
    ) -> None:
        self.client = client
        self.state = state
        self.endpoint = endpoint
        self.idempotency_key = idempotency_key
        self.reused = reused  # True: a submit with this idempotency key had already made it

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def provider(self) -> str:
        return self.state.provider

    def __repr__(self) -> str:
        return f"Task(id={self.id!r}, provider={self.provider!r}, status={self.state.status!r})"

    def refresh(self) -> TaskState:
        """The task's status now (one read, retried within the read budget)."""
        model = self.state.model
        self.state = self.client.provider(self.provider).get_task(self.id, self.endpoint)
        self.state.model = self.state.model or model
        self.client.record(self.state, self.endpoint)
        return self.state

    def wait(
        self,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        poll_interval: float | None = None,
    ) -> Result:
        """Wait until the task ends, ``timeout`` seconds at most (a deadline for everything:
        polls, retries, slow answers); raise TaskFailed, WaitTimeout or Interrupted."""
        prov = self.client.provider(self.provider)
        model = self.state.model
        seen = {self.state.status}

        def progress(state: TaskState, left: float | None) -> None:
            self.state = state
            state.model = state.model or model
            if state.status not in seen:
                seen.add(state.status)
                self.client.record(state, self.endpoint)
            if on_progress is not None:
                on_progress(state, left)

        plan = wait_plan(
            prov,
            self.id,
            endpoint=self.endpoint,
            timeout=timeout,
            on_progress=progress,
            plan=PollPlan(first=poll_interval) if poll_interval else None,
        )
        try:
            state = prov.http.run(plan)
        except KeyboardInterrupt:
            raise Interrupted(
                f"Interrupted while waiting for task {self.id}; the task was not cancelled "
                "and keeps running.",
                hint=resume_hint(self.id),
                task_id=self.id,
            ) from None
        state.model = state.model or model
        self.state = state
        self.client.record(state, self.endpoint)
        return self.client.result_of(state)


@dataclass(frozen=True)
class Resolved:
    """What is known of a model before a submit: its spec, and whether it can be checked."""

    spec: ModelSpec
    source: str  # "generated", "live", or "none" (the gateway publishes no parameters)
    params_model: type[BaseModel] | None = None

    @property
    def checked(self) -> bool:
        return self.source != "none"


@dataclass(frozen=True)
class SpecInfo:
    """A model's spec for display: normalised, where it came from, and the raw wire form."""

    spec: ModelSpec
    source: str  # "live" or "generated"
    raw: dict[str, Any] | None


@dataclass(frozen=True)
class Prepared:
    """A validated submit, ready to send (or to print with ``--dry-run``)."""

    model_id: str
    spec: ModelSpec
    request: PreparedRequest
    checked: bool
    params: dict[str, Any] = field(default_factory=dict)  # the model's parameters, as sent
    unlisted: tuple[str, ...] = ()  # keys sent that an open schema does not list
    uploads: tuple[Upload, ...] = ()  # local files, uploaded when the submit is sent

    def dry_run_text(self) -> str:
        """The request as ``--dry-run`` prints it: local files shown as ``@path``."""
        return for_display(self.request.body_json(), list(self.uploads))


class Client:
    """Talks to both gateways. Keys and URLs resolve as the CLI's do (see :mod:`vtrix.config`)."""

    def __init__(
        self,
        api_key: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        *,
        settings: Settings | None = None,
        ledger: Ledger | bool = True,
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings or Settings.resolve(
            api_key=api_key, profile=profile, base_url=base_url
        )
        self.ledger: Ledger | None = Ledger() if ledger is True else (ledger or None)
        self.transport = transport
        self._providers: dict[str, Provider] = {}

    def __repr__(self) -> str:
        return f"Client(profile={self.settings.profile!r})"

    def provider(self, name: str) -> Provider:
        if name not in self._providers:
            self._providers[name] = make_provider(name, self.settings, self.transport)
        return self._providers[name]

    def record(self, state: TaskState, endpoint: str = "") -> None:
        """Keep what a poll saw in the ledger (never fails the caller)."""
        if self.ledger is not None:
            self.ledger.observe(
                provider=state.provider,
                task_id=state.id,
                model=state.model,
                status=state.status,
                remote_status=state.remote_status,
                urls=state.urls,
                error=state.error,
                cost=state.cost,
                endpoint=endpoint,
                final=state.done,
            )

    # ------------------------------------------------------------------ specs

    def spec(self, model_id: str, *, live: bool = True) -> ModelSpec:
        """A model's normalised spec: live when reachable, else the generated one."""
        return self.spec_info(model_id, live=live).spec

    def spec_info(self, model_id: str, *, live: bool = True) -> SpecInfo:
        """The spec for display, live when reachable (one request), else the generated one."""
        from vtrix.errors import ApiError

        generated = registry.generated_spec(model_id)
        failure: ApiError | None = None
        if live:
            try:
                raw, spec = self.provider(registry.provider_of(model_id)).fetch_spec(model_id)
                return SpecInfo(spec, "live", raw)
            except ApiError as exc:
                failure = exc
        if generated is None:
            if failure is not None and not isinstance(failure, NotFound):
                raise failure
            in_catalog = registry.lookup(model_id) is not None
            raise SpecUnavailable(
                f"{model_id} is in the catalog, but no parameter spec is known for it"
                if in_catalog
                else f"no spec known for {model_id!r}",
                hint="List models with `vtrix models list`.",
            )
        return SpecInfo(generated, "generated", None)

    def resolve(self, model_id: str) -> Resolved:
        """The spec a submit is checked against: generated if we have it, else live (cached),
        else, for a catalog model whose gateway publishes none, an unchecked stand-in."""
        spec = registry.generated_spec(model_id)
        if spec is not None:
            return Resolved(spec, "generated", registry.params_model(model_id))
        provider = registry.provider_of(model_id)
        try:
            return Resolved(registry.cached_live_spec(self.provider(provider), model_id), "live")
        except NotFound:
            if registry.lookup(model_id) is not None:
                return Resolved(unchecked_spec(model_id, provider), "none")
            raise NotFound(
                f"unknown model {model_id!r}: the gateway has no such model",
                hint="List models with `vtrix models list`.",
            ) from None

    def models(
        self, *, type: str | None = None, search: str | None = None, provider: str | None = None
    ) -> list[CatalogEntry]:
        """Catalog entries of one provider or both."""
        out: list[CatalogEntry] = []
        for name in [provider] if provider else list(PROVIDERS):
            out.extend(self.provider(name).catalog(type=type, search=search))
        return out

    # ---------------------------------------------------------------- submits

    def prepare(
        self, model_id: str, params: dict[str, Any], *, resolved: Resolved | None = None
    ) -> Prepared:
        """Validate ``params`` and build the exact request; raises ValidationFailed.

        Values may be JSON data or the generated pydantic classes (sent by wire name)."""
        from vtrix.validate import validate

        resolved = resolved or self.resolve(model_id)
        spec = resolved.spec
        body, uploads, problems = collect(to_wire(params), spec.provider)
        unlisted: tuple[str, ...] = ()
        if resolved.checked:
            seen = {p.path for p in problems}
            problems += [
                p for p in validate(body, spec.schema, resolved.params_model) if p.path not in seen
            ]
            if spec.schema.get("additionalProperties"):
                known = spec.schema.get("properties", {})
                unlisted = tuple(k for k in body if k not in known)
        if problems:
            raise ValidationFailed(model_id, problems)
        request = self.provider(spec.provider).prepare_submit(spec, body)
        return Prepared(model_id, spec, request, resolved.checked, body, unlisted, tuple(uploads))

    def upload_files(self, prepared: Prepared) -> Prepared:
        """Upload the local files of a prepared submit; the same submit with their URLs."""
        if not prepared.uploads:
            return prepared
        spec = prepared.spec
        prov = self.provider(spec.provider)
        upload = getattr(prov, "upload", None)
        assert upload is not None  # collect() refused gateways without an upload route
        urls = {}
        for u in prepared.uploads:
            answer = upload(str(u.file.path), u.content_type)
            urls[u.marker] = url_of(answer.get("url"), f"upload of {u.file.path}", answer)
        params = replace_markers(prepared.params, urls)
        request = prov.prepare_submit(spec, params)
        return Prepared(
            prepared.model_id, spec, request, prepared.checked, params, prepared.unlisted
        )

    def submit_prepared(
        self,
        prepared: Prepared,
        *,
        idempotency_key: str | None = None,
        on_created: Callable[[Task], None] | None = None,
        batch: str | None = None,
        line: int | None = None,
    ) -> Task:
        """Send a prepared submit once; returns at once with a :class:`Task`.

        The ledger holds the submit before it goes out and its task id as soon as it is
        known; ``on_created`` runs (with Ctrl-C held back) once the id is safe there. A key
        the ledger already knows a task for is not sent again: that task is returned."""
        prepared = self.upload_files(prepared)
        spec = prepared.spec
        key = idempotency_key or new_idempotency_key()
        endpoint = urlsplit(spec.endpoint).path if spec.provider == VTRIX.name else ""
        ledger = self.ledger
        if ledger is not None:
            known = ledger.begin(
                key=key,
                provider=spec.provider,
                model=spec.id,
                digest=digest(spec.provider, spec.id, prepared.request.body),
                endpoint=endpoint,
                batch=batch,
                line=line,
            )
            if known is not None and known.task_id:
                old = TaskState(known.task_id, known.provider, known.state, model=known.model)
                task = Task(self, old, endpoint=known.endpoint, idempotency_key=key, reused=True)
                if on_created:
                    on_created(task)
                return task
        state: TaskState | None = None
        try:
            state = self.provider(spec.provider).submit(prepared.request, spec.id, key)
            with held_interrupts():
                return self._created(state, key, endpoint, on_created)
        except KeyboardInterrupt:
            if state is not None:
                self._created(state, key, endpoint, None)
                raise Interrupted(
                    f"Interrupted after task {state.id} was created; it keeps running.",
                    hint=resume_hint(state.id),
                    task_id=state.id,
                ) from None
            if ledger is not None:
                ledger.outcome(key, UNKNOWN_SUBMIT, "interrupted while the submit was in flight")
            raise Interrupted(
                "Interrupted while the submit was being sent: the gateway may have created "
                "the task.",
                hint=f"Check `vtrix task list` (idempotency key {key}) before resubmitting; "
                f"to retry safely pass --idempotency-key {key}.",
                idempotency_key=key,
            ) from None
        except SubmitOutcomeUnknown as exc:
            if ledger is not None:
                ledger.outcome(key, UNKNOWN_SUBMIT, exc.message)
            raise
        except VtrixError as exc:
            if ledger is not None:
                ledger.outcome(key, REJECTED, exc.message)
            raise

    def _created(
        self,
        state: TaskState,
        key: str,
        endpoint: str,
        on_created: Callable[[Task], None] | None,
    ) -> Task:
        if self.ledger is not None:
            self.ledger.submitted(key, state.id, state.status, state.remote_status)
        task = Task(self, state, endpoint=endpoint, idempotency_key=key)
        if on_created:
            on_created(task)
        return task

    def submit(
        self,
        model_id: str,
        params: dict[str, Any] | None = None,
        /,
        *,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> Task:
        """Validate and submit; returns at once with a :class:`Task`."""
        prepared = self.prepare(model_id, {**(params or {}), **kwargs})
        return self.submit_prepared(prepared, idempotency_key=idempotency_key)

    def run(
        self,
        model_id: str,
        params: dict[str, Any] | None = None,
        /,
        *,
        timeout: float = 600,
        on_progress: ProgressCallback | None = None,
        idempotency_key: str | None = None,
        **kwargs: Any,
    ) -> Result:
        """Submit and wait; returns the :class:`Result` or raises (TaskFailed, WaitTimeout…)."""
        task = self.submit(model_id, params, idempotency_key=idempotency_key, **kwargs)
        return task.wait(timeout=timeout, on_progress=on_progress)

    # ------------------------------------------------------------------ tasks

    def get_task(self, task_id: str, provider: str | None = None) -> Task:
        """A task by id. Its gateway: ``provider``, else the ledger, else the id's shape,
        else each gateway a key is set for, asked in turn."""
        last: NotFound | None = None
        candidates = self._candidates(task_id, provider)
        for name, endpoint, model in candidates:
            try:
                state = self.provider(name).get_task(task_id, endpoint)
            except NotFound as exc:
                last = exc
                continue
            state.model = state.model or model
            self.record(state, endpoint)
            return Task(self, state, endpoint=endpoint)
        assert last is not None
        if len(candidates) > 1:
            raise NotFound(
                f"no gateway knows task {task_id!r} (asked {', '.join(c[0] for c in candidates)})",
                status=404,
                hint="Check the id with `vtrix task list`.",
            )
        raise last

    def _candidates(self, task_id: str, provider: str | None) -> list[tuple[str, str, str]]:
        """(provider, endpoint, model) to ask about ``task_id``, most likely first."""
        from vtrix.gateways import GATEWAYS, provider_for_task

        entry = self.ledger.by_task(task_id, provider) if self.ledger is not None else None
        if entry is not None:
            return [(entry.provider, entry.endpoint, entry.model)]
        if provider:
            return [(provider, "", "")]
        guess = provider_for_task(task_id)
        order = sorted(PROVIDERS, key=lambda p: p != guess)
        keyed = [p for p in order if self.settings.key_for(p) is not None]
        if not keyed:
            envs = " or ".join(GATEWAYS[p].key_env for p in order)
            raise UsageError(
                f"no API key is set, so no gateway can be asked about {task_id!r}; nothing "
                "was sent",
                hint=f"Set {envs}, or run `vtrix auth login`.",
            )
        return [(p, "", "") for p in keyed]

    def save(
        self,
        result: Result,
        directory: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
        allow_private_network: bool = False,
        progress: Progress | None = None,
    ) -> list[str]:
        """Save ``result``'s outputs into ``directory``; the ledger keeps the file paths, and
        files it already holds there are not fetched again."""
        from vtrix.download import DEFAULT_MAX_DOWNLOAD, Downloader, UrlPolicy, check_save_dir

        where = check_save_dir(directory)
        entry = self.ledger.by_task(result.task_id, result.provider) if self.ledger else None
        downloader = Downloader(
            policy=UrlPolicy(allow_private=allow_private_network),
            max_bytes=max_bytes or DEFAULT_MAX_DOWNLOAD,
            overwrite=overwrite,
            progress=progress,
        )
        saved = downloader.save_all(
            result.task_id, result.urls, where, entry.files if entry else None
        )
        result.files = [s.path for s in saved]
        if self.ledger is not None:
            self.ledger.saved(result.provider, result.task_id, result.files)
        return result.files

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


def new_idempotency_key() -> str:
    return f"vtrix-{uuid.uuid4()}"


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
        return LocalFile(Path(os.fspath(value)))
    return value


def unchecked_spec(model_id: str, provider: str) -> ModelSpec:
    """Stand-in spec for a catalog model whose gateway publishes no parameters."""
    if not model_id or any(c.isspace() for c in model_id):
        raise UsageError(f"{model_id!r} is not a model id")
    return ModelSpec(
        id=model_id,
        provider=provider,
        name=model_id,
        type="unknown",
        endpoint=default_endpoint(provider, model_id),
        summary="",
        schema={"type": "object", "properties": {}, "additionalProperties": True},
    )
