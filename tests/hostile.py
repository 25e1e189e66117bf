"""A hostile gateway on 127.0.0.1: it answers each request however a test scripts it — any
status, headers or body, a body dripped out slowly, a connection reset mid-answer, a hang —
and records every request it received (or the bytes of one it could not parse).

    with HostileGateway() as gw:
        gw.on("POST", "/model/v1/generation", Reply(json={"id": "task_1"}))
        gw.on("GET", r"/model/v1/generation/task/.*", Reply(status=503), Reply(hang=30))
"""

from __future__ import annotations

import json as jsonlib
import re
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds before the status line
    drip: float = 0.0  # seconds between body bytes
    drip_head: float = 0.0  # seconds between bytes of the status line and headers
    reset: bool = False  # reset the connection instead of answering
    reset_after: int | None = None  # send this many body bytes, then reset
    length: int | None = None  # a Content-Length to claim (default: the real one)

    def payload(self) -> bytes:
        if self.json is not None:
            return jsonlib.dumps(self.json).encode()
        return self.body.encode() if isinstance(self.body, str) else self.body


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return jsonlib.loads(self.body)


Handler = Callable[[Received], Reply]


class HostileGateway:
    """A scripted gateway on 127.0.0.1. With ``tls`` (a server SSLContext) it speaks HTTPS
    and its URL names ``host`` (reachable through tests/proxy.py's tunnel)."""

    def __init__(self, tls: Any = None, host: str = "127.0.0.1") -> None:
        self.routes: list[tuple[str, re.Pattern[str], list[Reply] | Handler]] = []
        self.received: list[Received] = []
        self.garbage: list[bytes] = []  # connections whose request could not be parsed
        self.stopping = threading.Event()
        gw = self

        class Conn(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock = self.request
                if tls is not None:
                    try:
                        sock = tls.wrap_socket(sock, server_side=True)
                    except (OSError, ValueError):
                        return  # the client did not trust us, or spoke no TLS
                gw._serve(sock)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Conn)
        self.server.daemon_threads = True
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> HostileGateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def on(self, method: str, pattern: str, *replies: Reply | Handler) -> HostileGateway:
        """Answer ``method`` requests whose path matches ``pattern`` with ``replies`` in
        turn (the last one repeats), or with a function of the request."""
        target: list[Reply] | Handler
        if len(replies) == 1 and callable(replies[0]) and not isinstance(replies[0], Reply):
            target = replies[0]
        else:
            target = [r for r in replies if isinstance(r, Reply)]
        self.routes.insert(0, (method, re.compile(pattern + r"\Z"), target))
        return self

    def count(self, method: str, pattern: str = ".*") -> int:
        rx = re.compile(pattern + r"\Z")
        return sum(1 for r in self.received if r.method == method and rx.match(r.path))

    def posts(self) -> list[Received]:
        """The POSTs received, in order (submits and uploads; a look at a spec is a GET)."""
        return [r for r in self.received if r.method == "POST"]

    # ---------------------------------------------------------------- serving

    def _reply_for(self, req: Received) -> Reply:
        for method, rx, target in self.routes:
            if method == req.method and rx.match(req.path.split("?", 1)[0]):
                if callable(target):
                    return target(req)
                return target.pop(0) if len(target) > 1 else target[0]
        return Reply(404, json={"message": "not scripted"})

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        req = self._read(sock)
        if req is None:
            return
        self.received.append(req)
        reply = self._reply_for(req)
        if reply.hang and self.stopping.wait(reply.hang):
            return
        if reply.reset:
            _reset(sock)
            return
        payload = reply.payload()
        head = [f"HTTP/1.1 {reply.status} X", "Connection: close"]
        headers = {"Content-Type": "application/json", **reply.headers}
        if "Content-Length" not in headers:
            headers["Content-Length"] = str(
                reply.length if reply.length is not None else len(payload)
            )
        head += [f"{k}: {v}" for k, v in headers.items()]
        try:
            raw_head = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1")
            if reply.drip_head:
                for i in range(len(raw_head)):
                    if self.stopping.wait(reply.drip_head):
                        return
                    sock.sendall(raw_head[i : i + 1])
                raw_head = b""
            sock.sendall(raw_head)
            if reply.reset_after is not None:
                sock.sendall(payload[: reply.reset_after])
                time.sleep(0.05)
                _reset(sock)
                return
            if reply.drip:
                for i in range(len(payload)):
                    if self.stopping.wait(reply.drip):
                        return
                    sock.sendall(payload[i : i + 1])
            else:
                sock.sendall(payload)
        except OSError:
            return

    def _read(self, sock: socket.socket) -> Received | None:
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                if data[:1] == b"\x16":  # a TLS hello: answer as a plain HTTP server would
                    self.garbage.append(data)
                    sock.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                    return None
            head, _, body = data.partition(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _version = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length", "0") or 0)
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                body += chunk
        except (OSError, ValueError, UnicodeDecodeError):
            self.garbage.append(data)
            return None
        if not method.isalpha():
            self.garbage.append(data)
            return None
        return Received(method, path, headers, body)


def _reset(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def vtrix_task(task_id: str = "task_1", status: str = "completed", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": task_id, "model": "kirin_v3_i2v", "status": status}
    if status == "completed":
        body["output"] = [{"content": [{"type": "video", "url": "https://cdn.example/o.mp4"}]}]
    body.update(extra)
    return body


def modellix_task(task_id: str = "task-1", status: str = "success", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"task_id": task_id, "status": status, "model_id": "x/y"}
    if status == "success":
        data["result"] = {"resources": [{"url": "https://cdn.example/o.png", "type": "image"}]}
    data.update(extra)
    return {"code": 0, "message": "success", "data": data}
