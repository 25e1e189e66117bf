"""``/__sandbox/…``: counters, fault settings and reset, for tests and benchmarks."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vtrix.sandbox.common import sandbox_of
from vtrix.sandbox.pricing import money
from vtrix.sandbox.state import Faults

router = APIRouter()


def denied(request: Request) -> JSONResponse | None:
    """With ``--api-key``, the control routes take one of those keys too: a sandbox shared on
    a machine must not let anyone reset it or inject faults."""
    keys = sandbox_of(request).config.accepted_keys
    header = request.headers.get("authorization", "")
    key = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if keys and key not in keys:
        return JSONResponse({"message": "Unauthorized: the control routes need a key"}, 401)
    return None


@router.get("/__sandbox/stats")
def stats(request: Request) -> Any:
    if (refused := denied(request)) is not None:
        return refused
    state = sandbox_of(request).state
    with state.lock:
        counts = dict(state.stats)
        now_mono, now_wall = time.monotonic(), time.time()
        times = {
            t.id: {
                "model": t.model,
                "provider": t.provider,
                "created": now_wall - (now_mono - t.created),
                "completes": now_wall - (now_mono - t.created) + t.seconds,
                "params": t.params,
                "idempotency_key": t.idempotency_key,
            }
            for t in state.tasks.values()
        }
        charged = sum(state.spent.values(), Decimal(0))
    return {
        "charged": money(charged),
        "routes": {k: v for k, v in counts.items() if k != "tasks_created"},
        "tasks_created": counts.get("tasks_created", 0),
        "tasks": sorted(times),
        "task_times": times,
    }


@router.post("/__sandbox/faults")
async def set_faults(request: Request) -> Any:
    if (refused := denied(request)) is not None:
        return refused
    try:
        body = await request.json()
    except (ValueError, RecursionError):
        return JSONResponse({"message": "expected {route: {fault: value}} as JSON"}, 400)
    if not isinstance(body, dict):
        return JSONResponse({"message": "expected {route: {fault: value}}"}, 400)
    state = sandbox_of(request).state
    try:
        faults = {route: Faults.from_dict(spec or {}) for route, spec in body.items()}
    except (ValueError, TypeError, AttributeError) as exc:
        return JSONResponse({"message": str(exc)}, 400)
    with state.lock:
        state.route_faults.update(faults)
    return {"faults": sorted(state.route_faults)}


@router.post("/__sandbox/reset")
def reset(request: Request) -> Any:
    if (refused := denied(request)) is not None:
        return refused
    state = sandbox_of(request).state
    with state.lock:
        state.stats.clear()
        state.tasks.clear()
        state.by_key.clear()
        state.media_jobs.clear()
        state.route_faults = {"*": state.config.faults}
        state.hits.clear()
    return {"ok": True}
