"""vtrix's HTTP layer: the transport seam (:mod:`.transport`), retry rules (:mod:`.retry`)
and the policy every request follows (:mod:`.client`)."""

from vtrix.http.client import USER_AGENT, Http, Plan, Send, Sleep
from vtrix.http.transport import (
    MAX_ANSWER_BYTES,
    MockTransport,
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
    "Http",
    "MockTransport",
    "Plan",
    "Request",
    "RequestsTransport",
    "Response",
    "Send",
    "Sleep",
    "Timeouts",
    "Transport",
    "TransportError",
]
