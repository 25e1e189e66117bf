"""A small CONNECT proxy on 127.0.0.1 for tests: it tunnels to any ``host:port`` by sending
the bytes to 127.0.0.1:port (so names like ``gateway.test`` reach a local server only
through it), and records what it saw in clear: the CONNECT lines and every byte the client
sent through the tunnel (TLS records, if the client speaks TLS)."""

from __future__ import annotations

import base64
import select
import socket
import socketserver
import threading


class ConnectProxy:
    def __init__(self, *, user: str | None = None, password: str | None = None) -> None:
        self.targets: list[str] = []  # host:port of each CONNECT
        self.heads: list[bytes] = []  # each request head as received
        self.seen = bytearray()  # every byte received from clients
        self.lock = threading.Lock()
        expected = None
        if user is not None:
            expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        proxy = self

        class Conn(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request, expected)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Conn)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> ConnectProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _note(self, data: bytes) -> None:
        with self.lock:
            self.seen += data

    def _handle(self, client: socket.socket, expected_auth: str | None) -> None:
        client.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = client.recv(65536)
            if not chunk:
                return
            head += chunk
        self._note(head)
        head, _, rest = head.partition(b"\r\n\r\n")
        with self.lock:
            self.heads.append(head)
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:])
        }
        if method != "CONNECT":
            client.sendall(b"HTTP/1.1 501 Only CONNECT\r\nContent-Length: 0\r\n\r\n")
            return
        if expected_auth and headers.get("proxy-authorization") != expected_auth:
            client.sendall(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                b"Proxy-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n"
            )
            return
        with self.lock:
            self.targets.append(target)
        port = int(target.rsplit(":", 1)[1])
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        if rest:
            upstream.sendall(rest)
        self._relay(client, upstream)

    def _relay(self, client: socket.socket, upstream: socket.socket) -> None:
        socks = [client, upstream]
        try:
            while True:
                ready, _, _ = select.select(socks, [], [], 10)
                if not ready:
                    return
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    if s is client:
                        self._note(data)
                        upstream.sendall(data)
                    else:
                        client.sendall(data)
        except OSError:
            return
        finally:
            upstream.close()
