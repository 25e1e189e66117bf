"""What the sandbox's routes share: its context, both protocols' error envelopes, auth
(with rate limits), result URLs, media production and parameter checks."""

from __future__ import annotations

import time
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from vtrix.base.gateways import VTRIX_API_PREFIX, VTRIX_MODELS_PREFIX
from vtrix.base.record import record
from vtrix.sandbox import media
from vtrix.sandbox.catalog import Catalog
from vtrix.sandbox.pricing import price
from vtrix.sandbox.state import SandboxConfig, SandboxTask, State
from vtrix.spec.validate import validate

FAIL_MARK = "[fail]"


@record
class Sandbox:
    """Everything a route needs: ``request.app.state.sandbox``."""

    config: SandboxConfig
    state: State
    catalog: Catalog


def sandbox_of(request: Request) -> Sandbox:
    sb: Sandbox = request.app.state.sandbox
    return sb


# The category words Modellix puts before the detail of an error message, by status.
CATEGORIES = {
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    422: "Invalid Parameter",
    429: "Too Many Requests",
    500: "Internal Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}


def vtrix_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"message": message}, status_code=status, headers=headers)


def vtrix_models_error(status: int, message: str) -> Response:
    """The models service's envelope: ``{"status": {"code", "message"}, "data": null}``."""
    body = {"status": {"code": status, "message": message}, "data": None}
    return JSONResponse(body, status_code=status)


def modellix_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    category = CATEGORIES.get(status, "Error")
    has_category = any(message.startswith(f"{c}:") for c in CATEGORIES.values())
    text = message if has_category else f"{category}: {message}"
    return JSONResponse({"code": status, "message": text}, status_code=status, headers=headers)


def error_for_path(path: str, status: int, message: str) -> Response:
    """An error in the envelope of the protocol ``path`` belongs to."""
    if path.startswith(VTRIX_MODELS_PREFIX):
        return vtrix_models_error(status, message)
    if path.startswith(VTRIX_API_PREFIX):
        return vtrix_error(status, message)
    if path.startswith(("/files/", "/uploads/")):
        return Response(message, status_code=status, media_type="text/plain")
    if path.startswith(("/v1/predictions", "/v1/models/", "/v1/account")):
        return replicate_error(status, message)
    if path.startswith("/api/v3/"):
        return wavespeed_error(status, message)
    return modellix_error(status, message)


def modellix_ok(data: Any) -> Response:
    return JSONResponse({"code": 0, "message": "success", "data": data})


def vtrix_ok(data: Any) -> Response:
    return JSONResponse({"status": {"code": 0, "message": "ok"}, "data": data})


def cacheable(request: Request, payload: Any, last_modified: int) -> Response:
    """A JSON answer with an ETag and Last-Modified, answering a matching If-None-Match (or,
    without one, a not-older If-Modified-Since) with 304 Not Modified, as CDNs in front of
    spec services do."""
    import hashlib
    import json
    from email.utils import formatdate, parsedate_to_datetime

    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {
        "ETag": etag,
        "Last-Modified": formatdate(last_modified, usegmt=True),
        "Cache-Control": "no-cache",
    }
    match = request.headers.get("if-none-match")
    since = request.headers.get("if-modified-since")
    if match is not None:
        fresh = match.strip() == "*" or etag in (t.strip() for t in match.split(","))
    elif since is not None:
        try:
            fresh = parsedate_to_datetime(since).timestamp() >= last_modified
        except (TypeError, ValueError):
            fresh = False
    else:
        fresh = False
    if fresh:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def authorize(
    request: Request, provider: str, *, paid: bool = False
) -> tuple[str | None, Response | None]:
    """(key, None) when the request may go on, else (None, the error answer). A broke key
    is a valid key: only a ``paid`` request (a submit) gets 402."""
    sb = sandbox_of(request)
    config, state = sb.config, sb.state
    err = ERRORS.get(provider, modellix_error)
    key = key_of(request, provider)
    if not key:
        return None, err(401, "Unauthorized: API key is missing")
    own = config.gateway_keys.get(provider)
    if (config.accepted_keys and key not in config.accepted_keys) or (own and key not in own):
        return None, err(401, "Unauthorized: API key is invalid or expired")
    if paid and key in config.broke_keys:
        return None, err(402, "Payment Required: balance insufficient")
    left = state.balance_of(key) if paid else None
    if left is not None and left <= 0:
        return None, err(402, f"Payment Required: balance insufficient ({left:f} left)")
    allowed, remaining, reset = state.rate_check(key)
    headers = {
        "X-RateLimit-Limit": str(config.rate_limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(time.time() + reset)),
    }
    if not allowed:
        headers["Retry-After"] = str(max(int(reset + 0.999), 1))
        return None, err(429, "Too Many Requests: rate limit exceeded", headers)
    if config.rate_limit:
        request.state.rate_headers = headers
    return key, None


def key_of(request: Request, provider: str) -> str:
    """The key a request carries in its gateway's scheme (fal: ``Key``; others: ``Bearer``);
    "" for none, or one in another gateway's scheme."""
    scheme = "key " if provider == "fal" else "bearer "
    header = request.headers.get("authorization", "")
    return header[len(scheme) :].strip() if header.lower().startswith(scheme) else ""


def fal_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """fal's error answer: ``{"detail": …}``."""
    return JSONResponse({"detail": message}, status_code=status, headers=headers)


def replicate_error(
    status: int, message: str, headers: dict[str, str] | None = None, *, title: str = ""
) -> Response:
    """Replicate's error answer: ``{"title", "detail", "status"}``."""
    body = {"title": title or CATEGORIES.get(status, "Error"), "detail": message, "status": status}
    return JSONResponse(body, status_code=status, headers=headers)


