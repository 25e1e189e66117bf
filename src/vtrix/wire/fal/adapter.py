"""fal: a queue per endpoint (submit, status, result, cancel), a cursor-paged catalog, and one
OpenAPI document per endpoint for its parameters.

A fal request id is only usable with its endpoint: the ledger keeps the submit's URL (the
queue host and the endpoint's path) as the task's endpoint. Every later route is under the
endpoint's app (``/fal-ai/flux`` for ``/fal-ai/flux/dev``: the subpath goes with the submit
only) plus ``/requests/<id>…``, where the submit answer's own URLs point. The key goes as
``Authorization: Key …`` and only to the configured fal hosts. No answer carries money:
quotes come from prices you set, or learned.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from vtrix.base.gateways import (
    FAL,
    FAL_CANCEL_PATH,
    FAL_CATALOG_PATH,
    FAL_RESULT_PATH,
    FAL_SCHEMA_PATH,
    FAL_STATUS_PATH,
    fal_app_path,
    split_id,
)
from vtrix.errors import RequestRejected, UsageError
from vtrix.http import Plan
from vtrix.task import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, UNKNOWN
from vtrix.wire.base import CatalogEntry, Provider, TaskState
from vtrix.wire.reading import (
    bad_answer,
    dict_of,
    list_of,
    status_in,
    task_of,
    text_of,
    urls_in,
)

if TYPE_CHECKING:
    from vtrix.spec.normalise import ModelSpec
    from vtrix.wire.base import PreparedRequest

STATUS = {"IN_QUEUE": QUEUED, "IN_PROGRESS": RUNNING, "COMPLETED": SUCCEEDED}
_PAGES = 200  # a catalog of ~1,400 endpoints is 15 pages of 100: far more is a loop


class FalProvider(Provider):
    name = FAL.name

    # ------------------------------------------------------------------ specs

    def catalog(self, *, type: str | None = None, search: str | None = None) -> list[CatalogEntry]:
        """Every active endpoint, all pages (``next_cursor`` while ``has_more``)."""
        from vtrix.spec.normalise import modality_of, summary_line

        url = f"{self.settings.url(FAL.name, 'api')}{FAL_CATALOG_PATH}"
        out: list[CatalogEntry] = []
        cursor: str | None = None
        for _ in range(_PAGES):
            params = {"status": "active", "limit": 100, **({"cursor": cursor} if cursor else {})}
            page = self.http.get_json(url, params=params, what="fal catalog")
            body = dict_of(page, "answer", "fal catalog", page)
            for row in list_of(body.get("models"), "models", "fal catalog", body):
                if not isinstance(row, dict):
                    continue
                meta: dict[str, Any] = row.get("metadata") or {}
                meta = meta if isinstance(meta, dict) else {}
                meta = {**row, **meta}
                endpoint = text_of(row.get("endpoint_id") or row.get("id")) or ""
                category = text_of(meta.get("category")) or ""
                if not endpoint or "/" not in endpoint:
                    continue
                out.append(
                    CatalogEntry(
                        id=f"{FAL.name}:{endpoint}",
                        provider=FAL.name,
                        type=modality_of(category or "unknown"),
                        name=text_of(meta.get("display_name") or meta.get("title")) or endpoint,
                        summary=summary_line(str(meta.get("description") or category)),
                        task=category,
                    )
                )
            cursor = text_of(body.get("next_cursor"))
            if not body.get("has_more") or not cursor:
                break
        return [e for e in out if e.matches(type, search)]

    def spec_url(self, model_id: str) -> str:
        endpoint = quote(split_id(model_id)[1], safe="/")
        return f"{self.settings.url(FAL.name, 'schema')}{FAL_SCHEMA_PATH}?endpoint_id={endpoint}"

    def spec_body(self, body: Any, url: str, what: str) -> dict[str, Any]:
        return dict_of(body, "document", what, body)

    def normalise_spec(self, model_id: str, raw: dict[str, Any]) -> ModelSpec:
        from vtrix.wire.fal.dialect import normalise_fal

        spec = normalise_fal(raw, source=f"fal spec of {model_id}")
        if spec.id != f"{FAL.name}:{split_id(model_id)[1]}":
            raise bad_answer(f"spec of {model_id}", f"it describes {spec.id}", raw)
        return spec

    # ---------------------------------------------------------------- submits

    def submit_body(self, spec: ModelSpec, params: dict[str, Any]) -> dict[str, Any]:
        return dict(params)  # the input object is the whole body

    def task_endpoint(self, request: PreparedRequest) -> str:
        return request.url  # the request id is only usable under its endpoint

    def parse_submit(self, raw: Any, model_id: str) -> TaskState:
        what = f"submit of {model_id}"
        body = dict_of(raw, "answer", what, raw)
        state = self.parse_task({"status": "IN_QUEUE", **body}, None, what=what)
        state.model = model_id
        return state

    def task_path(self, task_id: str, endpoint: str) -> str:
        prefix = urlsplit(self.settings.url(FAL.name, "queue")).path.rstrip("/")
        return _app_path(endpoint, task_id, prefix) + FAL_STATUS_PATH.format(task=task_id)

    def task_plan(
        self, task_id: str, endpoint: str = "", deadline: float | None = None
    ) -> Plan[TaskState]:
        """The queue status; once COMPLETED, the result too (its file objects' URLs)."""
        what = f"status of task {task_id}"
        raw = yield from self.http.read_plan(
            self.task_url(task_id, endpoint), what=what, deadline=deadline
        )
        state = self.parse_task(raw, task_id)
        if state.status != SUCCEEDED:
            return state
        url = self._route(task_id, endpoint, FAL_RESULT_PATH)
        try:
            result = yield from self.http.read_plan(
                url, what=f"result of task {task_id}", deadline=deadline
            )
        except RequestRejected as exc:  # fal answers a failed run's result so (422, 400)
            state.status, state.error = FAILED, exc.message
            return state
        state.urls = files_in(result, f"result of task {task_id}")
        state.raw = {"status": raw, "result": result}
        return state

    def parse_task(self, raw: Any, task_id: str | None, what: str = "") -> TaskState:
        what = what or f"status of task {task_id}"
        body = dict_of(raw, "answer", what, raw)
        tid = task_of(body.get("request_id"), task_id, what, raw)
        remote = body.get("status")
        status = status_in(STATUS, remote)
        error = text_of(body.get("error"))
        if error and status in (SUCCEEDED, UNKNOWN):
            cancelled = "cancel" in str(body.get("error_type") or "").lower()
            status = CANCELED if cancelled else FAILED
        shown = text_of(remote) or ""
        position = body.get("queue_position")
        if status == QUEUED and isinstance(position, int) and not isinstance(position, bool):
            shown = f"{shown}, position {position}"
        return TaskState(
            id=tid,
            provider=FAL.name,
            status=status,
            remote_status=shown,
            progress=0.0 if status == QUEUED else None,
            error=error,
            raw=body,
        )

    def check_key(self) -> bool | None:
        """One look at the catalog (it takes the key): 401 says the key is refused."""
        from vtrix.errors import AuthError

        url = f"{self.settings.url(FAL.name, 'api')}{FAL_CATALOG_PATH}"
        try:
            self.http.get_json(url, params={"limit": 1}, what="fal key check")
        except AuthError:
            return False
        return True

    # ----------------------------------------------------------------- cancel

    def cancel_plan(self, task_id: str, endpoint: str, deadline: float | None = None) -> Plan[bool]:
        """Ask the queue to cancel: True when it says so (a finished request cannot be)."""
        from vtrix.http.once import once_plan

        url = self._route(task_id, endpoint, FAL_CANCEL_PATH)
        what = f"cancel of task {task_id}"
        outcome = yield from once_plan(self.http, "PUT", url, {}, what=what, deadline=deadline)
        if outcome.status >= 300 and outcome.status != 400:
            raise self.http.error_for(outcome, f"cancel of task {task_id}")
        from vtrix.http.answer import decode

        body = decode(outcome, f"cancel of task {task_id}") if outcome.body else {}
        return outcome.status < 300 and bool(isinstance(body, dict) and body.get("success", True))

    def _route(self, task_id: str, endpoint: str, route: str) -> str:
        """The URL of one of a request's routes (``FAL_RESULT_PATH``, ``FAL_CANCEL_PATH``):
        beside its status route, on the same host."""
        head, _, rest = self.task_url(task_id, endpoint).rpartition("/requests/")
        return head + route.format(task=rest.split("/", 1)[0])  # the id as task_url quoted it


def _app_path(endpoint: str, task_id: str, prefix: str = "") -> str:
    """The path of a fal task's app (``/fal-ai/flux`` for a submit to ``/fal-ai/flux/dev``),
    below the queue URL's own path (``prefix``: a proxy's ``/fal``, say; the task's URL is
    that URL plus this path): without its endpoint the request id cannot be asked about."""
    path = urlsplit(endpoint).path.rstrip("/") if endpoint else ""
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    if not path or path == "/":
        raise UsageError(
            f"fal task {task_id} can only be looked up with its endpoint, and the ledger "
            "holds none for it; nothing was sent",
            hint="Look it up on the machine that submitted it (or one sharing its ledger).",
        )
    return fal_app_path(path)


def files_in(result: Any, what: str) -> list[str]:
    """The URLs of a result's file objects (``{"url": …, "content_type": …}``) wherever the
    output puts them: ``images[]``, ``video``, ``audio_file``…, in the order they come."""

    def file_url(node: Any, depth: int) -> Any:
        url = node.get("url") if isinstance(node, dict) else None
        file = "content_type" in node or "file_name" in node if url else False
        return url if isinstance(url, str) and (file or depth) else None

    return urls_in(result, what, result, file_url)


Adapter = FalProvider
