"""The Modellix protocol: catalog, api_schema specs, async submits, tasks, uploads, keys.

Auth: every route of the API host takes the key, the catalog included (the official
modellix-cli sends it there and refuses to list models without one); only the api_schema
route, on the public schema host, is open. Task answers follow the public docs' shapes:
``model_id`` is the model's name, ``duration`` whole milliseconds, a resource's ``role``
``primary``, and a pending task carries neither ``duration`` nor ``result``.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from vtrix.base.gateways import (
    MODELLIX_BALANCE_PATH,
    MODELLIX_CATALOG_PATH,
    MODELLIX_KEY_CHECK_PATH,
    MODELLIX_LEGACY_SUFFIX,
    MODELLIX_SCHEMA_PATH,
    MODELLIX_SUBMIT_PATH,
    MODELLIX_TASK_PATH,
    MODELLIX_UPLOAD_PATH,
)
from vtrix.sandbox.common import (
    authorize,
    base_url,
    cacheable,
    check_params,
    find_task,
    modellix_error,
    modellix_ok,
    produce,
    result_url,
    sandbox_of,
    start_task,
    status_word,
    submit_fault,
)
from vtrix.sandbox.files import receive_upload
from vtrix.sandbox.state import SandboxTask

SLUG_ROUTE = MODELLIX_SUBMIT_PATH.format(model="{vendor}/{model}")
router = APIRouter()


@router.get(MODELLIX_CATALOG_PATH)
def catalog(request: Request) -> Any:
    _, denied = authorize(request, "modellix")
    if denied:
        return denied
    return JSONResponse({"models": sandbox_of(request).catalog.modellix_models})


@router.get(MODELLIX_SCHEMA_PATH.format(model="{vendor}/{model}"))
def schema(request: Request, vendor: str, model: str) -> Any:
    cat = sandbox_of(request).catalog
    raw = cat.modellix_specs.get(f"{vendor}/{model}")
    if raw is None:  # also for a catalog model whose parameters are not published
        return modellix_error(404, f"no api_schema for {vendor}/{model}")
    return cacheable(request, raw, cat.loaded_at)


def task_body(request: Request, task: SandboxTask) -> Response:
    sb = sandbox_of(request)
    progress = task.progress(time.monotonic())
    items = sb.state.faults_for("modellix.task").result_items
    data: dict[str, Any] = {
        "status": status_word(request, task, progress, "modellix.task"),
        "task_id": task.id,
        "model_id": task.model.split("/", 1)[-1],
    }
    if progress >= 100:
        data["duration"] = int(task.seconds * 1000)
        if task.fail:
            data.update(error=task.fail)
        else:
            content, ext, _ctype = produce(sb.state, task)
            resource: dict[str, Any] = {
                "url": result_url(request, task, ext),
                "type": task.kind,
                "format": ext,
                "role": "primary",
            }
            if task.kind == "image":
                w, h = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
                resource.update(width=w, height=h)
            shaped: Any = {
                "object": resource,
                "string": resource["url"],
                "url": {"url": resource["url"]},
                "top": resource,
            }[items]
            result: dict[str, Any] = {"metadata": {"sandbox": True}, "extensions": {}}
            if items == "top":  # the resources beside result, as the official client allows
                data["resources"] = [shaped]
            else:
                result["resources"] = [shaped]
            data.update(
                result=result,
                result_expires_at=int((task.completes_wall + sb.config.url_ttl) * 1000),
            )
    return modellix_ok(data)


@router.get(MODELLIX_TASK_PATH + "{task_id}")
def task(request: Request, task_id: str) -> Any:
    found = find_task(
        request, "modellix", task_id, "modellix.task", f"task {task_id} does not exist"
    )
    if isinstance(found, Response):
        return found
    return task_body(request, found)


@router.post(MODELLIX_UPLOAD_PATH)
async def upload(request: Request) -> Any:
    got = await receive_upload(request, "modellix", "file", modellix_error)
    if isinstance(got, Response):
        return got
    return modellix_ok(
        {
            "file_id": got.file_id,
            "type": got.ctype.split("/")[0],
            "filename": got.name,
            "url": got.url,
            "size": got.size,
            "created_at": int(time.time()),
        }
    )


@router.get(MODELLIX_KEY_CHECK_PATH)
def validate_key(request: Request) -> Any:
    _, denied = authorize(request, "modellix")
    return denied or modellix_ok({"is_valid": True})


@router.get(MODELLIX_BALANCE_PATH)
def balance(request: Request) -> Any:
    _, denied = authorize(request, "modellix")
    if denied:
        return denied
    key = request.headers.get("authorization", "")[7:].strip()
    sb = sandbox_of(request)
    left = sb.state.balance_of(key or "")
    if key in sb.config.broke_keys:
        left = Decimal(0)
    return modellix_ok({"balance": float(left if left is not None else Decimal(100))})


async def submit(request: Request, vendor: str, model: str) -> Any:
    sb = sandbox_of(request)
    routes = sb.state.faults_for("modellix.submit").modellix_async
    legacy = request.url.path.endswith("/async")
    if (routes == "new" and legacy) or (routes == "old" and not legacy):
        return modellix_error(404, f"no route {request.url.path}")
    _, denied = authorize(request, "modellix", paid=True)
    if denied:
        return denied
    slug = f"{vendor}/{model}"
    kind = sb.catalog.kind(slug)
    if kind is None:
        return modellix_error(404, f"model {slug} does not exist")
    try:
        params = await request.json()
    except (ValueError, RecursionError):  # not JSON, or nested past any reader
        return modellix_error(400, "body is not valid JSON")
    problems = check_params(sb.catalog, slug, params)
    if problems:
        return modellix_error(400, "Invalid Parameter: " + "; ".join(problems))
    found = start_task(request, "modellix", slug, kind, params)
    fault = submit_fault(request, "modellix", "concurrency limit reached")
    return fault or modellix_ok(
        {
            "status": "pending",
            "task_id": found.id,
            "model_id": model,
            "get_result": {
                "method": "GET",
                "url": f"{base_url(request)}{MODELLIX_TASK_PATH}{found.id}",
            },
        }
    )


router.add_api_route(SLUG_ROUTE + MODELLIX_LEGACY_SUFFIX, submit, methods=["POST"])
router.add_api_route(SLUG_ROUTE, submit, methods=["POST"])
