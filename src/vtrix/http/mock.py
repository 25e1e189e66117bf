"""A transport for tests: canned answers from a function, no network (as httpx's
MockTransport)."""

from __future__ import annotations

import time
from collections.abc import Callable

from vtrix.http.transport import Request, Response, TransportError


class MockTransport:
    """Answers every request from ``handler`` (which may raise TransportError); records them."""

    def __init__(
        self, handler: Callable[[Request], Response], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.handler = handler
        self.clock = clock
        self.requests: list[Request] = []

    def send(self, request: Request, *, deadline: float, max_bytes: int) -> Response:
        self.requests.append(request)
        if deadline - self.clock() <= 0:
            raise TransportError("deadline", "the deadline passed before sending", sent=False)
        response = self.handler(request)
        if len(response.body) > max_bytes:
            raise TransportError("too_large", "the answer is over the limit", sent=True)
        return response
