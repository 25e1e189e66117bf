"""The sandbox gateway app (FastAPI on uvicorn): the vtrix models service and gateway, and
the Modellix API, with their envelopes, status values and error bodies (see protocols.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
import time
import uuid
from typing import Any

from fastapi import FastAPI, File, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from vtrix.sandbox import media
from vtrix.sandbox.state import Faults, SandboxConfig, SandboxTask, State
from vtrix.spec.normalise import ModelSpec, normalise_modellix, normalise_vtrix
from vtrix.spec.snapshot import Snapshot, load_snapshot
from vtrix.validate import validate

FAIL_MARK = "[fail]"

ROUTES: list[tuple[str, str, re.Pattern[str]]] = [
    ("vtrix.catalog", "GET", re.compile(r"^/api/v1/skill/models/?$")),
    ("vtrix.spec", "GET", re.compile(r"^/api/v1/skill/models/[^/]+/spec$")),
    ("vtrix.submit", "POST", re.compile(r"^/model/v1/generation/?$")),
    ("vtrix.task", "GET", re.compile(r"^/model/v1/generation/task/[^/]+$")),
    ("modellix.catalog", "GET", re.compile(r"^/api/v1/models/?$")),
    ("modellix.schema", "GET", re.compile(r"^/models/[^/]+/[^/]+/api_schema$")),
    ("modellix.task", "GET", re.compile(r"^/api/v1/tasks/[^/]+$")),
    ("modellix.upload", "POST", re.compile(r"^/api/v1/media/files$")),
    ("modellix.validate", "GET", re.compile(r"^/api/v1/apikey/validate$")),
    ("modellix.balance", "GET", re.compile(r"^/api/v1/team/balance$")),
    ("modellix.submit", "POST", re.compile(r"^/api/v1/[^/]+/[^/]+(/async)?$")),
    ("files", "GET", re.compile(r"^/(files|uploads)/")),
    ("control", "*", re.compile(r"^/__sandbox/")),
]


def route_of(method: str, path: str) -> str:
    for name, m, pattern in ROUTES:
        if (m in ("*", method)) and pattern.match(path):
            return name
    return "other"


class Catalog:
    """The served snapshot: raw specs for the spec routes, normalised ones for validation."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.normalised: dict[str, ModelSpec] = {}
        for mid, raw in snap.vtrix_specs.items():
            self.normalised[mid] = normalise_vtrix(raw, source=f"vtrix/{mid}")
        for slug, raw in snap.modellix_specs.items():
            self.normalised[slug] = normalise_modellix(slug, raw, snap.modellix_entry(slug))

    def kind(self, model: str) -> str | None:
        entry = self.snap.vtrix_entry(model) or self.snap.modellix_entry(model)
        if entry:
            return str(entry.get("type") or "image")
        spec = self.normalised.get(model)
        return spec.type if spec else None


def vtrix_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"message": message}, status_code=status, headers=headers)


def modellix_error(
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
) -> Response:
    return JSONResponse({"code": status, "message": message}, status_code=status, headers=headers)


