"""What each MCP tool does, on the engine (through :class:`vtrix.AsyncClient`): plain async
functions that take the tool's arguments and return ``(is_error, structured result)``. The
wiring to the MCP SDK is :mod:`vtrix.mcp.server`; nothing here knows the protocol.

Paid-action rules: a key is never an argument (keys come from the environment and profiles
as for the CLI); every submit goes through the ledger (a key it already holds returns that
task, nothing sent); an unknown outcome is returned as such, never retried; no call waits
longer than its slice; files are written only under the server's root.
"""

from __future__ import annotations

import fnmatch
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vtrix.engine import registry
from vtrix.errors import UsageError, VtrixError, WaitTimeout
from vtrix.task import Result

if TYPE_CHECKING:
    from vtrix.aio import AsyncClient, AsyncTask

MAX_SLICE = 45.0  # seconds a call may wait for a task (clients time tool calls out at ~60 s)
DEFAULT_SLICE = 30.0
PROGRESS_EVERY = 5.0

Outcome = tuple[bool, dict[str, Any]]
Progress = Callable[[float, str], Awaitable[None]]


def error_object(exc: VtrixError, task: Result | None = None, model: str = "") -> dict[str, Any]:
    """A domain failure as the task's shape with ``error`` set (as ``-o json`` prints it)."""
    if task is None:
        model = registry.canonical(model) if model else ""
        provider = registry.provider_of(model) if model else ""
        status = "unknown" if exc.code == "outcome_unknown" else "failed"
        task = Result(id=exc.task_id, model=model, provider=provider, status=status)
    doc = task.to_dict()
    doc["error"] = {"code": exc.code, "message": exc.message}
    if exc.hint:
        doc["error"]["hint"] = exc.hint
    problems = getattr(exc, "problems", None)
    if problems:
        doc["error"]["problems"] = [{"field": p.path, "message": p.message} for p in problems]
    if exc.idempotency_key and not doc["idempotency_key"]:
        doc["idempotency_key"] = exc.idempotency_key
    return doc


