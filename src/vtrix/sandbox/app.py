"""The sandbox gateway app (FastAPI): both protocols' routers, the files and control routes,
and the fault layer around them (see protocols.md)."""

from __future__ import annotations

from fastapi import FastAPI

from vtrix.sandbox import control, files, modellix_api, vtrix_api
from vtrix.sandbox.catalog import load_catalog
from vtrix.sandbox.common import Sandbox
from vtrix.sandbox.faults import FaultMiddleware
from vtrix.sandbox.state import SandboxConfig, State


def create_app(config: SandboxConfig, state: State | None = None) -> FastAPI:
    state = state or State(config)
    app = FastAPI(title="vtrix sandbox", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.sandbox = Sandbox(config, state, load_catalog(config.specs_dir))
    for router in (vtrix_api.router, modellix_api.router, files.router, control.router):
        app.include_router(router)
    return app


def build(config: SandboxConfig) -> tuple[FaultMiddleware, State]:
    state = State(config)
    return FaultMiddleware(create_app(config, state), state), state
