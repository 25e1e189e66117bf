"""The Modellix API: catalog, api_schema specs, async submits and task polling."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from vtrix.errors import ApiError, SubmitOutcomeUnknown
from vtrix.gateways import MODELLIX, MODELLIX_CATALOG_PATH, MODELLIX_TASK_PATH, MODELLIX_UPLOAD_PATH
from vtrix.providers.base import (
    CANCELED,
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
from vtrix.spec.normalise import ModelSpec, check_slug, normalise_modellix, summary_line

_STATUS = {
    "pending": QUEUED,
    "queued": QUEUED,
    "created": QUEUED,
    "processing": RUNNING,
    "running": RUNNING,
    "in_progress": RUNNING,
    "success": SUCCEEDED,
    "succeeded": SUCCEEDED,
    "done": SUCCEEDED,
    "completed": SUCCEEDED,
    "failed": FAILED,
    "error": FAILED,
    "canceled": CANCELED,
    "cancelled": CANCELED,
}


def unwrap(body: Any, url: str) -> Any:
    """``{"code": 0, "message": "success", "data": …}`` -> data (bare bodies pass through)."""
    if isinstance(body, dict) and "code" in body and "data" in body:
        if body.get("code") not in (0, 200):
            raise ApiError(f"{url}: {body.get('message', 'error')}")
        return body["data"]
    return body


class ModellixProvider(Provider):
    name = MODELLIX.name
    key_env = MODELLIX.key_env

    def catalog(
        self,
        *,
        type: str | None = None,
        search: str | None = None,
    ) -> list[CatalogEntry]:
        out = []
        for m in self.raw_catalog():
            entry = CatalogEntry(
                id=str(m.get("slug")),
                provider="modellix",
                type=str(m.get("type", "")),
                name=str(m.get("slug")),
                summary=summary_line(str(m.get("description") or "")),
            )
            if type and entry.type != type:
                continue
            if search and search.lower() not in f"{entry.id} {entry.summary}".lower():
                continue
            out.append(entry)
        return out

    def raw_catalog(self) -> list[dict[str, Any]]:
        url = f"{self.settings.modellix_url}{MODELLIX_CATALOG_PATH}"
        data = unwrap(self.http.get_json(url, what="model catalog"), url)
        if not isinstance(data, dict) or not isinstance(data.get("models"), list):
            raise ApiError(f'{url}: expected {{"models": [...]}}')
        return list(data["models"])

    def raw_spec(self, model_id: str) -> dict[str, Any]:
        check_slug(model_id, "model id")
        url = f"{self.settings.modellix_schema_url}/models/{model_id}/api_schema"
        data = unwrap(self.http.get_json(url, auth=False, what=f"spec of {model_id}"), url)
        if not isinstance(data, dict):
            raise ApiError(f"{url}: the api_schema is not an object")
        return data

    def normalise_spec(self, model_id: str, raw: dict[str, Any]) -> ModelSpec:
        return normalise_modellix(model_id, raw, source=f"Modellix api_schema of {model_id}")

    def prepare_submit(self, spec: ModelSpec, params: dict[str, Any]) -> PreparedRequest:
        url = rebase(spec.endpoint, self.settings.modellix_url)
        return PreparedRequest(method="POST", url=url, body=params)

    def submit(self, request: PreparedRequest, model_id: str) -> TaskState:
        raw = self.http.post_json(request.url, request.body, what=f"submit of {model_id}")
        try:
            data = unwrap(raw, request.url)
        except ApiError as exc:
            raise SubmitOutcomeUnknown(exc.message) from None
        if not isinstance(data, dict) or not data.get("task_id"):
            raise SubmitOutcomeUnknown(
                f"submit of {model_id}: the gateway answered without a task id",
                hint="The task may or may not exist; check the console before resubmitting.",
            )
        state = self.parse_task(data)
        state.model = state.model or model_id
        state.raw = raw if isinstance(raw, dict) else data
        return state

    def task_url(self, task_id: str, endpoint: str | None = None) -> str:
        return f"{self.settings.modellix_url}{MODELLIX_TASK_PATH}{quote(task_id, safe='')}"

    def parse_task(self, raw: Any) -> TaskState:
        data = unwrap(raw, "task")
        if not isinstance(data, dict):
            raise ApiError("unexpected task answer: not a JSON object")
        remote = str(data.get("status", ""))
        result = data.get("result") or {}
        resources = result.get("resources") or [] if isinstance(result, dict) else []
        urls = [r["url"] for r in resources if isinstance(r, dict) and r.get("url")]
        err = data.get("error") or data.get("message") if remote in ("failed", "error") else None
        if isinstance(err, dict):
            err = err.get("message") or str(err)
        progress = data.get("progress")
        return TaskState(
            id=str(data.get("task_id", "")),
            provider="modellix",
            status=_STATUS.get(remote.lower(), RUNNING),
            remote_status=remote,
            model=str(data.get("model_id", "")),
            progress=float(progress) if isinstance(progress, (int, float)) else None,
            urls=urls,
            error=str(err) if err else None,
            raw=raw if isinstance(raw, dict) else data,
        )

    def upload(self, path: str) -> dict[str, Any]:
        url = f"{self.settings.modellix_url}{MODELLIX_UPLOAD_PATH}"
        data = unwrap(self.http.post_file(url, path), url)
        return data if isinstance(data, dict) else {"result": data}

    def validate_key(self) -> bool:
        url = f"{self.settings.modellix_url}/api/v1/apikey/validate"
        data = unwrap(self.http.get_json(url, what="key check"), url)
        return bool(isinstance(data, dict) and data.get("is_valid"))

    def balance(self) -> Any:
        url = f"{self.settings.modellix_url}/api/v1/team/balance"
        data = unwrap(self.http.get_json(url, what="balance"), url)
        return data.get("balance") if isinstance(data, dict) else data
