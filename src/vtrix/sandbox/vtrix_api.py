"""The vtrix protocol: the models service (catalog, specs) and the generation gateway."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vtrix.sandbox.common import (
    authorize,
    check_params,
    produce,
    result_url,
    sandbox_of,
    start_task,
    vtrix_error,
    vtrix_ok,
)
from vtrix.sandbox.state import SandboxTask

router = APIRouter()


@router.get("/api/v1/skill/models")
def catalog(
    request: Request,
    page: int = 1,
    page_size: int = 20,
    type: str | None = None,
    keywords: str | None = None,
) -> Any:
    models = sandbox_of(request).catalog.snap.vtrix_catalog
    if type:
        models = [m for m in models if m.get("type") == type]
    if keywords:
        k = keywords.lower()
        models = [
            m
            for m in models
            if k in f"{m.get('id')} {m.get('name')} {m.get('description')}".lower()
        ]
    page_size = min(max(page_size, 1), 100)
    total = len(models)
    pages = max((total + page_size - 1) // page_size, 1)
    chunk = models[(page - 1) * page_size : page * page_size]
    return vtrix_ok(
        {
            "models": chunk,
            "total": total,
            "page": page,
            "page_size": page_size,
            "total_pages": pages,
        }
    )


@router.get("/api/v1/skill/models/{model_id}/spec")
def spec(request: Request, model_id: str) -> Any:
    raw = sandbox_of(request).catalog.snap.vtrix_specs.get(model_id)
    if raw is None:
        return JSONResponse(
            {"status": {"code": 404, "message": f"model {model_id} not found"}, "data": None},
            status_code=404,
        )
    return vtrix_ok(raw)


def task_body(request: Request, task: SandboxTask) -> dict[str, Any]:
    progress = task.progress(time.monotonic())
    body: dict[str, Any] = {
        "id": task.id,
        "model": task.model,
        "created_at": int(time.time()),
        "status": "in_progress",
        "progress": int(progress),
        "output": [],
        "error": None,
        "usage": {"cost": "0.30", "quantity": 1, "unit_price": "0.30"},
    }
    if progress >= 100:
        if task.fail:
            body.update(status="failed", error={"code": 1001, "error_message": task.fail})
        else:
            _, ext, _ = produce(sandbox_of(request).state, task)
            content: dict[str, Any] = {"type": task.kind, "url": result_url(request, task, ext)}
            if task.kind == "video":
                content["duration"] = str(task.params.get("duration", 2))
            body.update(status="completed", output=[{"content": [content]}])
    return body


@router.post("/model/v1/generation")
async def submit(request: Request) -> Any:
    _, denied = authorize(request, "vtrix")
    if denied:
        return denied
    try:
        body = await request.json()
    except ValueError:
        return vtrix_error(400, "request body is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return vtrix_error(400, "missing 'model'")
    model = body["model"]
    params = body.get("params")
    if params is None and isinstance(body.get("input"), list) and body["input"]:
        params = (body["input"][0] or {}).get("params")
    params = {} if params is None else params
    sb = sandbox_of(request)
    kind = sb.catalog.kind(model)
    if kind is None:
        return vtrix_error(404, f"model {model} not found")
    problems = check_params(sb.catalog, model, params)
    if problems:
        return vtrix_error(400, "invalid parameters: " + "; ".join(problems))
    task = start_task(request, "vtrix", model, kind, params)
    if sb.state.faults_for("vtrix.submit").submit_500:
        return vtrix_error(500, "internal error")
    return task_body(request, task)


@router.get("/model/v1/generation/task/{task_id}")
def task(request: Request, task_id: str) -> Any:
    _, denied = authorize(request, "vtrix")
    if denied:
        return denied
    found = sandbox_of(request).state.tasks.get(task_id)
    if found is None or found.provider != "vtrix":
        return vtrix_error(404, f"task {task_id} not found")
    return task_body(request, found)
