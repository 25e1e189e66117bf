"""The WaveSpeed protocol: the model catalog (a row per model, its request schema inside), a
submit per model, the result route (``created`` → ``processing`` → ``completed`` | ``failed``),
the price route's quotes and the balance — every answer in the ``{code, message, data}``
envelope, errors too (the HTTP status as the code).

Auth: ``Authorization: Bearer …``. There is no cancel route, as WaveSpeed has none.
``enable_sync_mode: true`` in a submit holds the answer until the task ends.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from vtrix.base.gateways import (
    WAVESPEED_BALANCE_PATH,
    WAVESPEED_CATALOG_PATH,
    WAVESPEED_PRICE_PATH,
    WAVESPEED_RESULT_PATH,
    WAVESPEED_SUBMIT_PATH,
)
from vtrix.sandbox.common import (
    accept_submit,
    authorize,
    base_url,
    find_task,
    result_url,
    sandbox_of,
    start_task,
    submit_fault,
    wavespeed_error,
)
from vtrix.sandbox.pricing import money, price
from vtrix.sandbox.state import SandboxTask

router = APIRouter()
SYNC_HOLD = 60.0


def ok(data: Any) -> JSONResponse:
    return JSONResponse({"code": 200, "message": "success", "data": data})


@router.get(WAVESPEED_CATALOG_PATH)
def models(request: Request) -> Any:
    _, denied = authorize(request, "wavespeed")
    if denied:
        return denied
    rows = sandbox_of(request).catalog.wavespeed_rows
    return ok([rows[k] for k in sorted(rows)])


@router.get(WAVESPEED_BALANCE_PATH)
def balance(request: Request) -> Any:
    key, denied = authorize(request, "wavespeed")
    if denied:
        return denied
    left = sandbox_of(request).state.balance_of(key or "")
    return ok({"balance": float(left) if left is not None else 100.0, "currency": "USD"})


@router.post(WAVESPEED_PRICE_PATH)
async def quote(request: Request) -> Any:
    _, denied = authorize(request, "wavespeed")
    if denied:
        return denied
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        return wavespeed_error(400, "the body is not valid JSON")
    model = body.get("model_id") if isinstance(body, dict) else None
    kind = sandbox_of(request).catalog.kind(f"wavespeed:{model}")
    if not isinstance(model, str) or kind is None:
        return wavespeed_error(404, f"model {model!r} not found")
    inputs = body.get("inputs") if isinstance(body.get("inputs"), dict) else {}
    cost = money(price(kind, inputs)[2])
    return ok({"model_id": model, "price": cost, "discounted_price": cost, "currency": "USD"})


def _task(request: Request, task: SandboxTask) -> dict[str, Any]:
    """A task as the result route answers it, at this moment."""
    progress = task.progress(time.monotonic())
    data: dict[str, Any] = {
        "id": task.id,
        "model": task.model.removeprefix("wavespeed:"),
        "outputs": [],
        "urls": {"get": f"{base_url(request)}{WAVESPEED_RESULT_PATH.format(task=task.id)}"},
        "has_nsfw_contents": [],
        "status": "created" if progress < 10 else "processing",
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(task.created_wall)),
        "error": "",
        "timings": {},
    }
    if progress >= 100:
        if task.fail:
            data.update(status="failed", error=task.fail)
        else:
            ext = {"image": "png", "video": "mp4", "audio": "wav"}.get(task.kind, "png")
            data.update(status="completed", outputs=[result_url(request, task, ext)])
            data["timings"] = {"inference": int(task.seconds * 1000)}
    return data


@router.get(WAVESPEED_RESULT_PATH.format(task="{task_id}"))
def result(request: Request, task_id: str) -> Any:
    task = find_task(request, "wavespeed", task_id, "wavespeed.result", "task not found")
    return task if isinstance(task, Response) else ok(_task(request, task))


@router.post(WAVESPEED_SUBMIT_PATH.format(model="{model:path}"))
async def submit(request: Request, model: str) -> Any:
    model_id = f"wavespeed:{model}"
    known = model in sandbox_of(request).catalog.wavespeed_rows
    accepted = await accept_submit(request, "wavespeed", model_id, known)
    if isinstance(accepted, Response):
        return accepted
    params, kind = accepted
    task = start_task(request, "wavespeed", model_id, kind, params)
    fault = submit_fault(request, "wavespeed", "too many requests")
    if fault is not None:
        return fault
    if params.get("enable_sync_mode") is True:
        until = time.monotonic() + SYNC_HOLD
        while time.monotonic() < until and task.progress(time.monotonic()) < 100:
            await asyncio.sleep(0.05)
    return ok(_task(request, task))
