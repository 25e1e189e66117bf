"""vtrix's HTTP layer: the transport seam (:mod:`.transport`), retry rules (:mod:`.retry`)
and the policy every request follows (:mod:`.client`)."""

from vtrix.base.constants import MAX_ANSWER_BYTES
from vtrix.http.client import USER_AGENT, Http
from vtrix.http.mock import MockTransport
from vtrix.http.plan import Call, Plan, Send, Sleep, Step, drive, drive_async
from vtrix.http.transport import (
    Request,
    RequestsTransport,
    Response,
    Timeouts,
    Transport,
    TransportError,
)

__all__ = [
    "MAX_ANSWER_BYTES",
    "USER_AGENT",
    "Call",
    "Http",
    "MockTransport",
    "Plan",
    "Request",
    "RequestsTransport",
    "Response",
    "Send",
    "Sleep",
    "Step",
    "Timeouts",
    "Transport",
    "TransportError",
    "drive",
    "drive_async",
]
