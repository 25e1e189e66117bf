"""What a failed exchange means: an exception from requests or urllib3 as a
:class:`TransportError` — how it failed, in words, and whether the request had started to go
out."""

from __future__ import annotations

from collections.abc import Iterator


class TransportError(Exception):
    """The exchange failed. ``kind`` names how; ``sent`` is False only when the request
    certainly never reached the server."""

    def __init__(self, kind: str, detail: str, *, sent: bool) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.sent = sent


class PeerRefused(OSError):
    """The connection reached an address the caller's policy does not allow."""


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        yield cur
        nxt = getattr(cur, "reason", None) or cur.__cause__ or cur.__context__
        if nxt is None and cur.args and isinstance(cur.args[0], BaseException):
            nxt = cur.args[0]
        cur = nxt if isinstance(nxt, BaseException) else None


def classify(exc: BaseException, *, sent: bool) -> TransportError:
    """A TransportError for anything requests, urllib3 or the socket raised; ``sent`` says
    whether the request had started to go out."""
    import requests
    from urllib3.exceptions import NameResolutionError, NewConnectionError, SSLError

    chain = list(_chain(exc))
    refused = next((c for c in chain if isinstance(c, PeerRefused)), None)
    if refused is not None:
        return TransportError("private", str(refused), sent=False)
    if isinstance(exc, (ValueError, UnicodeError)) and not isinstance(
        exc, requests.RequestException
    ):
        return TransportError("bad_header", f"a header value cannot be sent ({exc})", sent=False)
    if isinstance(exc, requests.exceptions.InvalidHeader):
        return TransportError("bad_header", "a header value cannot be sent", sent=False)
    if isinstance(exc, requests.exceptions.ProxyError):
        if any("407" in str(c) for c in chain):
            return TransportError(
                "proxy",
                "the proxy asks for credentials (HTTP 407): give them in the proxy URL "
                "(http://USER:PASSWORD@HOST:PORT)",
                sent=False,
            )
        return TransportError("proxy", "the proxy refused or failed the connection", sent=False)
    if any(isinstance(c, NameResolutionError) for c in chain):
        import socket

        if any(getattr(c, "errno", None) == socket.EAI_NONAME for c in chain):
            # No such name: asking again will not make one (a retry only costs the wait).
            return TransportError(
                "no_such_host", "the host name could not be resolved (no such host)", sent=False
            )
        return TransportError("dns", "the host name could not be resolved", sent=False)
    if any(isinstance(c, ConnectionRefusedError) for c in chain):
        return TransportError("refused", "connection refused", sent=False)
    if any(isinstance(c, NewConnectionError) for c in chain):
        return TransportError("connect", "could not connect", sent=False)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransportError("connect_timeout", "connecting timed out", sent=False)
    tls = isinstance(exc, requests.exceptions.SSLError) or any(
        isinstance(c, SSLError) for c in chain
    )
    timeout = isinstance(exc, (requests.exceptions.ReadTimeout, TimeoutError)) or any(
        type(c).__name__ in ("ReadTimeoutError", "TimeoutError", "timeout") for c in chain
    )
    if not sent:
        if tls and any("CERTIFICATE_VERIFY_FAILED" in str(c) for c in chain):
            return TransportError(
                "tls",
                "the TLS handshake failed: the server's certificate could not be verified "
                "(behind a company proxy or CA, set REQUESTS_CA_BUNDLE or SSL_CERT_FILE to its "
                "CA bundle)",
                sent=False,
            )
        if tls:
            return TransportError("tls", "the TLS handshake failed", sent=False)
        if timeout:
            return TransportError("tls", "the TLS handshake timed out", sent=False)
        return TransportError("connect", "the connection failed before sending", sent=False)
    if timeout:
        return TransportError("read_timeout", "no answer within the read timeout", sent=True)
    return TransportError(
        "reset", f"the connection was dropped ({type(chain[-1]).__name__})", sent=True
    )
