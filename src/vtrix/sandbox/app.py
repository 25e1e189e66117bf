"""The sandbox gateway app (FastAPI): every protocol's router (vtrix, Modellix, Replicate,
WaveSpeed, fal), the
files and control routes, and the fault layer around them. Every answer, the framework's own errors
included, uses the envelope of the protocol its path belongs to, and a route that takes a
key answers 401 before anything else."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from vtrix.base.gateways import MODELLIX_API_PREFIX, VTRIX_API_PREFIX, VTRIX_MODELS_PREFIX
from vtrix.sandbox import (
    control,
    fal_api,
    files,
    modellix_api,
    replicate_api,
    vtrix_api,
    wavespeed_api,
)
from vtrix.sandbox.catalog import load_catalog
from vtrix.sandbox.common import Sandbox, authorize, error_for_path
from vtrix.sandbox.faults import FaultMiddleware
from vtrix.sandbox.state import SandboxConfig, State

# Paths whose routes take a key (the vtrix models service and the schema host are public).
_KEYED = (VTRIX_API_PREFIX, MODELLIX_API_PREFIX)
_PUBLIC = (VTRIX_MODELS_PREFIX,)


def _framework_error(request: Request, status: int, message: str) -> Response:
    path = request.url.path
    if path.startswith(_KEYED) and not path.startswith(_PUBLIC):
        provider = "vtrix" if path.startswith(VTRIX_API_PREFIX) else "modellix"
        _, denied = authorize(request, provider)
        if denied is not None:
            return denied
    return error_for_path(path, status, message)


def create_app(config: SandboxConfig, state: State | None = None) -> FastAPI:
    state = state or State(config)
    app = FastAPI(title="vtrix sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = Sandbox(config, state, load_catalog(config.specs_dir))
    # fal's routes last: its queue takes any path under an endpoint's own.
    routers = (
        vtrix_api.router,
        modellix_api.router,
        replicate_api.router,
        wavespeed_api.router,
        files.router,
        control.router,
        fal_api.router,
    )
    for router in routers:
        app.include_router(router)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Any:
        words = {404: "no such route", 405: f"{request.method} is not allowed here"}
        return _framework_error(
            request, exc.status_code, words.get(exc.status_code, str(exc.detail))
        )

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Any:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()))
        return _framework_error(request, 400, f"{where}: {first.get('msg', 'invalid request')}")

    return app


def build(config: SandboxConfig) -> tuple[FaultMiddleware, State]:
    state = State(config)
    return FaultMiddleware(create_app(config, state), state), state
