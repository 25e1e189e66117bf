"""A request that creates nothing and is not a read (a cancel, a price quote): sent once, with
the key, its answer returned as it came. Nothing is retried here: a cancel sent twice is
harmless but says nothing new, and a quote is asked again by whoever needs it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from vtrix.errors import TemporaryFailure
from vtrix.http.answer import _log_request, _log_response
from vtrix.http.plan import Plan, Send
from vtrix.http.transport import Request, Response, TransportError

if TYPE_CHECKING:
    from vtrix.http.client import Http


def once_plan(
    http: Http, method: str, url: str, body: Any, *, what: str, deadline: float | None = None
) -> Plan[Response]:
    """``method url`` with ``body`` as JSON, once, before ``deadline`` (else the read budget);
    a failure to get any answer is a :class:`TemporaryFailure` naming ``what``."""
    headers = {**http.headers(auth=True), "Content-Type": "application/json"}
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    until = deadline if deadline is not None else http.clock() + http.read_budget
    _log_request(method, url, headers)
    outcome: Response | TransportError = yield Send(Request(method, url, headers, body=data), until)
    if isinstance(outcome, TransportError):
        raise TemporaryFailure(f"{what} at {url} failed: {outcome.detail}")
    _log_response(outcome)
    return outcome
