"""The Replicate protocol: model and version objects (their Cog schemas), the paged model
list, predictions created by model or by version (``Prefer: wait[=n]`` held while the task
runs, ``Preference-Applied`` said), polled, and cancelled; files uploaded for inputs
(``/v1/files``); ``/v1/account`` for key checks.

Auth: ``Authorization: Bearer …``. Errors are ``{"title", "detail", "status"}``. Outputs:
an image model's a list of URLs, others one URL; ``metrics.predict_time`` when it ends. The
model list shares its path with fal's catalog: a request in fal's ``Key`` scheme is fal's.
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from vtrix.base.gateways import (
    REPLICATE_ACCOUNT_PATH,
    REPLICATE_CANCEL_PATH,
    REPLICATE_CATALOG_PATH,
    REPLICATE_FILES_PATH,
    REPLICATE_MODEL_PATH,
    REPLICATE_MODEL_PREDICTIONS_PATH,
    REPLICATE_PREDICTIONS_PATH,
    REPLICATE_VERSION_PATH,
)
from vtrix.sandbox import fal_api
from vtrix.sandbox.common import (
    authorize,
    base_url,
    check_params,
    find_task,
    replicate_error,
    result_url,
    sandbox_of,
    start_task,
    submit_fault,
)
from vtrix.sandbox.files import receive_upload
from vtrix.sandbox.state import SandboxTask

router = APIRouter()
PAGE = 25
_OWNER_NAME = "{owner}/{name}"
_WAIT = re.compile(r"^\s*wait\s*(?:=\s*(\d{1,3}))?\s*$", re.IGNORECASE)


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(epoch))


@router.get(REPLICATE_CATALOG_PATH)
def models(request: Request, cursor: str = "", limit: int = 50) -> Any:
    if request.headers.get("authorization", "").lower().startswith("key "):
        return fal_api.catalog(request, cursor, limit)  # the same path on fal's API host
    _, denied = authorize(request, "replicate")
    if denied:
        return denied
    found = sandbox_of(request).catalog.replicate_models
    start = int(cursor) if cursor.isdigit() else 0
    names = sorted(found)[start : start + PAGE]
    more = start + PAGE < len(found)
    url = f"{base_url(request)}{REPLICATE_CATALOG_PATH}"
    body = {
        "next": f"{url}?cursor={start + PAGE}" if more else None,
        "previous": None,
        "results": [found[n] for n in names],
    }
    return JSONResponse(body)


@router.get(REPLICATE_ACCOUNT_PATH)
def account(request: Request) -> Any:
    _, denied = authorize(request, "replicate")
    if denied:
        return denied
    return JSONResponse({"type": "user", "username": "sandbox", "name": "vtrix sandbox"})


def _file_object(request: Request, file_id: str) -> dict[str, Any] | None:
    item = sandbox_of(request).state.files.get(file_id)
    if item is None:
        return None
    path, name, ctype = item
    made = path.stat().st_mtime
    return {
        "id": file_id,
        "name": name,
        "content_type": ctype,
        "size": path.stat().st_size,
        "metadata": {},
        "created_at": _iso(made),
        "expires_at": _iso(made + 86400),
        "urls": {"get": f"{base_url(request)}{REPLICATE_FILES_PATH}/{file_id}"},
    }


@router.post(REPLICATE_FILES_PATH)
async def create_file(request: Request) -> Any:
    """A file for a model's input (multipart field ``content``): its object, ``urls.get``
    the URL a prediction's input may name."""
    got = await receive_upload(request, "replicate", "content", replicate_error)
    if isinstance(got, Response):
        return got
    return JSONResponse(_file_object(request, got.file_id), status_code=201)


@router.get(REPLICATE_FILES_PATH + "/{file_id}")
def get_file(request: Request, file_id: str) -> Any:
    _, denied = authorize(request, "replicate")
    if denied:
        return denied
    found = _file_object(request, file_id)
    return JSONResponse(found) if found else replicate_error(404, "Not found")


@router.get(REPLICATE_MODEL_PATH.format(model=_OWNER_NAME))
def model(request: Request, owner: str, name: str) -> Any:
    _, denied = authorize(request, "replicate")
    if denied:
        return denied
    found = sandbox_of(request).catalog.replicate_models.get(f"{owner}/{name}")
    return JSONResponse(found) if found else replicate_error(404, "Not found.")


@router.get(REPLICATE_VERSION_PATH.format(model=_OWNER_NAME, version="{version}"))
def version(request: Request, owner: str, name: str, version: str) -> Any:
    _, denied = authorize(request, "replicate")
    if denied:
        return denied
    found = sandbox_of(request).catalog.replicate_models.get(f"{owner}/{name}") or {}
    latest = found.get("latest_version") or {}
    return (
        JSONResponse(latest) if latest.get("id") == version else replicate_error(404, "Not found.")
    )


