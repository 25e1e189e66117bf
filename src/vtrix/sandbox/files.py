"""Result files (expiring URLs) and uploaded files."""

from __future__ import annotations

import hashlib
import re
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vtrix.sandbox.common import produce, sandbox_of

router = APIRouter()


def serve_bytes(request: Request, content: bytes, ctype: str) -> Response:
    """``content`` with an ETag, answering ``Range`` (one range) guarded by ``If-Range``."""
    etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes"}
    wanted = request.headers.get("range", "")
    if_range = request.headers.get("if-range")
    m = re.fullmatch(r"bytes=(\d+)-(\d*)", wanted.strip())
    if m and (if_range is None or if_range == etag):
        start, size = int(m.group(1)), len(content)
        if start >= size:
            return Response(
                status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"}
            )
        end = min(int(m.group(2)) if m.group(2) else size - 1, size - 1)
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        return Response(content[start : end + 1], 206, headers=headers, media_type=ctype)
    return Response(content, media_type=ctype, headers=headers)


@router.get("/files/{task_id}/{name}")
def result_file(request: Request, task_id: str, name: str, expires: int = 0) -> Any:
    state = sandbox_of(request).state
    task = state.tasks.get(task_id)
    if task is None or (task.progress(time.monotonic()) < 100) or task.fail:
        return Response("not found", status_code=404)
    if expires and expires < time.time():
        return Response("this result URL has expired", status_code=410)
    content, _ext, ctype = produce(state, task)
    return serve_bytes(request, content, ctype)


@router.get("/uploads/{file_id}/{name}")
def uploaded_file(request: Request, file_id: str, name: str) -> Any:
    item = sandbox_of(request).state.files.get(file_id)
    if item is None:
        return Response("not found", status_code=404)
    return serve_bytes(request, item[0].read_bytes(), item[2])
