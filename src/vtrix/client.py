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

import dataclasses
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vtrix import registry
from vtrix.config import Settings
from vtrix.errors import (
    NotFound,
    SpecUnavailable,
    TaskFailed,
    UnknownModel,
    UsageError,
    ValidationFailed,
)
from vtrix.flows import Submitted, any_http, lookup_flow, submit_flow, wait_flow
from vtrix.gateways import PROVIDERS, default_endpoint
from vtrix.http import Transport
from vtrix.ledger import Ledger
from vtrix.providers import make_provider
from vtrix.providers.base import CatalogEntry, PreparedRequest, Provider, TaskState
from vtrix.record import field, record

if TYPE_CHECKING:
    from pydantic import BaseModel

    from vtrix.batch import LineResult
    from vtrix.download import Progress
    from vtrix.spec.normalise import ModelSpec
    from vtrix.uploads import Upload

ProgressCallback = Callable[[TaskState, "float | None"], None]


@record
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
    created_at: float | None = None
    expires_at: float | None = None  # when the gateway said the URLs stop working

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
        flow = wait_flow(
            self.client,
            self.state,
            self.endpoint,
            timeout=timeout,
            on_progress=on_progress,
            poll_interval=poll_interval,
        )
        self.state = self.client.provider(self.provider).http.run(flow)
        return self.client.result_of(self.state)


@record(frozen=True)
class Resolved:
    """What is known of a model before a submit: its spec, and whether it can be checked."""

    spec: ModelSpec
    source: str  # "generated", "live", or "none" (the gateway publishes no parameters)
    params_model: type[BaseModel] | None = None

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
    params: dict[str, Any] = field(default_factory=dict)  # the model's parameters, as sent
    unlisted: tuple[str, ...] = ()  # keys sent that an open schema does not list
    uploads: tuple[Upload, ...] = ()  # local files, uploaded when the submit is sent

    def dry_run_text(self) -> str:
        """The request as ``--dry-run`` prints it: local files shown as ``@path``."""
        from vtrix.uploads import for_display

        return for_display(self.request.body_json(), list(self.uploads))


