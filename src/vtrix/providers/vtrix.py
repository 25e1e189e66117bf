"""The vtrix gateway: a models service (catalog, specs) and a generation gateway (tasks)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from vtrix.errors import ApiError, NotFound, SubmitOutcomeUnknown
from vtrix.gateways import (
    DEFAULT_VTRIX_GENERATION_URL,
    VTRIX,
    VTRIX_CATALOG_PATH,
    VTRIX_GENERATION_PATH,
)
from vtrix.providers.base import (
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    CatalogEntry,
    PreparedRequest,
    Provider,
    TaskState,
    rebase,
)
from vtrix.spec.normalise import ModelSpec, normalise_vtrix, summary_line

_STATUS = {
    "in_progress": RUNNING,
    "processing": RUNNING,
    "running": RUNNING,
    "pending": QUEUED,
    "queued": QUEUED,
    "created": QUEUED,
    "submitted": QUEUED,
    "completed": SUCCEEDED,
    "succeeded": SUCCEEDED,
    "success": SUCCEEDED,
    "failed": FAILED,
    "error": FAILED,
    "canceled": "canceled",
    "cancelled": "canceled",
}


class VtrixProvider(Provider):
    name = VTRIX.name
    key_env = VTRIX.key_env

    def _unwrap(self, body: Any, url: str) -> Any:
        if not isinstance(body, dict) or "data" not in body:
            raise ApiError(f"unexpected answer from {url}: no 'data' in the envelope")
        status = body.get("status") or {}
        code = status.get("code", 0) if isinstance(status, dict) else 0
        if code not in (0, 200):
            msg = status.get("message", "error") if isinstance(status, dict) else "error"
            if code == 404 or "not found" in str(msg).lower():
                raise NotFound(
                    f"{url}: {msg}", status=404, hint="Check the model id with `vtrix models list`."
                )
            raise ApiError(f"{url}: status {code}: {msg}")
        return body["data"]

    def catalog(self, *, type: str | None = None, search: str | None = None) -> list[CatalogEntry]:
        return [
            CatalogEntry(
                id=str(m.get("id")),
                provider="vtrix",
                type=str(m.get("type", "")),
                name=str(m.get("name", "")),
                summary=summary_line(str(m.get("description") or m.get("name") or "")),
            )
            for m in self.raw_catalog_pages(type=type, search=search)
        ]

    def raw_catalog_pages(
        self, *, type: str | None = None, search: str | None = None
    ) -> list[dict[str, Any]]:
        """Every model entry of the catalog, all pages, exactly as served."""
        url = f"{self.settings.models_url}{VTRIX_CATALOG_PATH}"
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            params: dict[str, Any] = {"page": page, "page_size": 100}
            if type:
                params["type"] = type
            if search:
                params["keywords"] = search
            body = self.http.get_json(url, params=params, auth=False, what="model catalog")
            data = self._unwrap(body, url)
            out.extend(data.get("models", []))
            if page >= int(data.get("total_pages") or 1) or not data.get("models"):
                return out
            page += 1

    def raw_spec(self, model_id: str) -> dict[str, Any]:
        url = f"{self.settings.models_url}{VTRIX_CATALOG_PATH}/{quote(model_id, safe='')}/spec"
        data = self._unwrap(self.http.get_json(url, auth=False, what=f"spec of {model_id}"), url)
        if not isinstance(data, dict):
            raise ApiError(f"{url}: the spec is not an object")
        return data

    def normalise_spec(self, model_id: str, raw: dict[str, Any]) -> ModelSpec:
        return normalise_vtrix(raw, source=f"vtrix spec of {model_id}")

    def endpoint(self, spec_endpoint: str) -> str:
        return rebase(spec_endpoint, self.settings.generation_url)

    def prepare_submit(self, spec: ModelSpec, params: dict[str, Any]) -> PreparedRequest:
        return PreparedRequest(
            method=spec.method,
            url=self.endpoint(spec.endpoint),
            body={"model": spec.id, "params": params},
        )

    def submit(self, request: PreparedRequest, model_id: str) -> TaskState:
        raw = self.http.post_json(request.url, request.body, what=f"submit of {model_id}")
        if not isinstance(raw, dict) or not raw.get("id"):
            raise SubmitOutcomeUnknown(
                f"submit of {model_id}: the gateway answered without a task id",
                hint="The task may or may not exist; check the console before resubmitting.",
            )
        state = self.parse_task(raw)
        state.model = state.model or model_id
        return state

    def task_url(self, task_id: str, endpoint: str | None = None) -> str:
        if endpoint:
            base = self.endpoint(endpoint)
        else:
            base = (
                self.settings.generation_url or DEFAULT_VTRIX_GENERATION_URL
            ) + VTRIX_GENERATION_PATH
        return f"{base.rstrip('/')}/task/{quote(task_id, safe='')}"

    def parse_task(self, raw: Any) -> TaskState:
        if not isinstance(raw, dict):
            raise ApiError("unexpected task answer: not a JSON object")
        if "data" in raw and isinstance(raw["data"], dict) and "id" not in raw:
            raw = raw["data"]
        remote = str(raw.get("status", ""))
        urls = [
            c["url"]
            for group in raw.get("output") or []
            if isinstance(group, dict)
            for c in group.get("content") or []
            if isinstance(c, dict) and c.get("url")
        ]
        err = raw.get("error")
        if isinstance(err, dict):
            err = err.get("error_message") or err.get("message") or str(err)
        progress = raw.get("progress")
        usage = raw.get("usage") or {}
        return TaskState(
            id=str(raw.get("id", "")),
            provider="vtrix",
            status=_STATUS.get(remote.lower(), RUNNING),
            remote_status=remote,
            model=str(raw.get("model", "")),
            progress=float(progress) if isinstance(progress, (int, float)) else None,
            urls=urls,
            error=str(err) if err else None,
            cost=str(usage["cost"]) if isinstance(usage, dict) and usage.get("cost") else None,
            raw=raw,
        )
