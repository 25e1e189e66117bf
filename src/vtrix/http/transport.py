"""One HTTP exchange, and nothing else: the seam between vtrix and the network.

:class:`RequestsTransport` sends a request with ``requests`` and reads the whole answer,
bounded by a deadline (connect, headers and every read of the body, so a hung read or a
drip-fed body ends on time) and by a size cap. Every failure becomes a
:class:`TransportError` that says whether the request may have reached the server
(``sent``): DNS, TLS, refused and connect-timeout failures and header values that cannot
be sent are ``sent=False``. :class:`MockTransport` answers from a function, for tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import TYPE_CHECKING, Any, Protocol

from vtrix.base.constants import CONNECT_TIMEOUT, READ_TIMEOUT, SLOW_UPLINK
from vtrix.base.record import field, record
from vtrix.base.text import human_size
from vtrix.http.failures import PeerRefused as PeerRefused
from vtrix.http.failures import TransportError as TransportError
from vtrix.http.failures import classify
from vtrix.http.network import DIRECT, Network
from vtrix.http.resolve import resolve_within

if TYPE_CHECKING:
    import requests


@record(frozen=True)
class Request:
    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | None = None
    files: Mapping[str, tuple[str, Any, str]] | None = (
        None  # multipart: field -> (name, file, type)
    )
    fresh: bool = False  # on a new connection (a paid submit never rides a stale keep-alive)
    decode: bool = True  # undo a Content-Encoding (False: the bytes as served, for files)


@record(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    url: str

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


PeerCheck = Callable[[str], None]  # raises PeerRefused for an address it refuses


def upload_seconds(size: int) -> float:
    """How long ``size`` bytes may take to go out (0 for no body worth bounding)."""
    return size / SLOW_UPLINK


def body_size(request: Request) -> int:
    """The bytes a request sends: its body, or the files it uploads (by their size on disk)."""
    import os

    size = len(request.body or b"")
    for _name, fileobj, _ctype in (request.files or {}).values():
        try:
            size += os.fstat(fileobj.fileno()).st_size
        except (AttributeError, OSError, ValueError):
            continue
    return size


class Transport(Protocol):
    def send(self, request: Request, *, deadline: float, max_bytes: int) -> Response: ...


@record
class Timeouts:
    connect: float = CONNECT_TIMEOUT
    read: float = READ_TIMEOUT


_WRITING = threading.local()  # .started: this thread's request began to go out


def _new_session(peer_check: PeerCheck | None = None) -> requests.Session:
    """A requests session whose connections note when a request starts to go out, so that a
    failure before that (DNS, refused, TLS, a handshake that hangs) is known to be unsent,
    and (with ``peer_check``) refuse to talk to addresses the check refuses, whatever name
    or redirect led there."""
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Noting:
        def _new_conn(self) -> Any:
            sock = super()._new_conn()  # type: ignore[misc]
            if peer_check is not None:
                try:
                    # Through a proxy's tunnel the policy is about the target, not the proxy.
                    tunnel = getattr(self, "_tunnel_host", None)
                    for address in _addresses(tunnel) if tunnel else [sock.getpeername()[0]]:
                        peer_check(address)
                except BaseException:
                    sock.close()
                    raise
            _watch(sock)
            return sock

        def request(self, *args: Any, **kwargs: Any) -> Any:
            _WRITING.started = True
            _watch(getattr(self, "sock", None))
            return super().request(*args, **kwargs)  # type: ignore[misc]

    class NotingHTTP(Noting, HTTPConnection):
        pass

    class NotingHTTPS(Noting, HTTPSConnection):
        pass

    class Pool(HTTPConnectionPool):
        ConnectionCls = NotingHTTP

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = NotingHTTPS

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}

        def proxy_manager_for(self, *args: Any, **kwargs: Any) -> Any:
            manager = super().proxy_manager_for(*args, **kwargs)
            manager.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}
            return manager

    session = requests.Session()
    # Nothing from the environment steers a request (no .netrc, no proxy): proxies and CA
    # bundles are passed per request from vtrix.http.network.Network, read as vtrix means.
    session.trust_env = False
    # Enough kept-alive connections per host for every worker thread of the async client.
    session.mount("http://", Adapter(pool_connections=4, pool_maxsize=64))
    session.mount("https://", Adapter(pool_connections=4, pool_maxsize=64))
    return session


def _addresses(host: str) -> list[str]:
    """The addresses ``host`` resolves to here (none when it does not: then only the proxy
    can resolve it, and the proxy's network decides)."""
    import socket

    try:
        return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})
    except (OSError, UnicodeError):
        return []


