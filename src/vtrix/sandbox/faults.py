"""The outermost ASGI layer: counts requests per route and injects faults."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from vtrix.base import gateways as gw
from vtrix.sandbox.common import CATEGORIES
from vtrix.sandbox.state import State


def _rx(template: str, **parts: str) -> re.Pattern[str]:
    """A route's path pattern from the gateway table's template (``{x}``: one segment, or
    what ``parts`` says)."""
    text = re.escape(template)
    for name in re.findall(r"\\\{(\w+)\\\}", text):
        text = text.replace(f"\\{{{name}\\}}", parts.get(name, "[^/]+"))
    return re.compile(f"^{text}$")


SLUG = "[^/]+/[^/]+"
ROUTES: list[tuple[str, str, re.Pattern[str]]] = [
    ("vtrix.catalog", "GET", _rx(gw.VTRIX_CATALOG_PATH + "{slash}", slash="/?")),
    ("vtrix.spec", "GET", _rx(gw.VTRIX_SPEC_PATH)),
    ("vtrix.submit", "POST", _rx(gw.VTRIX_GENERATION_PATH + "{slash}", slash="/?")),
    ("vtrix.task", "GET", _rx(gw.VTRIX_TASK_PATH)),
    ("modellix.catalog", "GET", _rx(gw.MODELLIX_CATALOG_PATH + "{slash}", slash="/?")),
    ("modellix.schema", "GET", _rx(gw.MODELLIX_SCHEMA_PATH, model=SLUG)),
    ("modellix.task", "GET", _rx(gw.MODELLIX_TASK_PATH + "{task}")),
    ("modellix.upload", "POST", _rx(gw.MODELLIX_UPLOAD_PATH)),
    ("modellix.validate", "GET", _rx(gw.MODELLIX_KEY_CHECK_PATH)),
    ("modellix.balance", "GET", _rx(gw.MODELLIX_BALANCE_PATH)),
    (
        "modellix.submit",
        "POST",
        _rx(
            gw.MODELLIX_SUBMIT_PATH + "{legacy}",
            model=SLUG,
            legacy=f"({gw.MODELLIX_LEGACY_SUFFIX})?",
        ),
    ),
    ("files", "GET", re.compile(r"^/(files|uploads)/")),
    ("control", "*", re.compile(r"^/__sandbox/")),
    ("replicate.catalog", "GET", _rx(gw.REPLICATE_CATALOG_PATH)),
    ("replicate.model", "GET", re.compile(r"^/v1/models/[^/]+/[^/]+(/versions/[^/]+)?$")),
    ("replicate.submit", "POST", re.compile(r"^/v1/(models/[^/]+/[^/]+/)?predictions$")),
    ("replicate.cancel", "POST", re.compile(r"^/v1/predictions/[^/]+/cancel$")),
    ("replicate.get", "GET", re.compile(r"^/v1/predictions/[^/]+$")),
    ("replicate.account", "GET", _rx(gw.REPLICATE_ACCOUNT_PATH)),
    ("wavespeed.catalog", "GET", _rx(gw.WAVESPEED_CATALOG_PATH)),
    ("wavespeed.price", "POST", _rx(gw.WAVESPEED_PRICE_PATH)),
    ("wavespeed.balance", "GET", _rx(gw.WAVESPEED_BALANCE_PATH)),
    ("wavespeed.result", "GET", _rx(gw.WAVESPEED_RESULT_PATH)),
    ("wavespeed.submit", "POST", re.compile(r"^/api/v3/.+$")),
    ("fal.schema", "GET", _rx(gw.FAL_SCHEMA_PATH)),
    ("fal.catalog", "GET", _rx(gw.FAL_CATALOG_PATH)),
    ("fal.status", "GET", re.compile(r"^/.+/requests/[^/]+/status$")),
    ("fal.result", "GET", re.compile(r"^/.+/requests/[^/]+$")),
    ("fal.cancel", "PUT", re.compile(r"^/.+/requests/[^/]+/cancel$")),
    ("fal.submit", "POST", re.compile(r"^/[^_].*/.+$")),
]


def _fault_body(route: str, status: int, category: str) -> dict[str, object]:
    """An injected error in the envelope of the protocol ``route`` belongs to."""
    text = f"{category}: injected fault"
    if route.startswith("vtrix"):
        return {"message": text}
    if route.startswith("fal"):
        return {"detail": text}
    if route.startswith("replicate"):
        return {"title": category, "detail": text, "status": status}
    return {"code": status, "message": text}


def route_of(method: str, path: str) -> str:
    for name, m, pattern in ROUTES:
        if (m in ("*", method)) and pattern.match(path):
            return name
    return "other"


class FaultMiddleware:
    def __init__(self, app: Any, state: State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self._call(scope, receive, send)
        except _Cut:
            return

    async def _call(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
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
                    category = CATEGORIES[status]
                    body = json.dumps(_fault_body(route, status, category)).encode()
                    await send(
                        {
                            "type": "http.response.start",
                            "status": status,
                            "headers": [(b"content-type", b"application/json")],
                        }
                    )
                    await send({"type": "http.response.body", "body": body})
                    return
            if faults.cut_after or faults.drip:
                send = _shaping(send, faults.cut_after, faults.drip)
        await self.app(scope, receive, _with_rate_headers(scope, send))


def _with_rate_headers(scope: dict[str, Any], send: Any) -> Any:
    """A ``send`` that adds the rate-limit headers a route left in ``request.state``."""

    async def sending(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            extra = (scope.get("state") or {}).get("rate_headers")
            if extra:
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        *((k.lower().encode(), v.encode()) for k, v in extra.items()),
                    ],
                }
        await send(message)

    return sending


class _Cut(Exception):
    pass


def _shaping(send: Any, cut_after: int, drip: float) -> Any:
    """A ``send`` that drips answer bodies out and/or drops the connection after
    ``cut_after`` body bytes (a download cut mid-way)."""
    sent = 0

    async def shaped(message: dict[str, Any]) -> None:
        nonlocal sent
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        pieces = [body[i : i + 4096] for i in range(0, len(body), 4096)] or [b""]
        for piece in pieces:
            if cut_after and sent + len(piece) >= cut_after:
                await send(
                    {
                        "type": "http.response.body",
                        "body": piece[: cut_after - sent],
                        "more_body": True,
                    }
                )
                transport = getattr(getattr(send, "__self__", None), "transport", None)
                if transport is not None:
                    transport.abort()
                raise _Cut
            if drip:
                await asyncio.sleep(drip)
            sent += len(piece)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        if not message.get("more_body"):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    return shaped
