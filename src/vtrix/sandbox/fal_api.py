"""The fal protocol: per-endpoint OpenAPI documents, the cursor-paged catalog, and the queue
(submit, status with the queue position, result as file objects, cancel).

Auth: ``Authorization: Key …`` on the catalog and the queue (a Bearer key is refused, as fal
refuses it); the documents are public. Errors are ``{"detail": …}``. A request id is a UUID
that is only found under its own endpoint's path. A cancelled request reads COMPLETED with an
error of type ``request_cancelled``; its result is a 400.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.convertors import Convertor, register_url_convertor

from vtrix.base.gateways import FAL_CATALOG_PATH, FAL_SCHEMA_PATH, fal_app_path
from vtrix.sandbox.common import (
    accept_submit,
    authorize,
    base_url,
    cacheable,
    fal_error,
    hidden,
    produce,
    result_url,
    sandbox_of,
    start_task,
    submit_fault,
)
from vtrix.sandbox.state import SandboxTask

router = APIRouter()
PAGE = 50


class EndpointPath(Convertor[str]):
    """A fal endpoint's path: any path outside the other protocols' and the sandbox's own
    prefixes, so that fal's routes never shadow theirs (nor turn their 404s into 405s)."""

    regex = r"(?!(?:api|model|files|uploads|__sandbox|v1)/)[A-Za-z0-9][^?#]*?"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("falpath", EndpointPath())


@router.get(FAL_SCHEMA_PATH)
def schema(request: Request, endpoint_id: str = "") -> Any:
    cat = sandbox_of(request).catalog
    doc = cat.fal_docs.get(endpoint_id)
    if doc is None:
        return fal_error(404, f"no endpoint {endpoint_id!r}")
    return cacheable(request, doc, cat.loaded_at)


@router.get(FAL_CATALOG_PATH)
def catalog(request: Request, cursor: str = "", limit: int = PAGE) -> Any:
    _, denied = authorize(request, "fal")
    if denied:
        return denied
    docs = sandbox_of(request).catalog.fal_docs
    start = int(cursor) if cursor.isdigit() else 0
    size = max(1, min(limit, 100))
    endpoints = sorted(docs)[start : start + size]
    more = start + size < len(docs)
    rows = []
    for endpoint in endpoints:
        meta = docs[endpoint].get("info", {}).get("x-fal-metadata", {})
        rows.append(
            {
                "endpoint_id": endpoint,
                "metadata": {
                    "display_name": endpoint,
                    "category": meta.get("category", ""),
                    "description": f"{meta.get('category', 'a model')} on fal (sandbox)",
                    "status": "active",
                },
            }
        )
    next_cursor = str(start + size) if more else None
    return JSONResponse({"models": rows, "has_more": more, "next_cursor": next_cursor})


def _find(request: Request, app: str, request_id: str) -> SandboxTask | Response:
    """The request of an endpoint of this app: under the app's path only, as fal keeps them
    (``/fal-ai/flux/requests/…`` for a submit to ``/fal-ai/flux/dev``; not under the
    endpoint's own path)."""
    _, denied = authorize(request, "fal")
    if denied:
        return denied
    task = sandbox_of(request).state.tasks.get(request_id)
    if (
        task is None
        or not task.model.startswith("fal:")
        or fal_app_path(task.model[4:]) != f"/{app}"
        or hidden(request, task, "fal.status")
    ):
        return fal_error(404, f"request {request_id} not found")
    return task


def _urls(request: Request, task: SandboxTask) -> dict[str, str]:
    head = f"{base_url(request)}{fal_app_path(task.model[4:])}/requests/{task.id}"
    return {"response_url": head, "status_url": f"{head}/status", "cancel_url": f"{head}/cancel"}


@router.get("/{app:falpath}/requests/{request_id}/status")
def status(request: Request, app: str, request_id: str) -> Any:
    task = _find(request, app, request_id)
    if isinstance(task, Response):
        return task
    progress = task.progress(time.monotonic())
    body: dict[str, Any] = {"request_id": task.id, **_urls(request, task)}
    if task.canceled:
        body.update(status="COMPLETED", error="cancelled", error_type="request_cancelled")
    elif progress >= 100:
        body.update(status="COMPLETED", metrics={"inference_time": task.seconds})
        if task.fail:
            body.update(error=task.fail, error_type="content_policy_violation")
    elif progress < 10:
        body.update(status="IN_QUEUE", queue_position=0)
    else:
        body.update(status="IN_PROGRESS", logs=None)
    return JSONResponse(body)


@router.get("/{app:falpath}/requests/{request_id}")
def result(request: Request, app: str, request_id: str) -> Any:
    task = _find(request, app, request_id)
    if isinstance(task, Response):
        return task
    if task.canceled:
        return fal_error(400, "the request was cancelled")
    if task.progress(time.monotonic()) < 100:
        return fal_error(400, "the request is still in progress")
    if task.fail:
        return fal_error(422, task.fail)
    content, ext, ctype = produce(sandbox_of(request).state, task)
    file = {
        "url": result_url(request, task, ext),
        "content_type": ctype,
        "file_name": f"output.{ext}",
        "file_size": len(content),
    }
    if task.kind == "image":
        w, h = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
        return JSONResponse({"images": [{**file, "width": w, "height": h}], "seed": 42})
    return JSONResponse({task.kind: file})


@router.put("/{app:falpath}/requests/{request_id}/cancel")
def cancel(request: Request, app: str, request_id: str) -> Any:
    task = _find(request, app, request_id)
    if isinstance(task, Response):
        return task
    if task.canceled or task.progress(time.monotonic()) >= 100:
        return JSONResponse({"status": "ALREADY_COMPLETED", "success": False}, status_code=400)
    task.canceled = True
    return JSONResponse({"status": "CANCELLATION_REQUESTED", "success": True}, status_code=202)


@router.post("/{endpoint:falpath}")
async def submit(request: Request, endpoint: str) -> Any:
    model = f"fal:{endpoint}"
    known = endpoint in sandbox_of(request).catalog.fal_docs
    accepted = await accept_submit(request, "fal", model, known, bad=422)
    if isinstance(accepted, Response):
        return accepted
    params, kind = accepted
    task = start_task(request, "fal", model, kind, params)
    fault = submit_fault(request, "fal", "too many requests")
    return fault or JSONResponse({"request_id": task.id, **_urls(request, task)})