class RequestsTransport:
    """The real transport: proxies and CA bundle from ``network`` (never the environment
    directly, never .netrc); no redirects."""

    def __init__(
        self,
        timeouts: Timeouts | None = None,
        peer_check: PeerCheck | None = None,
        network: Network | None = None,
    ) -> None:
        self.timeouts = timeouts or Timeouts()
        self.peer_check = peer_check
        self.network = network or DIRECT
        self._session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        if self._session is None:
            self._session = _new_session(self.peer_check)
        return self._session

    def send(self, request: Request, *, deadline: float, max_bytes: int) -> Response:
        with self.open(request, deadline=deadline) as (status, headers, url, chunks):
            body = bytearray()
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                raise TransportError(
                    "too_large",
                    f"the answer is {human_size(int(length))} (limit {human_size(max_bytes)})",
                    sent=True,
                )
            for chunk in chunks:
                body += chunk
                if len(body) > max_bytes:
                    raise TransportError(
                        "too_large",
                        f"the answer is over the {human_size(max_bytes)} limit",
                        sent=True,
                    )
            return Response(status, headers, bytes(body), url)

    @contextmanager
    def open(
        self, request: Request, *, deadline: float
    ) -> Iterator[tuple[int, dict[str, str], str, Iterator[bytes]]]:
        """Send ``request``; yield (status, headers, url, body chunks), all within ``deadline``."""

        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TransportError("deadline", "the deadline passed before sending", sent=False)
        # The socket's bound while a body goes out is the connect phase's: for an upload it
        # scales with the bytes to move (an 8 MB file over a slow uplink is not a hang).
        connect = max(self.timeouts.connect, upload_seconds(body_size(request)))
        timeout = (min(connect, remaining), min(self.timeouts.read, remaining))
        resolve_within(self._first_hop(request.url), min(self.timeouts.connect, remaining))
        session = _new_session(self.peer_check) if request.fresh else self.session
        _WRITING.started = False
        # Read timeouts bound each wait for a byte; a server that drips its status line and
        # headers one byte at a time defeats them. The watchdog ends the exchange at the
        # deadline whatever the server does, by shutting its socket.
        watchdog = _Watchdog(remaining)
        _WRITING.watchdog = watchdog
        try:
            yield from self._exchange(session, request, deadline, timeout, watchdog)
        finally:
            watchdog.cancel()
            _WRITING.watchdog = None

    def _first_hop(self, url: str) -> str | None:
        """The host this process resolves for ``url``: its proxy's, or its own."""
        from urllib.parse import urlsplit

        proxy = self.network.proxy_for(url)
        return urlsplit(proxy if proxy else url).hostname

    def _exchange(
        self,
        session: requests.Session,
        request: Request,
        deadline: float,
        timeout: tuple[float, float],
        watchdog: _Watchdog,
    ) -> Iterator[tuple[int, dict[str, str], str, Iterator[bytes]]]:
        import requests

        try:
            resp = session.request(
                request.method,
                request.url,
                data=request.body,
                files=dict(request.files) if request.files else None,
                headers=dict(request.headers),
                timeout=timeout,
                stream=True,
                allow_redirects=False,
                proxies=self.network.proxies_for(request.url),
                verify=self.network.verify,
            )
        except (requests.RequestException, ValueError, UnicodeError) as exc:
            sent = bool(getattr(_WRITING, "started", False))
            if watchdog.fired:
                raise TransportError(
                    "deadline", "the deadline passed before the answer came", sent=sent
                ) from None
            raise classify(exc, sent=sent) from None
        try:
            headers = {k.lower(): v for k, v in resp.headers.items()}
            chunks = self._chunks(resp, deadline, request.decode)
            yield resp.status_code, headers, resp.url or request.url, chunks
        finally:
            resp.close()
            if session is not self._session:
                session.close()

    def _chunks(
        self, resp: requests.Response, deadline: float, decode: bool = True
    ) -> Iterator[bytes]:
        """The body, one socket read at a time, each bounded by what is left of the deadline
        (so a body that trickles in byte by byte still ends on time)."""
        import requests

        raw = resp.raw
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransportError("deadline", "the answer was still arriving", sent=True)
            sock = getattr(getattr(raw, "connection", None), "sock", None)
            if sock is not None:
                sock.settimeout(min(self.timeouts.read, remaining))
            try:
                chunk = raw.read1(65536, decode_content=decode)
            except (requests.RequestException, OSError, ValueError) as exc:
                raise classify(exc, sent=True) from None
            except Exception as exc:  # urllib3's own errors (ReadTimeoutError, ProtocolError)
                raise classify(exc, sent=True) from None
            if not chunk:
                return
            yield chunk


class _Watchdog:
    """Shuts the sockets of one exchange when its deadline passes. One shared thread keeps
    every watchdog (a thousand concurrent waits cost one thread, not a thousand)."""

    def __init__(self, seconds: float) -> None:
        self.fired = False
        self.cancelled = False
        self.socks: list[Any] = []
        self.lock = threading.Lock()
        _WATCHER.add(time.monotonic() + max(seconds, 0.0), self)

    def watch(self, sock: Any) -> None:
        with self.lock:
            if sock is not None and sock not in self.socks:
                self.socks.append(sock)
            if self.fired:
                _shut(sock)

    def _fire(self) -> None:
        with self.lock:
            self.fired = True
            for sock in self.socks:
                _shut(sock)

    def cancel(self) -> None:
        self.cancelled = True


class _Watcher:
    """The thread behind every :class:`_Watchdog`: a heap of deadlines, woken when an earlier
    one arrives."""

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, _Watchdog]] = []
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None
        self.count = 0

    def add(self, when: float, dog: _Watchdog) -> None:
        import heapq

        with self.cond:
            self.count += 1
            heapq.heappush(self.heap, (when, self.count, dog))
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="vtrix-deadlines")
                self.thread.daemon = True
                self.thread.start()
            self.cond.notify()

    def _run(self) -> None:
        import heapq

        while True:
            with self.cond:
                while self.heap and self.heap[0][2].cancelled:
                    heapq.heappop(self.heap)  # ended before its deadline: forget it
                if not self.heap:
                    self.cond.wait(30.0)
                    continue
                when, _, dog = self.heap[0]
                left = when - time.monotonic()
                if left > 0:
                    self.cond.wait(left)
                    continue
                heapq.heappop(self.heap)
            dog._fire()


_WATCHER = _Watcher()


def _shut(sock: Any) -> None:
    import socket

    with suppress(OSError, AttributeError):
        sock.shutdown(socket.SHUT_RDWR)


def _watch(sock: Any) -> None:
    watchdog = getattr(_WRITING, "watchdog", None)
    if watchdog is not None and sock is not None:
        watchdog.watch(sock)
