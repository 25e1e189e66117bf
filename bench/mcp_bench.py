"""`vtrix mcp`: from the server's start to its first `tools/list` answer (raw JSON-RPC over
stdio, as a client speaks it), and `tools/list` with `--typed '*'` at catalog scale."""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import LAUNCH, PY, REPS, home_env

INIT = {
    "protocolVersion": "2025-06-18",
    "capabilities": {},
    "clientInfo": {"name": "bench", "version": "1"},
}


def _rpc(proc: subprocess.Popen[bytes], i: int, method: str, params: dict[str, Any]) -> Any:
    assert proc.stdin is not None and proc.stdout is not None
    message = {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()
    while True:
        got = json.loads(proc.stdout.readline())
        if got.get("id") == i:
            return got


def first_list(models: Path | None, *typed: str) -> tuple[float, float, int]:
    """(seconds from spawn to the first tools/list answer, seconds of a second tools/list,
    tools listed)."""
    args = ["mcp", *(a for p in typed for a in ("--typed", p))]
    cmd = [PY, "-c", LAUNCH, str(models), *args] if models else [PY, "-m", "vtrix", *args]
    start = time.perf_counter()
    with _server(cmd) as proc:
        listed = _rpc(proc, 2, "tools/list", {})
        first = time.perf_counter() - start
        again = time.perf_counter()
        _rpc(proc, 3, "tools/list", {})
        second = time.perf_counter() - again
    return first, second, len(listed["result"]["tools"])


@contextmanager
def _server(cmd: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    """A `vtrix mcp` process, initialized as a client does it; killed afterwards."""
    proc = subprocess.Popen(
        cmd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=home_env(),
    )
    try:
        _rpc(proc, 1, "initialize", INIT)
        assert proc.stdin is not None
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        proc.stdin.flush()
        yield proc
    finally:
        proc.kill()
        proc.wait()


def real_catalog(reps: int = REPS) -> dict[str, Any]:
    runs = [first_list(None) for _ in range(max(3, reps // 3))]
    return {"first_list_s": round(statistics.median(r[0] for r in runs), 3), "tools": runs[0][2]}


def big_catalog(models: Path, reps: int = 3) -> dict[str, Any]:
    runs = [first_list(models, "*") for _ in range(reps)]
    return {
        "typed_first_list_s": round(statistics.median(r[0] for r in runs), 2),
        "typed_list_again_s": round(statistics.median(r[1] for r in runs), 3),
        "typed_tools": runs[0][2],
    }


def _list_bytes(proc: subprocess.Popen[bytes], first_id: int) -> tuple[int, int]:
    """(bytes of every tools/list page, tools) as a client pages through them."""
    size, tools, cursor, i = 0, 0, None, first_id
    while True:
        got = _rpc(proc, i, "tools/list", {"cursor": cursor} if cursor else {})
        size += len(json.dumps(got["result"], separators=(",", ":")))
        tools += len(got["result"]["tools"])
        cursor = got["result"].get("nextCursor")
        i += 1
        if not cursor:
            return size, tools


def agent_figures(calls: int = 41) -> dict[str, Any]:
    """A warm server: check_request (validation and the quote, nothing sent) per call, and
    what tools/list costs an agent's context, with the default tools and `--typed '*'`."""
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="vtrix-bench-mcp-"))
    out: dict[str, Any] = {}
    for label, extra in (("default", []), ("typed_all", ["--typed", "*"])):
        with _server([PY, "-m", "vtrix", "mcp", "--root", str(root), *extra]) as proc:
            size, tools = _list_bytes(proc, 2)
            out[f"list_bytes_{label}"], out[f"list_tools_{label}"] = size, tools
            if label == "default":
                args = {"model": "kirin_v3_i2v", "params": {"image_url": "https://e.com/a.jpg"}}
                times = []
                for n in range(calls):
                    start = time.perf_counter()
                    got = _rpc(
                        proc, 100 + n, "tools/call", {"name": "check_request", "arguments": args}
                    )
                    times.append(time.perf_counter() - start)
                    assert not got["result"].get("isError"), got
                out["check_request_ms"] = round(statistics.median(times[1:]) * 1000, 1)
    return out


def inspector_job() -> dict[str, Any]:
    """One agent job through a second, independent MCP client — the MCP Inspector CLI from
    npm, fetched by npx — calling ``check_request`` on a real ``vtrix mcp``: the missing
    ``image_url`` must be named. Skipped (and said so) where npx cannot fetch it."""
    import shutil
    import tempfile

    if shutil.which("npx") is None:
        return {"inspector": "skipped: npx is not installed"}
    root = Path(tempfile.mkdtemp(prefix="vtrix-bench-mcp-"))
    cmd = ["npx", "-y", "@modelcontextprotocol/inspector", "--cli", PY, "-m", "vtrix", "mcp"]
    cmd += ["--root", str(root), "--method", "tools/call", "--tool-name", "check_request"]
    cmd += ["--tool-arg", "model=kirin_v3_i2v"]
    start = time.perf_counter()
    try:
        r = subprocess.run(cmd, env=home_env(), capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        return {"inspector": "skipped: npx could not fetch it within 240 s"}
    took = round(time.perf_counter() - start, 1)
    if r.returncode != 0 and ("npm error" in r.stderr or "npm ERR!" in r.stderr):
        return {"inspector": "skipped: it did not install"}
    if r.returncode == 0 and "image_url" in r.stdout:
        return {"inspector": "works", "inspector_s": took}
    return {"inspector": f"failed (exit {r.returncode})", "inspector_s": took}
