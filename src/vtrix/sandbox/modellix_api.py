"""The Modellix protocol: catalog, api_schema specs, async submits, tasks, uploads, keys."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from fastapi import APIRouter, File, Request, UploadFile

from vtrix.sandbox.common import (
    authorize,
    check_params,
    modellix_error,
    modellix_ok,
    produce,
    result_url,
    sandbox_of,
    start_task,
)
from vtrix.sandbox.state import SandboxTask

router = APIRouter()


@router.get("/api/v1/models")
def catalog(request: Request) -> Any:
    return {"models": sandbox_of(request).catalog.snap.modellix_catalog}


@router.get("/models/{vendor}/{model}/api_schema")
def schema(request: Request, vendor: str, model: str) -> Any:
    raw = sandbox_of(request).catalog.snap.modellix_specs.get(f"{vendor}/{model}")
    if raw is None:
        return modellix_error(404, f"Not Found: no api_schema for {vendor}/{model}")
    return raw


def task_body(request: Request, task: SandboxTask) -> dict[str, Any]:
    sb = sandbox_of(request)
    progress = task.progress(time.monotonic())
    data: dict[str, Any] = {
        "status": "pending" if progress < 10 else "processing",
        "task_id": task.id,
        "model_id": task.model,
        "duration": None,
        "result": None,
    }
    if progress >= 100:
        data["duration"] = task.seconds
        if task.fail:
            data.update(status="failed", error=task.fail)
        else:
            content, ext, _ctype = produce(sb.state, task)
            resource: dict[str, Any] = {
                "url": result_url(request, task, ext),
                "type": task.kind,
                "format": ext,
                "role": "output",
            }
            if task.kind == "image":
                w, h = int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
                resource.update(width=w, height=h)
            data.update(
                status="success",
                result={"resources": [resource], "metadata": {"sandbox": True}, "extensions": {}},
                result_expires_at=int((time.time() + sb.config.url_ttl) * 1000),
            )
    return modellix_ok(data)


@router.get("/api/v1/tasks/{task_id}")
def task(request: Request, task_id: str) -> Any:
    _, denied = authorize(request, "modellix")
    if denied:
        return denied
    found = sandbox_of(request).state.tasks.get(task_id)
    if found is None or found.provider != "modellix":
        return modellix_error(404, f"Not Found: task {task_id} does not exist")
    return task_body(request, found)


@router.post("/api/v1/media/files")
async def upload(request: Request, file: UploadFile = File(...)) -> Any:
    _, denied = authorize(request, "modellix")
    if denied:
        return denied
    content = await file.read()
    file_id = "file-" + uuid.uuid4().hex[:12]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", file.filename or "upload")
    ctype = file.content_type or "application/octet-stream"
    state = sandbox_of(request).state
    with state.lock:
        state.files[file_id] = (content, name, ctype)
    base = str(request.base_url).rstrip("/")
    return modellix_ok(
        {
            "file_id": file_id,
            "type": ctype.split("/")[0],
            "filename": name,
            "url": f"{base}/uploads/{file_id}/{name}",
            "size": len(content),
            "created_at": int(time.time()),
        }
    )


@router.get("/api/v1/apikey/validate")
def validate_key(request: Request) -> Any:
    _, denied = authorize(request, "modellix")
    return denied or modellix_ok({"is_valid": True})


@router.get("/api/v1/team/balance")
def balance(request: Request) -> Any:
    _, denied = authorize(request, "modellix")
    return denied or modellix_ok({"balance": 100.0})


async def submit(request: Request, vendor: str, model: str) -> Any:
    _, denied = authorize(request, "modellix")
    if denied:
        return denied
    sb = sandbox_of(request)
    slug = f"{vendor}/{model}"
    kind = sb.catalog.kind(slug)
    if kind is None:
        return modellix_error(404, f"Not Found: model {slug} does not exist")
    try:
        params = await request.json()
    except ValueError:
        return modellix_error(400, "Bad Request: body is not valid JSON")
    problems = check_params(sb.catalog, slug, params)
    if problems:
        return modellix_error(400, "Invalid Parameter: " + "; ".join(problems))
    found = start_task(request, "modellix", slug, kind, params)
    if sb.state.faults_for("modellix.submit").submit_500:
        return modellix_error(500, "Internal Error: please retry later")
    base = str(request.base_url).rstrip("/")
    return modellix_ok(
        {
            "status": "pending",
            "task_id": found.id,
            "model_id": slug,
            "get_result": {"method": "GET", "url": f"{base}/api/v1/tasks/{found.id}"},
        }
    )


router.add_api_route("/api/v1/{vendor}/{model}/async", submit, methods=["POST"])
router.add_api_route("/api/v1/{vendor}/{model}", submit, methods=["POST"])