class Tools:
    """The server's tools over one async client, a workspace root and a submit cap."""

    def __init__(self, client: AsyncClient, *, root: Path, max_submits: int | None = None) -> None:
        self.client = client
        self.root = root.resolve()
        self.max_submits = max_submits
        self.submits = 0

    # ---------------------------------------------------------------- models

    async def search_models(
        self,
        query: str = "",
        type: str = "",
        provider: str = "",
        typed_only: bool = False,
        page: int = 1,
        page_size: int = 20,
    ) -> Outcome:
        words = query.lower().split()
        found = []
        entries: list[Any] = registry.entries()
        if provider and not any(e.provider == provider for e in entries):
            try:  # a gateway whose catalog is not bundled (fal's is too large): its live one
                entries = await self.client.run_blocking(
                    self.client.session.provider(provider).catalog
                )
            except VtrixError as exc:
                return True, error_object(exc)
        for e in entries:
            text = f"{e.id} {e.name} {e.summary}".lower()
            if words and not all(w in text for w in words):
                continue
            if type and type.lower() not in (e.type.lower(), e.task.lower()):
                continue
            typed = bool(getattr(e, "module", ""))
            if (provider and e.provider != provider) or (typed_only and not typed):
                continue
            found.append(
                {
                    "id": e.id,
                    "name": e.name,
                    "type": e.type,
                    "provider": e.provider,
                    "summary": e.summary,
                    "typed": typed,
                }
            )
        size = max(1, min(int(page_size), 100))
        start = (max(int(page), 1) - 1) * size
        more = start + size < len(found)
        return False, {
            "models": found[start : start + size],
            "total": len(found),
            "next_page": page + 1 if more else None,
        }

    async def get_model_spec(self, model: str) -> Outcome:
        from vtrix.spec.normalise import agent_prompt

        try:
            resolved = await self.client.resolve(model)
        except VtrixError as exc:
            return True, error_object(exc)
        spec = resolved.spec
        return False, {
            "model": spec.id,
            "provider": spec.provider,
            "name": spec.name,
            "type": spec.type,
            "checked": resolved.checked,
            "schema": spec.schema,
            "agent_prompt": agent_prompt(spec),
        }

    async def check_request(self, model: str, params: dict[str, Any] | None = None) -> Outcome:
        try:
            resolved = await self.client.resolve(model, live=True)
            prepared = await self.client.prepare(model, dict(params or {}), resolved=resolved)
        except VtrixError as exc:
            return True, error_object(exc, model=model)
        request = prepared.request
        from vtrix.engine.pricing import quote

        q = await self.client.run_blocking(
            quote, self.client.session, prepared.model_id, prepared.params, prepared.spec.schema
        )
        return False, {
            "ok": True,
            "quote": q.to_dict(),
            "model": prepared.model_id,
            "checked": prepared.checked,
            "request": {"method": request.method, "url": request.url, "body": request.shown_body()},
            "unlisted": list(prepared.unlisted),
            "note": "nothing was sent",
        }

    # ----------------------------------------------------------------- tasks

    async def submit_task(
        self,
        model: str,
        params: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Outcome:
        try:
            task = await self._submit(model, dict(params or {}), idempotency_key)
        except VtrixError as exc:
            return True, error_object(exc, model=model)
        return False, task.to_dict()

    async def _submit(
        self, model: str, params: dict[str, Any], idempotency_key: str | None
    ) -> AsyncTask:
        resolved = await self.client.resolve(model, live=True)
        prepared = await self.client.prepare(model, params, resolved=resolved)
        if self.max_submits is not None and self.submits >= self.max_submits:
            raise UsageError(
                f"this server has made its {self.max_submits} submits (--max-submits); "
                "nothing was sent",
                hint="Ask the user to restart the server with a larger --max-submits.",
            )
        self.submits += 1
        # Within the call's slice: a hold or a full rate window past it answers not_sent.
        deadline = time.monotonic() + MAX_SLICE
        try:
            task = await self.client.submit_prepared(
                prepared, idempotency_key=idempotency_key, deadline=deadline
            )
        except VtrixError as exc:
            if exc.code != "outcome_unknown":  # a submit that may have gone out still counts
                self.submits -= 1
            raise
        if task.reused:  # the ledger had a task for this key: nothing was sent
            self.submits -= 1
        return task

    async def wait_task(
        self,
        task_id: str,
        wait_seconds: float = DEFAULT_SLICE,
        progress: Progress | None = None,
    ) -> Outcome:
        try:
            task = await self.client.get_task(task_id)
        except VtrixError as exc:
            return True, error_object(exc)
        return await self._wait(task, wait_seconds, progress)

    async def _wait(
        self, task: AsyncTask, wait_seconds: float, progress: Progress | None
    ) -> Outcome:
        """Wait for ``task`` one slice at most, in steps of 5 s with a progress note each."""
        end = time.monotonic() + max(0.0, min(float(wait_seconds), MAX_SLICE))
        seen: list[Any] = [task.state]  # the latest state a poll saw

        def note(state: Any, _left: float | None) -> None:
            seen[0] = state

        if progress is not None and not task.state.done:
            await progress(task.state.progress or 0.0, task.status)
        while True:
            left = end - time.monotonic()
            try:
                if not task.state.done and left > 0:
                    result = await task.wait(timeout=min(PROGRESS_EVERY, left), on_progress=note)
                else:
                    return False, task.to_dict()
            except WaitTimeout:
                latest = seen[0]
                if progress is not None:
                    await progress(latest.progress or 0.0, latest.status)
                continue
            except VtrixError as exc:
                return True, error_object(exc, getattr(exc, "result", None) or task.result())
            return False, result.to_dict()

    async def get_task(self, task_id: str) -> Outcome:
        try:
            task = await self.client.get_task(task_id)
        except VtrixError as exc:
            return True, error_object(exc)
        return False, task.to_dict()

    async def cancel_task(self, task_id: str) -> Outcome:
        """Cancel where the task's gateway can (fal); on one that cannot, an error and
        nothing sent."""
        try:
            task = await self.client.cancel_task(task_id)
        except VtrixError as exc:
            return True, error_object(exc)
        return False, task.to_dict()

    async def list_tasks(self, limit: int = 20, model: str = "", status: str = "") -> Outcome:
        ledger = self.client.ledger
        count = max(1, min(int(limit), 500))
        entries = (ledger.recent(10**6 if model or status else count) or []) if ledger else []
        tasks = [e.to_task().to_dict() for e in entries]
        wanted = [
            t
            for t in tasks
            if (not model or t["model"] == registry.canonical(model))
            and (not status or t["status"] == status)
        ]
        return False, {"tasks": wanted[-count:]}

    # ------------------------------------------------------------ files

    def inside_root(self, given: str) -> Path:
        """``given`` (relative to the root, or absolute) when it lies under the root."""
        path = (self.root / given).resolve() if not os.path.isabs(given) else Path(given).resolve()
        if path != self.root and self.root not in path.parents:
            raise UsageError(
                f"{given!r} is outside the server's root ({self.root}); nothing was written",
                hint="Give a directory under the root (start the server with --root DIR).",
            )
        return path

    async def save_task_outputs(self, task_id: str, directory: str = "outputs") -> Outcome:
        try:
            where = self.inside_root(directory)
            task = await self.client.get_task(task_id)
            if not task.state.done:
                raise UsageError(
                    f"task {task_id} is not finished ({task.status}); nothing saved yet",
                    hint="Call wait_task first.",
                )
            result = task.result()
            if task.status != "succeeded":
                raise UsageError(f"task {task_id} {task.status}: it has no outputs to save")
            # Bounded like every call: a cut download resumes on the next call.
            await self.client.save(result, where, deadline=time.monotonic() + MAX_SLICE)
        except VtrixError as exc:
            return True, error_object(exc)
        return False, {**result.to_dict(), "files": result.files}

    async def upload_file(self, path: str) -> Outcome:
        from vtrix.files.uploads import LocalFile

        try:
            local = self.inside_root(path)
            if not local.is_file():
                raise UsageError(f"{path!r} is not a file under the server's root")
            prepared_url = await self.client.run_blocking(self._upload, LocalFile(local))
        except VtrixError as exc:
            return True, error_object(exc)
        return False, {"path": str(local), "url": prepared_url}

    def _upload(self, local: Any) -> str:
        """Upload one checked local file through a gateway with an upload route: the first
        the server has a key for (else the first, whose missing key is then named)."""
        from vtrix.base.gateways import GATEWAYS
        from vtrix.engine.plans import uploaded_url
        from vtrix.errors import Problem, ValidationFailed
        from vtrix.files.uploads import inspect_file

        checked = inspect_file(local, "path")
        if isinstance(checked, Problem):
            raise ValidationFailed("upload_file", [checked])
        able = [g.name for g in GATEWAYS.values() if g.has_upload]
        keyed = [n for n in able if self.client.settings.key_for(n) is not None]
        name = (keyed or able)[0]
        upload = getattr(self.client.provider(name), "upload", None)
        assert upload is not None
        answer = upload(str(local.path), checked[0])
        return uploaded_url(answer, f"upload of {local.path.name}")


def matching_models(patterns: list[str]) -> list[Any]:
    """The generated models whose id matches one of the glob ``patterns``."""
    return [
        e
        for e in registry.entries()
        if e.module and any(fnmatch.fnmatchcase(e.id, p) for p in patterns)
    ]
