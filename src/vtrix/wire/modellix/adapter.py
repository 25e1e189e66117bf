"""The Modellix API: catalog, api_schema specs, async submits, task polling, uploads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vtrix.base.gateways import (
    DEFAULT_MODELLIX_URL,
    MODELLIX,
    MODELLIX_BALANCE_PATH,
    MODELLIX_CATALOG_PATH,
    MODELLIX_KEY_CHECK_PATH,
    MODELLIX_LEGACY_SUFFIX,
    MODELLIX_SCHEMA_PATH,
    MODELLIX_TASK_PATH,
    MODELLIX_UPLOAD_PATH,
)
from vtrix.errors import ApiError
from vtrix.task import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED
from vtrix.wire.base import CatalogEntry, Provider, TaskState
from vtrix.wire.progress import percent_of, progress_of
from vtrix.wire.reading import bad_answer, dict_of, list_of, status_in, task_of, text_of, url_of

if TYPE_CHECKING:
    from vtrix.spec.normalise import ModelSpec

STATUS = {
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


def unwrap(body: Any, what: str) -> Any:
    """``{"code": 0, "message": "success", "data": …}`` -> data (bare bodies pass through)."""
    if isinstance(body, dict) and "code" in body and "data" in body:
        if body.get("code") not in (0, 200):
            raise ApiError(f"{what}: {text_of(body.get('message')) or 'error'}")
        return body["data"]
    return body


class ModellixProvider(Provider):
    name = MODELLIX.name
    upload_path = MODELLIX_UPLOAD_PATH

    def catalog(self, *, type: str | None = None, search: str | None = None) -> list[CatalogEntry]:
        from vtrix.spec.normalise import modality_of, summary_line

        out = []
        for m in self.raw_catalog():
            if not isinstance(m, dict) or not isinstance(m.get("slug"), str):
                continue
            task = text_of(m.get("type")) or ""
            entry = CatalogEntry(
                id=text_of(m["slug"]) or "",
                provider=MODELLIX.name,
                type=modality_of(task),
                name=text_of(m["slug"]) or "",
                summary=summary_line(str(m.get("description") or "")),
                task=task,
            )
            if entry.matches(type, search):
                out.append(entry)
        return out

    def raw_catalog(self) -> list[dict[str, Any]]:
        """Every catalog entry as served: the list under ``models`` (or ``items``/``list``),
        following ``total_pages`` / ``has_more`` paging when the answer has it. An answer
        without a list is an error, never an empty catalog."""
        url = f"{self.settings.modellix_url}{MODELLIX_CATALOG_PATH}"
        out: list[dict[str, Any]] = []
        page: int | None = None
        for _ in range(1000):
            params = {"page": page, "page_size": 100} if page else None
            body = self.http.get_json(url, params=params, what="model catalog")
            data = unwrap(body, url)
            if isinstance(data, list):
                return data
            data = dict_of(data, "data", "model catalog", body)
            name = next((k for k in ("models", "items", "list") if k in data), None)
            if name is None:
                raise bad_answer("model catalog", "no list of models in the answer", body)
            models = list_of(data[name], name, "model catalog", body)
            out.extend(models)
            served = data.get("page")
            current: int = served if isinstance(served, int) else (page or 1)
            pages = data.get("total_pages")
            more = data.get("has_more") is True or (isinstance(pages, int) and current < pages)
            if not models or not more:
                break
            page = current + 1
        return out

    def spec_body(self, body: Any, url: str, what: str) -> dict[str, Any]:
        return dict_of(unwrap(body, url), "api_schema", what, body)

    def spec_url(self, model_id: str) -> str:
        from vtrix.wire.modellix.dialect import check_slug

        check_slug(model_id, "model id")
        return self.settings.modellix_schema_url + MODELLIX_SCHEMA_PATH.format(model=model_id)

    def normalise_spec(self, model_id: str, raw: dict[str, Any]) -> ModelSpec:
        from vtrix.wire.modellix.dialect import normalise_modellix

        return normalise_modellix(model_id, raw, source=f"Modellix api_schema of {model_id}")

    def gateway_base(self) -> tuple[str, bool, str]:
        s = self.settings
        return s.modellix_url, "modellix" in s.explicit_urls, DEFAULT_MODELLIX_URL

    def submit_body(self, spec: ModelSpec, params: dict[str, Any]) -> dict[str, Any]:
        return params

    def submit_path(self, path: str) -> str:
        # A spec cached by an older vtrix may still name the legacy /async route.
        return path.removesuffix(MODELLIX_LEGACY_SUFFIX) or "/"

    def parse_submit(self, raw: Any, model_id: str) -> TaskState:
        what = f"submit of {model_id}"
        state = self.parse_task(unwrap(raw, what), None, what=what)
        state.model = state.model or model_id
        return state

    def task_path(self, task_id: str, endpoint: str) -> str:
        return f"{MODELLIX_TASK_PATH}{task_id}"

    def parse_task(self, raw: Any, task_id: str | None, what: str = "") -> TaskState:
        what = what or f"status of task {task_id}"
        data = dict_of(unwrap(raw, what), "data", what, raw)
        tid = task_of(data.get("task_id"), task_id, what, raw)
        remote = data.get("status")
        status = status_in(STATUS, remote, fold=True)
        result = data.get("result")
        result = {} if result is None else dict_of(result, "result", what, raw)
        resources, where = result.get("resources"), "result.resources"
        if resources is None:  # the official client falls back to data.resources
            resources, where = data.get("resources"), "resources"
        urls = []
        for res in list_of(resources, where, what, raw):
            if isinstance(res, str):  # an item may be the URL itself
                urls.append(url_of(res, what, raw))
                continue
            res = dict_of(res, f"{where}[]", what, raw)
            if res.get("url") is not None:
                urls.append(url_of(res["url"], what, raw))
        error = None
        if status in (FAILED, CANCELED):
            error = failure_reason(data, result)
        return TaskState(
            id=tid,
            provider=MODELLIX.name,
            status=status,
            remote_status=text_of(remote) or "",
            model=text_of(data.get("model_id")) or "",
            progress=percent_of(data.get("progress")),
            progress_raw=progress_of(data.get("progress")),
            urls=urls,
            error=error,
            created_at=epoch_seconds(data.get("created_at")),
            expires_at=epoch_seconds(data.get("result_expires_at")),
            raw=raw if isinstance(raw, dict) else data,
        )

    def upload(self, path: str, content_type: str) -> dict[str, Any]:
        url = f"{self.settings.modellix_url}{MODELLIX_UPLOAD_PATH}"
        with open(path, "rb") as fh:
            body = self.http.post_file(url, path.rsplit("/", 1)[-1], fh, content_type)
        return dict_of(unwrap(body, "upload"), "data", "upload", body)

    def check_key(self) -> bool | None:
        """Modellix's own answer: does it accept the key (False on a 401)."""
        from vtrix.errors import AuthError

        url = f"{self.settings.modellix_url}{MODELLIX_KEY_CHECK_PATH}"
        try:
            data = unwrap(self.http.get_json(url, what="key check"), url)
        except AuthError:
            return False
        return bool(isinstance(data, dict) and data.get("is_valid"))

    def balance(self) -> Any:
        url = f"{self.settings.modellix_url}{MODELLIX_BALANCE_PATH}"
        data = unwrap(self.http.get_json(url, what="balance"), url)
        return data.get("balance") if isinstance(data, dict) else data


# Where the official apps look for why a task failed, in order.
_FAILURE_FIELDS = ("error", "error_message", "fail_reason", "failure_reason", "reason", "message")


def failure_reason(data: dict[str, Any], result: dict[str, Any]) -> str | None:
    for source in (data, result):
        for name in _FAILURE_FIELDS:
            text = text_of(source.get(name))
            if text and text.lower() not in ("success", "ok"):
                return text
    return None


def epoch_seconds(value: Any) -> float | None:
    """An epoch time in seconds or milliseconds (Modellix uses ms), as seconds; None for
    anything else."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        return None
    if 1e11 < value < 4e12:
        return float(value) / 1000.0
    return float(value) if 0 < value < 4e9 else None


Adapter = ModellixProvider
