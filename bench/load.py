"""A small load client for the sandbox: raw HTTP/1.1 over asyncio with keep-alive, so the
client costs little CPU beside the server on a 2-core machine. Latencies are measured here;
counts are read back from the sandbox's own stats."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass
class Figures:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


class Conn:
    """One kept-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, path: str, body: bytes = b"", key: str = ""
    ) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
        if key:
            head += f"Authorization: Bearer {key}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        assert self.reader is not None
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        data = await self.reader.readexactly(length)
        return status, data

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def drive(
    url: str,
    make: Callable[[int], tuple[str, str, bytes]],
    total: int,
    connections: int,
    key: str,
) -> Figures:
    """Send ``total`` requests, ``make(i)`` -> (method, path, body), over ``connections``."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))

    async def worker() -> None:
        nonlocal errors
        conn = Conn(host, port)
        try:
            for i in counter:
                method, path, body = make(i)
                t0 = time.perf_counter()
                status, _ = await conn.request(method, path, body, key)
                latencies.append(time.perf_counter() - t0)
                if status >= 400:
                    errors += 1
        finally:
            conn.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    seconds = time.perf_counter() - start
    ordered = sorted(latencies)
    return Figures(
        requests=len(latencies),
        seconds=seconds,
        errors=errors,
        p50_ms=statistics.median(ordered) * 1000 if ordered else 0.0,
        p99_ms=ordered[int(len(ordered) * 0.99) - 1] * 1000 if ordered else 0.0,
    )


def submit_request(i: int) -> tuple[str, str, bytes]:
    body = {"model": "kirin_v3_i2v", "params": {"image_url": f"https://e.com/{i}.jpg"}}
    return "POST", "/model/v1/generation", json.dumps(body).encode()


def capacity(
    url: str, *, submits: int = 3000, reads: int = 15000, connections: int = 32
) -> dict[str, float]:
    """Submits per second, then status reads per second (of the tasks just made)."""
    key = "sk-bench-load-key"
    sub = asyncio.run(drive(url, submit_request, submits, connections, key))
    import urllib.request

    with urllib.request.urlopen(f"{url}/__sandbox/stats") as resp:
        stats = json.load(resp)
    ids = stats["tasks"]
    read = asyncio.run(
        drive(
            url,
            lambda i: ("GET", f"/model/v1/generation/task/{ids[i % len(ids)]}", b""),
            reads,
            connections,
            key,
        )
    )
    with urllib.request.urlopen(f"{url}/__sandbox/stats") as resp:
        after = json.load(resp)
    return {
        "submits": sub.requests,
        "submits_counted": stats["tasks_created"],
        "submit_rate": round(sub.rate),
        "submit_p50_ms": round(sub.p50_ms, 1),
        "submit_p99_ms": round(sub.p99_ms, 1),
        "submit_errors": sub.errors,
        "reads": read.requests,
        "reads_counted": after["routes"].get("vtrix.task", 0),
        "read_rate": round(read.rate),
        "read_p50_ms": round(read.p50_ms, 1),
        "read_p99_ms": round(read.p99_ms, 1),
        "read_errors": read.errors,
    }
