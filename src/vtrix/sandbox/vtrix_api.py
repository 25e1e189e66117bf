"""The vtrix protocol: the models service (catalog, specs) and the generation gateway."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from vtrix.base.gateways import (
    VTRIX_CATALOG_PATH,
    VTRIX_GENERATION_PATH,
    VTRIX_SPEC_PATH,
    VTRIX_TASK_PATH,
)
from vtrix.sandbox.common import (
    authorize,
    base_url,
    cacheable,
    check_params,
    find_task,
    produce,
    result_url,
    sandbox_of,
    start_task,
    status_word,
    submit_fault,
    vtrix_error,
    vtrix_models_error,
    vtrix_ok,
)
from vtrix.sandbox.pricing import usage
from vtrix.sandbox.state import SandboxTask

router = APIRouter()


def _int(value: str | None, default: int, name: str) -> int | str:
    """A query number, or the error text for it."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (ValueError, RecursionError):  # not JSON, or nested past any reader
        return f"{name} must be a whole number, got {value!r}"


@router.get(VTRIX_CATALOG_PATH)
def catalog(request: Request) -> Any:
    """The catalog, paged; ``type`` and ``keywords`` filter case-insensitively. No key is
    needed (the vtrix models service is public)."""
    q = request.query_params
    page, size = _int(q.get("page"), 1, "page"), _int(q.get("page_size"), 20, "page_size")
    for bad in (page, size):
        if isinstance(bad, str):
            return vtrix_models_error(400, bad)
    assert isinstance(page, int) and isinstance(size, int)
    models = sandbox_of(request).catalog.vtrix_models
    kind = (q.get("type") or "").strip().lower()
    if kind:
        models = [m for m in models if str(m.get("type", "")).lower() == kind]
    keywords = (q.get("keywords") or "").strip().lower()
    if keywords:
        models = [
            m
            for m in models
            if keywords in f"{m.get('id')} {m.get('name')} {m.get('description')}".lower()
        ]
    page, size = max(page, 1), min(max(size, 1), 100)
    total = len(models)
    chunk = models[(page - 1) * size : page * size]
    pages = max((total + size - 1) // size, 1)
    return vtrix_ok(
        {"models": chunk, "total": total, "page": page, "page_size": size, "total_pages": pages}
    )


@router.get(VTRIX_SPEC_PATH.format(model="{model_id}"))
def spec(request: Request, model_id: str) -> Any:
    """The spec, its endpoint pointed at this sandbox (a client that follows it, as the
    official clients do, stays here with its key) unless ``--committed-endpoints`` asks for
    the snapshot byte for byte; 404 for a catalog model the snapshot has no spec of."""
    sb = sandbox_of(request)
    cat, modes = sb.catalog, sb.state.faults_for("vtrix.spec")
    raw = cat.vtrix_spec(model_id, dialect=modes.spec_dialect, drift=modes.spec_drift)
    if raw is None:
        known = model_id in cat.unspecified
        why = "publishes no parameter spec" if known else "not found"
        return vtrix_models_error(404, f"model {model_id} {why}")
    served = raw
    if not sb.config.committed_endpoints:
        api = dict(raw.get("api") or {})
        path = urlsplit(str(api.get("endpoint") or "")).path or VTRIX_GENERATION_PATH
        served = {**raw, "api": {**api, "endpoint": base_url(request) + path}}
    return cacheable(
        request, {"status": {"code": 0, "message": "ok"}, "data": served}, cat.loaded_at
    )


def task_body(request: Request, task: SandboxTask) -> dict[str, Any]:
    progress = task.progress(time.monotonic())
    scale = sandbox_of(request).state.faults_for("vtrix.task").progress_scale
    body: dict[str, Any] = {
        "id": task.id,
        "model": task.model,
        "created_at": int(task.created_wall),
        "status": status_word(request, task, min(progress, 99.9), "vtrix.task"),
        "output": [],
        "error": None,
        "usage": usage(task.kind, task.params),
    }
    if scale == "percent":
        body["progress"] = int(progress)
    elif scale == "fraction":  # as the official client (1.0.1) reads it
        body["progress"] = round(progress / 100.0, 3)
    if progress >= 100:
        body["status"] = status_word(request, task, progress, "vtrix.task")
        if task.fail:
            body.update(error={"code": 1001, "error_message": task.fail})
        else:
            _, ext, _ = produce(sandbox_of(request).state, task)
            content: dict[str, Any] = {"type": task.kind, "url": result_url(request, task, ext)}
            if task.kind == "video":
                content["duration"] = str(task.params.get("duration", 2))
            body.update(output=[{"content": [content]}])
    return body


@router.post(VTRIX_GENERATION_PATH)
async def submit(request: Request) -> Any:
    _, denied = authorize(request, "vtrix", paid=True)
    if denied:
        return denied
    try:
        body = await request.json()
    except (ValueError, RecursionError):  # not JSON, or nested past any reader
        return vtrix_error(400, "request body is not valid JSON")
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return vtrix_error(400, "missing 'model'")
    model = body["model"]
    sb = sandbox_of(request)
    form = sb.state.faults_for("vtrix.submit").submit_form
    params = body.get("params")
    if params is not None and form == "input":
        return vtrix_error(400, "unknown field 'params': send {model, input: [{params}]}")
    if params is None and isinstance(body.get("input"), list) and body["input"]:
        if form == "params":
            return vtrix_error(400, "unknown field 'input': send {model, params}")
        first = body["input"][0]
        params = first.get("params") if isinstance(first, dict) else None
    params = {} if params is None else params
    kind = sb.catalog.kind(model)
    if kind is None:
        return vtrix_error(404, f"model {model} not found")
    drift = sb.state.faults_for("vtrix.spec").spec_drift
    problems = check_params(sb.catalog, model, params, drift=drift)
    if problems:
        return vtrix_error(400, "invalid parameters: " + "; ".join(problems))
    task = start_task(request, "vtrix", model, kind, params)
    faults = sb.state.faults_for("vtrix.submit")
    if faults.answer_after:  # a submit on the wire: made and paid, its answer not yet sent
        import asyncio

        await asyncio.sleep(faults.answer_after)
    fault = submit_fault(request, "vtrix", "Too Many Requests: concurrency limit", "internal error")
    return fault or JSONResponse(task_body(request, task))


@router.get(VTRIX_TASK_PATH.format(task="{task_id}"))
def task(request: Request, task_id: str) -> Any:
    found = find_task(request, "vtrix", task_id, "vtrix.task")
    return found if isinstance(found, Response) else JSONResponse(task_body(request, found))