def create_app(config: SandboxConfig, state: State | None = None) -> FastAPI:
    state = state or State(config)
    catalog = Catalog(load_snapshot(state.specs_root()))
    app = FastAPI(title="vtrix sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = state

    @app.middleware("http")
    async def rate_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        for k, v in getattr(request.state, "rate_headers", {}).items():
            response.headers[k] = v
        return response

    # ------------------------------------------------------------------ helpers

    def auth(request: Request, provider: str) -> tuple[str | None, Response | None]:
        err = vtrix_error if provider == "vtrix" else modellix_error
        header = request.headers.get("authorization", "")
        key = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if not key:
            return None, err(401, "Unauthorized: API key is missing")
        if config.accepted_keys and key not in config.accepted_keys:
            return None, err(401, "Unauthorized: API key is invalid or expired")
        if key in config.broke_keys:
            return None, err(402, "Payment Required: balance insufficient")
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

    def result_url(request: Request, task: SandboxTask, ext: str) -> str:
        expires = int(time.time() + config.url_ttl)
        base = str(request.base_url).rstrip("/")
        return f"{base}/files/{task.id}/output.{ext}?expires={expires}"

    def produce(task: SandboxTask) -> tuple[bytes, str, str]:
        """The task's media, made once (started in the background at submit)."""
        with state.lock:
            job = state.media_jobs.get(task.id)
            if job is None:
                job = state.media_jobs[task.id] = state.pool.submit(
                    media.make, task.kind, task.model, task.params
                )
        return job.result()

    def start(
        request: Request, provider: str, model: str, kind: str, params: dict[str, Any]
    ) -> SandboxTask:
        task = state.new_task(provider, model, kind, params, fail_reason(params))
        task.idempotency_key = request.headers.get("idempotency-key", "")
        if not task.fail:
            with state.lock:
                state.media_jobs[task.id] = state.pool.submit(
                    media.make, task.kind, task.model, task.params
                )
        return task

    def check_params(model: str, params: Any) -> list[str]:
        if not isinstance(params, dict):
            return ["the parameters must be a JSON object"]
        spec = catalog.normalised.get(model)
        if spec is None:
            return []
        return [str(p) for p in validate(params, spec.schema)]

    def fail_reason(params: dict[str, Any]) -> str | None:
        text = " ".join(str(v) for v in params.values() if isinstance(v, str))
        return "content moderation: the prompt was rejected" if FAIL_MARK in text else None

    # ------------------------------------------------------------ vtrix models

    def envelope(data: Any) -> dict[str, Any]:
        return {"status": {"code": 0, "message": "ok"}, "data": data}

    @app.get("/api/v1/skill/models")
    def vtrix_catalog(
        page: int = 1, page_size: int = 20, type: str | None = None, keywords: str | None = None
    ) -> Any:
        models = catalog.snap.vtrix_catalog
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
        return envelope(
            {
                "models": chunk,
                "total": total,
                "page": page,
                "page_size": page_size,
                "total_pages": pages,
            }
        )

    @app.get("/api/v1/skill/models/{model_id}/spec")
    def vtrix_spec(model_id: str) -> Any:
        raw = catalog.snap.vtrix_specs.get(model_id)
        if raw is None:
            return JSONResponse(
                {"status": {"code": 404, "message": f"model {model_id} not found"}, "data": None},
                status_code=404,
            )
        return envelope(raw)

    # ----------------------------------------------------------- vtrix gateway

    def vtrix_task_body(request: Request, task: SandboxTask) -> dict[str, Any]:
        now = time.monotonic()
        progress = task.progress(now)
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
                _, ext, _ = produce(task)
                content: dict[str, Any] = {"type": task.kind, "url": result_url(request, task, ext)}
                if task.kind == "video":
                    content["duration"] = str(task.params.get("duration", 2))
                body.update(status="completed", output=[{"content": [content]}])
        return body

    @app.post("/model/v1/generation")
    async def vtrix_submit(request: Request) -> Any:
        _, denied = auth(request, "vtrix")
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
        kind = catalog.kind(model)
        if kind is None:
            return vtrix_error(404, f"model {model} not found")
        problems = check_params(model, params)
        if problems:
            return vtrix_error(400, "invalid parameters: " + "; ".join(problems))
        task = start(request, "vtrix", model, kind, params)
        if state.faults_for("vtrix.submit").submit_500:
            return vtrix_error(500, "internal error")
        return vtrix_task_body(request, task)

    @app.get("/model/v1/generation/task/{task_id}")
    def vtrix_task(request: Request, task_id: str) -> Any:
        _, denied = auth(request, "vtrix")
        if denied:
            return denied
        task = state.tasks.get(task_id)
        if task is None or task.provider != "vtrix":
            return vtrix_error(404, f"task {task_id} not found")
        return vtrix_task_body(request, task)

    # ----------------------------------------------------------------- Modellix

    def wrap(data: Any) -> dict[str, Any]:
        return {"code": 0, "message": "success", "data": data}

    @app.get("/api/v1/models")
    def modellix_catalog() -> Any:
        return {"models": catalog.snap.modellix_catalog}

    @app.get("/models/{vendor}/{model}/api_schema")
    def modellix_schema(vendor: str, model: str) -> Any:
        raw = catalog.snap.modellix_specs.get(f"{vendor}/{model}")
        if raw is None:
            return modellix_error(404, f"Not Found: no api_schema for {vendor}/{model}")
        return raw

    def modellix_task_body(request: Request, task: SandboxTask) -> dict[str, Any]:
        progress = task.progress(time.monotonic())
        status = "pending" if progress < 10 else "processing"
        data: dict[str, Any] = {
            "status": status,
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
                content, ext, _ctype = produce(task)
                resource: dict[str, Any] = {
                    "url": result_url(request, task, ext),
                    "type": task.kind,
                    "format": ext,
                    "role": "output",
                }
                if task.kind == "image":
                    w, h = (
                        int.from_bytes(content[16:20], "big"),
                        int.from_bytes(content[20:24], "big"),
                    )
                    resource.update(width=w, height=h)
                data.update(
                    status="success",
                    result={
                        "resources": [resource],
                        "metadata": {"sandbox": True},
                        "extensions": {},
                    },
                    result_expires_at=int((time.time() + config.url_ttl) * 1000),
                )
        return wrap(data)

    @app.get("/api/v1/tasks/{task_id}")
    def modellix_task(request: Request, task_id: str) -> Any:
        _, denied = auth(request, "modellix")
        if denied:
            return denied
        task = state.tasks.get(task_id)
        if task is None or task.provider != "modellix":
            return modellix_error(404, f"Not Found: task {task_id} does not exist")
        return modellix_task_body(request, task)

    @app.post("/api/v1/media/files")
    async def modellix_upload(request: Request, file: UploadFile = File(...)) -> Any:
        _, denied = auth(request, "modellix")
        if denied:
            return denied
        content = await file.read()
        file_id = "file-" + uuid.uuid4().hex[:12]
        name = re.sub(r"[^A-Za-z0-9._-]", "_", file.filename or "upload")
        ctype = file.content_type or "application/octet-stream"
        with state.lock:
            state.files[file_id] = (content, name, ctype)
        base = str(request.base_url).rstrip("/")
        return wrap(
            {
                "file_id": file_id,
                "type": ctype.split("/")[0],
                "filename": name,
                "url": f"{base}/uploads/{file_id}/{name}",
                "size": len(content),
                "created_at": int(time.time()),
            }
        )

    @app.get("/api/v1/apikey/validate")
    def modellix_validate(request: Request) -> Any:
        _, denied = auth(request, "modellix")
        return denied or wrap({"is_valid": True})

    @app.get("/api/v1/team/balance")
    def modellix_balance(request: Request) -> Any:
        _, denied = auth(request, "modellix")
        return denied or wrap({"balance": 100.0})

    async def modellix_submit(request: Request, vendor: str, model: str) -> Any:
        _, denied = auth(request, "modellix")
        if denied:
            return denied
        slug = f"{vendor}/{model}"
        kind = catalog.kind(slug)
        if kind is None:
            return modellix_error(404, f"Not Found: model {slug} does not exist")
        try:
            params = await request.json()
        except ValueError:
            return modellix_error(400, "Bad Request: body is not valid JSON")
        problems = check_params(slug, params)
        if problems:
            return modellix_error(400, "Invalid Parameter: " + "; ".join(problems))
        task = start(request, "modellix", slug, kind, params)
        if state.faults_for("modellix.submit").submit_500:
            return modellix_error(500, "Internal Error: please retry later")
        base = str(request.base_url).rstrip("/")
        return wrap(
            {
                "status": "pending",
                "task_id": task.id,
                "model_id": slug,
                "get_result": {"method": "GET", "url": f"{base}/api/v1/tasks/{task.id}"},
            }
        )

    app.add_api_route("/api/v1/{vendor}/{model}/async", modellix_submit, methods=["POST"])
    app.add_api_route("/api/v1/{vendor}/{model}", modellix_submit, methods=["POST"])

    # -------------------------------------------------------------------- files

    @app.get("/files/{task_id}/{name}")
    def result_file(task_id: str, name: str, expires: int = 0) -> Any:
        task = state.tasks.get(task_id)
        if task is None or (task.progress(time.monotonic()) < 100) or task.fail:
            return Response("not found", status_code=404)
        if expires and expires < time.time():
            return Response("this result URL has expired", status_code=410)
        content, _ext, ctype = produce(task)
        return Response(content, media_type=ctype)

    @app.get("/uploads/{file_id}/{name}")
    def uploaded_file(file_id: str, name: str) -> Any:
        item = state.files.get(file_id)
        if item is None:
            return Response("not found", status_code=404)
        return Response(item[0], media_type=item[2])

    # ------------------------------------------------------------------ control

    @app.get("/__sandbox/stats")
    def stats() -> Any:
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
        return {
            "routes": {k: v for k, v in counts.items() if k != "tasks_created"},
            "tasks_created": counts.get("tasks_created", 0),
            "tasks": sorted(times),
            "task_times": times,
        }

    @app.post("/__sandbox/faults")
    async def set_faults(request: Request) -> Any:
        body = await request.json()
        if not isinstance(body, dict):
            return JSONResponse({"message": "expected {route: {fault: value}}"}, 400)
        with state.lock:
            for route, spec in body.items():
                state.route_faults[route] = Faults.from_dict(spec or {})
        return {"faults": sorted(state.route_faults)}

    @app.post("/__sandbox/reset")
    def reset() -> Any:
        with state.lock:
            state.stats.clear()
            state.tasks.clear()
            state.media_jobs.clear()
            state.route_faults = {"*": Faults()}
            state.hits.clear()
        return {"ok": True}

    return app


class FaultMiddleware:
    """Outermost ASGI layer: counts requests per route and injects faults."""

    def __init__(self, app: Any, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_of(scope["method"], scope["path"])
        self.state.count(route)
        if route != "control":
            faults = self.state.faults_for(route)
            if faults.slow:
                await asyncio.sleep(faults.slow)
            if self.state.roll(faults.drop_rate):
                transport = getattr(getattr(send, "__self__", None), "transport", None)
                if transport is not None:
                    transport.abort()
                    return
            for rate, status in ((faults.error_rate, 500), (faults.unavailable_rate, 503)):
                if self.state.roll(rate):
                    body = (
                        b'{"message": "injected fault"}'
                        if route.startswith("vtrix")
                        else b'{"code": %d, "message": "Internal Error: injected fault"}' % status
                    )
                    await send(
                        {
                            "type": "http.response.start",
                            "status": status,
                            "headers": [(b"content-type", b"application/json")],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
        await self.app(scope, receive, send)


def build(config: SandboxConfig) -> tuple[FaultMiddleware, State]:
    state = State(config)
    return FaultMiddleware(create_app(config, state), state), state


def serve(config: SandboxConfig) -> None:
    """Run until Ctrl-C/SIGTERM; print the base URL first (stdout), then how to use it."""
    import socket

    import uvicorn

    app, _ = build(config)
    sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.host, config.port))
    sock.listen(128)  # connections made as soon as the URL is printed wait in the backlog
    port = sock.getsockname()[1]
    host = f"[{config.host}]" if ":" in config.host else config.host
    base = f"http://{host}:{port}"
    print(base, flush=True)
    print(
        f"vtrix sandbox: both protocols at {base}\n"
        f"  export VTRIX_BASE_URL={base}\n  export MODELLIX_BASE_URL={base}\n"
        "  (any API key works unless --api-key limits them; Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])


class RunningSandbox:
    """A sandbox on a real socket in a background thread (for tests and scripts)::

    with RunningSandbox(SandboxConfig(task_seconds=0.5)) as sb:
        os.environ["VTRIX_BASE_URL"] = sb.url
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        import socket
        import threading

        import uvicorn

        self.config = config or SandboxConfig()
        self.app, self.state = build(self.config)
        self.sock = socket.socket(socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.config.host, self.config.port))
        self.url = f"http://{self.config.host}:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="error", lifespan="off"))
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> RunningSandbox:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.state.pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> RunningSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
