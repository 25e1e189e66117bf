"""Result files (expiring URLs) and uploaded files."""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from vtrix.base.record import record
from vtrix.sandbox.common import authorize, base_url, produce, sandbox_of

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


@record(frozen=True)
class Received:
    """An uploaded file, kept: its id, safe name, type, size and URL (served below)."""

    file_id: str
    name: str
    ctype: str
    size: int
    url: str


async def receive_upload(
    request: Request, provider: str, field: str, error: Callable[[int, str], Response]
) -> Received | Response:
    """Keep the file of a multipart upload's ``field``: the key first (a request without one
    never gets a 422), then the body (the gateway's answer in its own ``error`` shape when it
    is not multipart, or too big: refused before a byte is read when its length says so).
    Starlette spools file parts to disk past 1 MB: an upload is never held in memory."""
    _, denied = authorize(request, provider)
    if denied:
        return denied
    state = sandbox_of(request).state
    cap = state.config.max_upload
    length = request.headers.get("content-length", "")
    too_big = error(413, f"Payload Too Large: files are at most {cap} bytes")
    if length.isdigit() and int(length) > cap + 64 * 1024:
        return too_big
    try:
        form = await request.form(max_part_size=64 * 1024)
    except Exception:  # a body that is not multipart at all
        return error(400, f"the body must be multipart/form-data with a {field} field")
    file = form.get(field)
    if file is None or isinstance(file, str):
        return error(400, f"multipart field {field!r} is missing")
    if (file.size or 0) > cap:
        await file.close()
        return too_big
    file_id = "file-" + uuid.uuid4().hex[:12]
    name = re.sub(r"[^A-Za-z0-9._-]", "_", file.filename or "upload")
    ctype = file.content_type or "application/octet-stream"
    path = state.upload_dir / file_id
    with open(path, "wb") as out:
        while chunk := await file.read(1024 * 1024):
            out.write(chunk)
    size = path.stat().st_size
    await file.close()
    with state.lock:
        state.files[file_id] = (path, name, ctype)
    return Received(file_id, name, ctype, size, f"{base_url(request)}/uploads/{file_id}/{name}")


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