class Client:
    """Talks to both gateways. Keys and URLs resolve as the CLI's do (see :mod:`vtrix.config`)."""

    def __init__(
        self,
        api_key: str | None = None,
        profile: str | None = None,
        base_url: str | None = None,
        *,
        proxy: str | None = None,
        settings: Settings | None = None,
        ledger: Ledger | bool = True,
        transport: Transport | None = None,
    ) -> None:
        self.settings = settings or Settings.resolve(
            api_key=api_key, profile=profile, base_url=base_url, proxy=proxy
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
                finished_at=state.finished_at,
                expires_at=state.expires_at,
            )

    # ------------------------------------------------------------------ specs

    def spec(self, model_id: str, *, live: bool = True) -> ModelSpec:
        """A model's normalised spec: live when reachable, else the generated one."""
        return self.spec_info(model_id, live=live).spec

    def spec_info(self, model_id: str, *, live: bool = True, raw: bool = False) -> SpecInfo:
        """The spec for display, live when reachable (one request), else the generated one
        (with ``raw``: live or an error). Type, name and summary the live spec lacks come
        from the catalog index."""
        from vtrix.errors import ApiError

        failure: ApiError | None = None
        if live:
            try:
                wire, spec = self.provider(registry.provider_of(model_id)).fetch_spec(model_id)
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

    def resolve(self, model_id: str) -> Resolved:
        """The spec a submit is checked against: generated if we have it, else live (cached),
        else, for a catalog model whose gateway publishes none, an unchecked stand-in."""
        spec = registry.generated_spec(model_id)
        if spec is not None:
            live = registry.cached_spec(spec.provider, model_id)
            if live is not None and live.schema != spec.schema:
                warn_stale_build(model_id)
                return Resolved(dataclasses.replace(live, type=spec.type), "live")
            return Resolved(spec, "generated", registry.params_model(model_id))
        provider = registry.provider_of(model_id)
        try:
            return Resolved(registry.cached_live_spec(self.provider(provider), model_id), "live")
        except NotFound:
            if registry.lookup(model_id) is not None:
                return Resolved(unchecked_spec(model_id, provider), "none")
            raise UnknownModel(model_id, registry.suggest(model_id)) from None

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
        from vtrix.uploads import collect
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

    def submit_prepared(
        self,
        prepared: Prepared,
        *,
        idempotency_key: str | None = None,
        on_created: Callable[[Task], None] | None = None,
        batch: str | None = None,
        line: int | None = None,
        resend_unknown: bool = False,
        deadline: float | None = None,
    ) -> Task:
        """Send a prepared submit once; returns at once with a :class:`Task`. ``deadline``
        (a ``time.monotonic()`` time) bounds the submit, else its own 60 s do.

        The ledger holds the submit before it goes out and its task id as soon as it is
        known; ``on_created`` runs once the id is safe there (even if Ctrl-C comes). A key
        the ledger already has a task for is not sent again: that task is returned. A key
        whose earlier submit had an unknown outcome is refused unless ``resend_unknown``
        (neither gateway promises to honour the key: a resend may charge twice)."""

        def created(s: Submitted) -> None:
            if on_created is not None:
                on_created(self.task_of(s))

        flow = submit_flow(
            self,
            prepared,
            idempotency_key=idempotency_key,
            on_created=created,
            batch=batch,
            line=line,
            resend_unknown=resend_unknown,
            deadline=deadline,
        )
        return self.task_of(self.provider(prepared.spec.provider).http.run(flow))

    def task_of(self, submitted: Submitted) -> Task:
        s = submitted
        return Task(self, s.state, endpoint=s.endpoint, idempotency_key=s.key, reused=s.reused)

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

    def get_task(
        self, task_id: str, provider: str | None = None, *, deadline: float | None = None
    ) -> Task:
        """A task by id. Its gateway: ``provider``, else the ledger, else the id's shape,
        else each gateway a key is set for, asked in turn. ``deadline`` (monotonic) bounds
        the lookup, else the read budget (30 s) does."""
        flow = lookup_flow(self, task_id, provider, deadline)
        state, endpoint = any_http(self, provider).run(flow)
        return Task(self, state, endpoint=endpoint)

    def save(
        self,
        result: Result,
        directory: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        max_bytes: int | None = None,
        allow_private_network: bool = False,
        progress: Progress | None = None,
        deadline: float | None = None,
    ) -> list[str]:
        """Save ``result``'s outputs into ``directory``; the ledger keeps the file paths, and
        files it already holds there are not fetched again. ``deadline`` (monotonic) bounds
        the downloads, else an hour each does."""
        from vtrix.download import DEFAULT_MAX_DOWNLOAD, Downloader, UrlPolicy, check_save_dir

        where = check_save_dir(directory)
        entry = self.ledger.by_task(result.task_id, result.provider) if self.ledger else None
        expires = result.expires_at or (entry.expires_at if entry else None)
        if expires is not None and expires <= time.time() and result.urls:
            from vtrix.errors import DownloadRefused

            when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(expires))
            raise DownloadRefused(
                f"the result URLs of task {result.task_id} expired at {when} (the gateway "
                "said so); nothing was downloaded",
                hint=f"Ask for fresh ones: vtrix task get {result.task_id} --save {directory}",
                task_id=result.task_id,
            )
        downloader = Downloader(
            policy=UrlPolicy(allow_private=allow_private_network),
            max_bytes=max_bytes or DEFAULT_MAX_DOWNLOAD,
            overwrite=overwrite,
            progress=progress,
            network=self.settings.network(),
            deadline=deadline,
        )
        saved = downloader.save_all(
            result.task_id,
            result.urls,
            where,
            entry.files if entry else None,
            entry.file_sums if entry else None,
        )
        result.files = [s.path for s in saved]
        if self.ledger is not None:
            sums = {s.path: [s.size, s.sha256] for s in saved if s.sha256}
            self.ledger.saved(result.provider, result.task_id, result.files, sums)
        return result.files

    def batch(
        self,
        items: Iterable[Mapping[str, Any]],
        *,
        concurrency: int = 8,
        timeout: float = 600,
        resubmit_unknown: bool = False,
    ) -> Iterator[LineResult]:
        """Run many tasks; yields a :class:`~vtrix.batch.LineResult` per item as each ends.

        Items are ``{"model": ..., "params": {...}, "key": ...}``. Every item is validated
        before anything is sent (ValidationFailed lists the bad ones). Running the same items
        again resumes: items already submitted are not submitted again."""
        import json
        import queue
        import threading

        from vtrix.batch import BatchRun, Options, validate_lines
        from vtrix.batch_input import Line, batch_id

        lines, raw = [], []
        for n, item in enumerate(items, 1):
            raw.append(dict(item))
            lines.append(
                Line(
                    n,
                    str(item.get("model", "")),
                    dict(item.get("params") or {}),
                    key=item.get("key"),
                )
            )
        checked = validate_lines(self, lines)
        bad = [p for c in checked for p in (f"item {c.line.number}: {q}" for q in c.problems)]
        if bad:
            from vtrix.errors import Problem

            raise ValidationFailed("the batch", [Problem("", b) for b in bad])
        bid = batch_id(json.dumps(raw, sort_keys=True, default=str).encode())
        results: queue.Queue[LineResult | BaseException | None] = queue.Queue()
        options = Options(
            concurrency=concurrency, timeout=timeout, resubmit_unknown=resubmit_unknown
        )

        def work() -> None:
            import asyncio

            from vtrix.aio import AsyncClient

            async def go() -> None:
                async with AsyncClient(
                    settings=self.settings,
                    ledger=self.ledger or False,
                    transport=self.transport,
                    max_connections=min(max(concurrency, 4), 32),
                ) as aclient:
                    await BatchRun(
                        aclient,
                        bid,
                        checked,
                        options,
                        lambda kind, r: results.put(r) if kind == "done" else None,
                    ).run()

            try:
                asyncio.run(go())
            except BaseException as exc:
                results.put(exc)
            results.put(None)

        threading.Thread(target=work, name="vtrix-batch", daemon=True).start()
        while (got := results.get()) is not None:
            if isinstance(got, BaseException):
                raise got
            yield got

    def result_of(self, state: TaskState) -> Result:
        """A Result for a final state; raises TaskFailed for a failed or canceled task."""
        if state.status in ("failed", "canceled"):
            raise TaskFailed(
                f"Task {state.id} {state.status}: {state.error or 'no reason given'}",
                task_id=state.id,
                state=state,
            )
        return Result(
            task_id=state.id,
            model=state.model,
            provider=state.provider,
            status=state.remote_status or state.status,
            urls=list(state.urls),
            cost=state.cost,
            raw=state.raw,
            created_at=state.created_at,
            expires_at=state.expires_at,
        )


_WARNED_STALE: set[str] = set()


def warn_stale_build(model_id: str) -> None:
    """Say once per process that a model's live spec differs from the one built in."""
    if model_id in _WARNED_STALE:
        return
    _WARNED_STALE.add(model_id)
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
    return dataclasses.replace(spec, **facts) if facts else spec


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
        from vtrix.uploads import LocalFile

        return LocalFile(Path(os.fspath(value)))
    return value


def unchecked_spec(model_id: str, provider: str) -> ModelSpec:
    """Stand-in spec for a catalog model whose gateway publishes no parameters."""
    from vtrix.spec.normalise import ModelSpec

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