def _prediction(request: Request, task: SandboxTask) -> dict[str, Any]:
    """A prediction as Replicate answers it, at this moment."""
    sb = sandbox_of(request)
    progress = task.progress(time.monotonic())
    url = f"{base_url(request)}{REPLICATE_PREDICTIONS_PATH}/{task.id}"
    owner_name, _, version_id = task.model.removeprefix("replicate:").partition(":")
    body: dict[str, Any] = {
        "id": task.id,
        "model": owner_name,
        "version": version_id or _latest(request, owner_name),
        "input": task.params,
        "logs": "",
        "output": None,
        "error": None,
        "status": "starting" if progress < 10 else "processing",
        "created_at": _iso(task.created_wall),
        "urls": {"get": url, "cancel": f"{url}/cancel"},
        "data_removed": False,
    }
    if task.canceled:
        body.update(status="canceled", completed_at=_iso(time.time()))
    elif progress >= 100:
        ended = task.completes_wall
        body.update(completed_at=_iso(ended), metrics={"predict_time": task.seconds})
        if task.fail:
            body.update(status="failed", error=task.fail)
        elif time.time() > ended + sb.config.url_ttl:
            body.update(status="succeeded", data_removed=True)
        else:
            ext = {"image": "png", "video": "mp4", "audio": "wav"}.get(task.kind, "png")
            url = result_url(request, task, ext)
            body.update(status="succeeded", output=[url] if task.kind == "image" else url)
    return body


def _latest(request: Request, owner_name: str) -> str:
    found = sandbox_of(request).catalog.replicate_models.get(owner_name) or {}
    return str((found.get("latest_version") or {}).get("id") or "")


async def _create(request: Request, model_id: str) -> Any:
    _, denied = authorize(request, "replicate", paid=True)
    if denied:
        return denied
    sb = sandbox_of(request)
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        return replicate_error(400, "the body is not valid JSON")
    params = body.get("input") if isinstance(body, dict) else None
    unversioned = (
        model_id.partition(":")[0] if ":" in model_id.removeprefix("replicate:") else model_id
    )
    kind = sb.catalog.kind(unversioned)
    if kind is None:
        return replicate_error(404, "Not found.")
    problems = check_params(sb.catalog, unversioned, params)
    if problems:
        return replicate_error(422, "; ".join(problems), title="Input validation failed")
    task = start_task(request, "replicate", model_id, kind, params or {})
    fault = submit_fault(request, "replicate", "Request was throttled.")
    if fault is not None:
        return fault
    hold = _WAIT.match(request.headers.get("prefer", ""))
    headers = {}
    if hold:
        headers["Preference-Applied"] = request.headers["prefer"].strip()
        until = time.monotonic() + min(int(hold.group(1) or 60), 60)
        while time.monotonic() < until and task.progress(time.monotonic()) < 100:
            await asyncio.sleep(0.05)
    return JSONResponse(_prediction(request, task), status_code=201, headers=headers)


@router.post(REPLICATE_MODEL_PREDICTIONS_PATH.format(model=_OWNER_NAME))
async def create_by_model(request: Request, owner: str, name: str) -> Any:
    return await _create(request, f"replicate:{owner}/{name}")


@router.post(REPLICATE_PREDICTIONS_PATH)
async def create_by_version(request: Request) -> Any:
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        body = None
    wanted = body.get("version") if isinstance(body, dict) else None
    for name, found in sandbox_of(request).catalog.replicate_models.items():
        if wanted and (found.get("latest_version") or {}).get("id") == wanted:
            return await _create(request, f"replicate:{name}:{wanted}")
    _, denied = authorize(request, "replicate")
    return denied or replicate_error(
        422, f"version {wanted!r} does not exist", title="Invalid version"
    )


def _find(request: Request, prediction_id: str) -> SandboxTask | Response:
    return find_task(request, "replicate", prediction_id, "replicate.get", "Not found.")


@router.get(REPLICATE_PREDICTIONS_PATH + "/{prediction_id}")
def get(request: Request, prediction_id: str) -> Any:
    task = _find(request, prediction_id)
    return task if isinstance(task, Response) else JSONResponse(_prediction(request, task))


@router.post(REPLICATE_CANCEL_PATH.format(task="{prediction_id}"))
def cancel(request: Request, prediction_id: str) -> Any:
    task = _find(request, prediction_id)
    if isinstance(task, Response):
        return task
    if task.progress(time.monotonic()) < 100:
        task.canceled = True
    return JSONResponse(_prediction(request, task))
