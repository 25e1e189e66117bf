"""Result files (expiring URLs) and uploaded files."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vtrix.sandbox.common import produce, sandbox_of

router = APIRouter()


@router.get("/files/{task_id}/{name}")
def result_file(request: Request, task_id: str, name: str, expires: int = 0) -> Any:
    state = sandbox_of(request).state
    task = state.tasks.get(task_id)
    if task is None or (task.progress(time.monotonic()) < 100) or task.fail:
        return Response("not found", status_code=404)
    if expires and expires < time.time():
        return Response("this result URL has expired", status_code=410)
    content, _ext, ctype = produce(state, task)
    return Response(content, media_type=ctype)


@router.get("/uploads/{file_id}/{name}")
def uploaded_file(request: Request, file_id: str, name: str) -> Any:
    item = sandbox_of(request).state.files.get(file_id)
    if item is None:
        return Response("not found", status_code=404)
    return Response(item[0], media_type=item[2])