def wavespeed_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """WaveSpeed's error answer: its envelope, the status as the code."""
    return JSONResponse(
        {"code": status, "message": message, "data": None}, status_code=status, headers=headers
    )


ERRORS = {
    "vtrix": vtrix_error,
    "fal": fal_error,
    "replicate": replicate_error,
    "wavespeed": wavespeed_error,
}


def result_url(request: Request, task: SandboxTask, ext: str) -> str:
    """The task's result URL: the same in every answer (it expires ``url_ttl`` after the
    task completed)."""
    expires = int(task.completes_wall + sandbox_of(request).config.url_ttl)
    return f"{base_url(request)}/files/{task.id}/output.{ext}?expires={expires}"


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def produce(state: State, task: SandboxTask) -> tuple[bytes, str, str]:
    """The task's media, made once (started in the background at submit)."""
    with state.lock:
        job = state.media_jobs.get(task.id)
        if job is None:
            job = state.media_jobs[task.id] = state.pool.submit(
                media.make, task.kind, task.model, task.params
            )
    return job.result()


def start_task(
    request: Request, provider: str, model: str, kind: str, params: dict[str, Any]
) -> SandboxTask:
    """A new task — or, when the sandbox honours idempotency keys (``honour_idempotency``;
    neither real gateway promises to), the task an Idempotency-Key seen before made."""
    state = sandbox_of(request).state
    key = request.headers.get("idempotency-key", "")
    honour = state.faults_for(f"{provider}.submit").honour_idempotency
    if key and honour:
        with state.lock:
            earlier = state.by_key.get(key)
        if earlier is not None:
            return earlier
    task = state.new_task(provider, model, kind, params, fail_reason(params))
    task.idempotency_key = key
    state.charge(key_of(request, provider), price(kind, params)[2])
    if key and honour:
        with state.lock:
            state.by_key[key] = task
    if not task.fail:
        with state.lock:
            state.media_jobs[task.id] = state.pool.submit(
                media.make, task.kind, task.model, task.params
            )
    return task


def find_task(
    request: Request, provider: str, task_id: str, route: str, missing: str = ""
) -> SandboxTask | Response:
    """A task of ``provider`` that a request with its key may see (a lagging store hides a
    new one: ``visible_after``), or the answer saying why not, in its envelope."""
    _, denied = authorize(request, provider)
    if denied:
        return denied
    task = sandbox_of(request).state.tasks.get(task_id)
    if task is None or task.provider != provider or hidden(request, task, route):
        error = ERRORS.get(provider, modellix_error)
        return error(404, missing or f"task {task_id} not found")
    return task


async def accept_submit(
    request: Request, provider: str, model_id: str, known: bool, bad: int = 400
) -> tuple[dict[str, Any], str] | Response:
    """A paid submit's checks, answered in ``provider``'s envelope: the key (402 when spent),
    the model (``known``: the gateway serves it; else 404), a JSON body, its parameters
    against the spec (refused with ``bad``); (the parameters, the result kind) when it may
    go on."""
    _, denied = authorize(request, provider, paid=True)
    if denied:
        return denied
    error = ERRORS.get(provider, modellix_error)
    sb = sandbox_of(request)
    kind = sb.catalog.kind(model_id) if known else None
    if kind is None:
        return error(404, f"no model {model_id!r}")
    try:
        params = await request.json()
    except (ValueError, RecursionError):
        return error(bad, "the body is not valid JSON")
    problems = check_params(sb.catalog, model_id, params)
    if problems:
        return error(bad, "; ".join(problems))
    return params, kind


def submit_fault(
    request: Request, provider: str, too_many: str, failed: str = "please retry later"
) -> Response | None:
    """The answer an injected submit fault gives once the task was made (``--submit-500``,
    ``--submit-429``: refused, though it exists), in ``provider``'s envelope; else None."""
    faults = sandbox_of(request).state.faults_for(f"{provider}.submit")
    error = ERRORS.get(provider, modellix_error)
    if faults.submit_500:
        return error(500, failed)
    if faults.submit_429:
        return error(429, too_many, {"Retry-After": "1"})
    return None


def check_params(catalog: Catalog, model: str, params: Any, *, drift: bool = False) -> list[str]:
    if not isinstance(params, dict):
        return ["the parameters must be a JSON object"]
    spec = catalog.spec_for_checks(model, drift=drift)
    if spec is None:
        return []
    return [str(p) for p in validate(params, spec.schema)]


def fail_reason(params: dict[str, Any]) -> str | None:
    text = " ".join(str(v) for v in params.values() if isinstance(v, str))
    return "content moderation: the prompt was rejected" if FAIL_MARK in text else None


# Status words per mode: (queued, running, succeeded, failed) for each protocol.
STATUS_WORDS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "vtrix": {
        "default": ("in_progress", "in_progress", "completed", "failed"),
        "alternate": ("queued", "processing", "succeeded", "error"),
        "unknown": ("in_progress", "rendering", "completed", "failed"),
    },
    "modellix": {
        "default": ("pending", "processing", "success", "failed"),
        "alternate": ("queued", "running", "completed", "error"),
        "unknown": ("pending", "rendering", "success", "failed"),
    },
}


def status_word(request: Request, task: SandboxTask, progress: float, route: str) -> str:
    """The word a task's status is served as, by the ``status_words`` mode."""
    words = STATUS_WORDS[task.provider][sandbox_of(request).state.faults_for(route).status_words]
    if progress >= 100:
        return words[3] if task.fail else words[2]
    return words[0] if progress < 10 else words[1]


def hidden(request: Request, task: SandboxTask, route: str) -> bool:
    """Whether a new task is still invisible (``visible_after``: a task store that lags)."""
    lag = sandbox_of(request).state.faults_for(route).visible_after
    return lag > 0 and time.monotonic() - task.created < lag
