"""The vtrix gateway: a models service (catalog, specs) and a generation gateway (tasks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from vtrix.base.gateways import (
    DEFAULT_VTRIX_GENERATION_URL,
    VTRIX,
    VTRIX_CATALOG_PATH,
    VTRIX_SPEC_PATH,
    VTRIX_TASK_PATH,
)
from vtrix.errors import ApiError, NotFound, RequestRejected
from vtrix.task import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED
from vtrix.wire.base import CatalogEntry, Provider, TaskState
from vtrix.wire.progress import percent_of, progress_of
from vtrix.wire.reading import bad_answer, dict_of, list_of, status_in, task_of, text_of, url_of

if TYPE_CHECKING:
    from vtrix.spec.normalise import ModelSpec
    from vtrix.wire.base import PreparedRequest

STATUS = {
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
    "canceled": CANCELED,
    "cancelled": CANCELED,
}


class VtrixProvider(Provider):
    name = VTRIX.name

    def _unwrap(self, body: Any, url: str) -> Any:
        if not isinstance(body, dict) or "data" not in body:
            raise bad_answer(url, "no 'data' in the envelope", body)
        status = body.get("status") or {}
        code = status.get("code", 0) if isinstance(status, dict) else 0
        if code not in (0, 200):
            msg = text_of(status.get("message")) if isinstance(status, dict) else None
            msg = msg or "error"
            if code == 404 or "not found" in msg.lower():
                raise NotFound(
                    f"{url}: {msg}", status=404, hint="Check the model id with `vtrix models list`."
                )
            raise ApiError(f"{url}: status {text_of(code)}: {msg}")
        return body["data"]

    def catalog(self, *, type: str | None = None, search: str | None = None) -> list[CatalogEntry]:
        """The catalog, filtered here (case-insensitively), whatever the service would do."""
        from vtrix.spec.normalise import modality_of, summary_line

        entries = [
            CatalogEntry(
                id=text_of(m.get("id")) or "",
                provider=VTRIX.name,
                type=modality_of(str(m.get("type", ""))),
                name=text_of(m.get("name")) or "",
                summary=summary_line(str(m.get("description") or m.get("name") or "")),
            )
            for m in self.raw_catalog_pages()
            if isinstance(m, dict)
        ]
        return [e for e in entries if e.id and e.matches(type, search)]

    def ping(self) -> None:
        """One look at the public catalog (the gateway has no key-check route)."""
        self.http.get_json(
            f"{self.settings.models_url}{VTRIX_CATALOG_PATH}",
            params={"page": 1, "page_size": 1},
            auth=False,
            what="model catalog",
        )

    def raw_catalog_pages(
        self, *, type: str | None = None, search: str | None = None
    ) -> list[dict[str, Any]]:
        """Every model entry of the catalog, all pages, exactly as served."""
        url = f"{self.settings.models_url}{VTRIX_CATALOG_PATH}"
        out: list[dict[str, Any]] = []
        page = 1
        while page <= 1000:
            params: dict[str, Any] = {"page": page, "page_size": 100}
            if type:
                params["type"] = type
            if search:
                params["keywords"] = search
            body = self.http.get_json(url, params=params, auth=False, what="model catalog")
            data = dict_of(self._unwrap(body, url), "data", "model catalog", body)
            models = list_of(data.get("models"), "models", "model catalog", body)
            out.extend(models)
            pages = data.get("total_pages")
            if not models or not isinstance(pages, int) or page >= pages:
                break
            page += 1
        return out

    def spec_body(self, body: Any, url: str, what: str) -> dict[str, Any]:
        return dict_of(self._unwrap(body, url), "data", what, body)

    def spec_url(self, model_id: str) -> str:
        return self.settings.models_url + VTRIX_SPEC_PATH.format(model=quote(model_id, safe=""))

    def normalise_spec(self, model_id: str, raw: dict[str, Any]) -> ModelSpec:
        from vtrix.wire.vtrix.dialect import normalise_vtrix

        return normalise_vtrix(raw, source=f"vtrix spec of {model_id}")

    def gateway_base(self) -> tuple[str, bool, str]:
        s = self.settings
        return s.generation_url, "generation" in s.explicit_urls, DEFAULT_VTRIX_GENERATION_URL

    def task_endpoint(self, request: PreparedRequest) -> str:
        return request.url  # polls go where the submit went (its host may be another)

    def submit_body(self, spec: ModelSpec, params: dict[str, Any]) -> dict[str, Any]:
        if self.settings.submit_form == "input":  # as the official client 1.0.1 sends it
            return {"model": spec.id, "input": [{"params": params}]}
        return {"model": spec.id, "params": params}

    def parse_submit(self, raw: Any, model_id: str) -> TaskState:
        body = raw
        if isinstance(raw, dict) and "id" not in raw and isinstance(raw.get("data"), dict):
            body = raw["data"]
        if isinstance(body, dict) and body.get("id") in (None, "") and body.get("error"):
            # A 2xx that carries an error and no task: the gateway refused the submit.
            raise RequestRejected(
                f"submit of {model_id}: the gateway refused it: {text_of(body['error'])}",
                status=200,
                hint="Fix what it names; `vtrix models spec <id>` lists the parameters.",
            )
        state = self.parse_task(raw, None, what=f"submit of {model_id}")
        state.model = state.model or model_id
        return state

    def check_key(self) -> bool | None:
        """The gateway has no key-check route: a look-up of a task that does not exist tells
        (401: the key is refused; 404: it was accepted and the task is unknown; anything
        else: not known). A read: nothing is sent that costs."""
        from vtrix.errors import AuthError

        try:
            self.http.get_json(self.task_url("vtrix-key-check"), what="key check")
        except AuthError:
            return False
        except NotFound:
            return True
        except ApiError:
            return None
        return None

    def task_path(self, task_id: str, endpoint: str) -> str:
        path = urlsplit(endpoint).path if endpoint else ""
        if not path:
            return VTRIX_TASK_PATH.format(task=task_id)
        return f"{path.rstrip('/')}/task/{task_id}"  # where the spec said it submits

    def parse_task(self, raw: Any, task_id: str | None, what: str = "") -> TaskState:
        what = what or f"status of task {task_id}"
        body = raw
        if isinstance(body, dict) and "id" not in body and isinstance(body.get("data"), dict):
            body = body["data"]
        body = dict_of(body, "answer", what, raw)
        tid = task_of(body.get("id"), task_id, what, raw)
        remote = body.get("status")
        status = status_in(STATUS, remote, fold=True)
        urls = []
        for group in list_of(body.get("output"), "output", what, raw):
            group = dict_of(group, "output[]", what, raw)
            for item in list_of(group.get("content"), "output[].content", what, raw):
                item = dict_of(item, "output[].content[]", what, raw)
                if item.get("url") is not None:
                    urls.append(url_of(item["url"], what, raw))
        cost = _cost_of(body.get("usage"))
        created = body.get("created_at")
        return TaskState(
            id=tid,
            provider=VTRIX.name,
            status=status,
            remote_status=text_of(remote) or "",
            model=text_of(body.get("model")) or "",
            progress=percent_of(body.get("progress")),
            progress_raw=progress_of(body.get("progress")),
            urls=urls,
            error=text_of(body.get("error")),
            cost=cost,
            created_at=_epoch(created),
            raw=raw if isinstance(raw, dict) else body,
        )


def _cost_of(usage: Any) -> str | None:
    """What the task cost: ``usage.cost``, else ``unit_price`` × ``quantity`` when the gateway
    gives those (whether it is a cost at all is judged where it is kept)."""
    if not isinstance(usage, dict):
        return None
    cost = usage.get("cost")
    if isinstance(cost, (str, int, float)) and not isinstance(cost, bool):
        return text_of(cost)
    from vtrix.base.amounts import amount

    unit, quantity = amount(usage.get("unit_price")), amount(usage.get("quantity"))
    if unit is None or quantity is None:
        return None
    return f"{unit * quantity:f}"


def _epoch(value: Any) -> float | None:
    """An epoch time in seconds, or None for anything else (a string, NaN, 1e400 …)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0 < value < 4e9 else None


Adapter = VtrixProvider
