"""`vtrix mcp`: a real MCP client (the official SDK's) drives the server in memory and as a
real stdio subprocess, against the sandbox over real HTTP."""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from conftest import CANARY, env_for

mcp = pytest.importorskip("mcp", reason="the mcp extra is part of the dev install")
from mcp import Client, StdioServerParameters  # noqa: E402

GENERIC = [
    "search_models",
    "get_model_spec",
    "check_request",
    "submit_task",
    "wait_task",
    "get_task",
    "cancel_task",
    "list_tasks",
    "save_task_outputs",
    "upload_file",
]
KIRIN = {"image_url": "https://example.com/a.jpg", "duration": 3}


def in_memory(sb: Any, root: Path, **options: Any) -> Any:
    """An in-process server on a client of ``sb`` (keys from the environment, as the CLI)."""
    from vtrix.aio import AsyncClient
    from vtrix.mcp.server import TypedTools, build_server
    from vtrix.mcp.tools import Tools

    typed = options.pop("typed", None)
    client = AsyncClient(api_key=CANARY, base_url=sb.url, max_spend=options.pop("max_spend", None))
    return client, build_server(
        Tools(client, root=root, **options), TypedTools(typed) if typed else None
    )


def call(server: Any, steps: Any) -> Any:
    async def go() -> Any:
        async with Client(server) as c:
            return await steps(c)

    return anyio.run(go)


def test_a_video_is_made_and_saved_end_to_end(home, sandbox, tmp_path):
    _, server = in_memory(sandbox, tmp_path)

    async def steps(c: Any) -> Any:
        tools = await c.list_tools()
        names = [t.name for t in tools.tools]
        hints = {t.name: t.annotations for t in tools.tools}
        submitted = await c.call_tool("submit_task", {"model": "kirin_v3_i2v", "params": KIRIN})
        waited = await c.call_tool(
            "wait_task", {"task_id": submitted.structured_content["id"], "wait_seconds": 30}
        )
        saved = await c.call_tool(
            "save_task_outputs", {"task_id": submitted.structured_content["id"]}
        )
        return names, hints, submitted, waited, saved

    names, hints, submitted, waited, saved = call(server, steps)
    assert names == GENERIC
    assert hints["search_models"].read_only_hint is True
    paid = hints["submit_task"]
    assert paid.read_only_hint is False and paid.destructive_hint is True
    assert paid.idempotent_hint is False and paid.open_world_hint is True
    assert not submitted.is_error and submitted.structured_content["model"] == "kirin_v3_i2v"
    # The text is the same object, without the gateway's raw answer (sent once).
    doc = submitted.structured_content
    assert json.loads(submitted.content[0].text) == {k: v for k, v in doc.items() if k != "raw"}
    assert not waited.is_error and waited.structured_content["status"] == "succeeded"
    files = saved.structured_content["files"]
    assert len(files) == 1 and Path(files[0]).parent == (tmp_path / "outputs").resolve()
    assert Path(files[0]).read_bytes()[4:8] == b"ftyp"
    links = [b for b in saved.content if b.type == "resource_link"]
    assert [link.uri for link in links] == [Path(files[0]).as_uri()]
    assert links[0].mime_type == "video/mp4" and links[0].size == Path(files[0]).stat().st_size
    assert hints["upload_file"].idempotent_hint is False
    assert sandbox.stats()["tasks_created"] == 1


def test_validation_failures_send_nothing_and_name_every_field(home, sandbox, tmp_path):
    _, server = in_memory(sandbox, tmp_path, typed=["kirin_*"])

    async def steps(c: Any) -> Any:
        bad = {"model": "kirin_v3_i2v", "params": {"duration": 99}}
        return (
            await c.call_tool("check_request", bad),
            await c.call_tool("submit_task", bad),
            await c.call_tool("kirin_v3_i2v", {"duration": 99}),
            await c.call_tool("check_request", {"model": "kirin_v3_i2v", "params": KIRIN}),
        )

    checked, submitted, typed, ok = call(server, steps)
    for result in (checked, submitted, typed):
        assert result.is_error
        error = result.structured_content["error"]
        assert error["code"] == "invalid_params"
        assert {p["field"] for p in error["problems"]} == {"image_url", "duration"}
    assert not ok.is_error and ok.structured_content["request"]["body"]["params"]["duration"] == 3
    assert sandbox.stats()["tasks_created"] == 0


def test_a_repeated_idempotency_key_sends_nothing_and_max_submits_holds(home, sandbox, tmp_path):
    _, server = in_memory(sandbox, tmp_path, max_submits=2)
    args = {"model": "kirin_v3_i2v", "params": KIRIN, "idempotency_key": "agent-key-1"}

    async def steps(c: Any) -> Any:
        first = await c.call_tool("submit_task", args)
        again = await c.call_tool("submit_task", args)
        other = await c.call_tool("submit_task", {"model": "kirin_v3_i2v", "params": KIRIN})
        over = await c.call_tool("submit_task", {"model": "kirin_v3_i2v", "params": KIRIN})
        return first, again, other, over

    first, again, other, over = call(server, steps)
    assert first.structured_content["id"] == again.structured_content["id"]
    assert not other.is_error
    assert over.is_error and "--max-submits" in over.structured_content["error"]["message"]
    assert sandbox.stats()["tasks_created"] == 2


def test_progress_arrives_during_a_wait_and_no_call_outlasts_its_slice(
    home, make_sandbox, tmp_path
):
    sb = make_sandbox(task_seconds=30)
    _, server = in_memory(sb, tmp_path)
    seen: list[Any] = []

    async def steps(c: Any) -> Any:
        task = await c.call_tool("submit_task", {"model": "kirin_v3_i2v", "params": KIRIN})

        async def progress(done: float, total: float | None, message: str | None) -> None:
            seen.append((time.monotonic(), done, message))

        waited = await c.call_tool(
            "wait_task",
            {"task_id": task.structured_content["id"], "wait_seconds": 5},
            progress_callback=progress,
        )
        return waited

    waited = call(server, steps)
    # The call came back within its slice, the task still running; progress went up.
    assert not waited.is_error and waited.structured_content["status"] in ("queued", "running")
    values = [done for _, done, _ in seen]
    assert len(values) >= 2 and all(b > a for a, b in itertools.pairwise(values)), values


def test_paths_outside_the_root_are_refused(home, sandbox, tmp_path):
    _, server = in_memory(sandbox, tmp_path / "root")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)

    async def steps(c: Any) -> Any:
        return (
            await c.call_tool("save_task_outputs", {"task_id": "task_x", "directory": "../out"}),
            await c.call_tool("upload_file", {"path": str(tmp_path / "secret.png")}),
            await c.call_tool("submit_task", {"model": "kirin_v3_i2v", "api_key": "sk-x"}),
        )

    save, upload, keyed = call(server, steps)
    for result in (save, upload):
        assert (
            result.is_error
            and "outside the server's root" in result.structured_content["error"]["message"]
        )
    assert keyed.is_error  # a key is never a tool argument
    assert sandbox.stats()["routes"].get("modellix.upload", 0) == 0
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ a real subprocess


def _params(sb: Any, root: Path, *extra: str) -> StdioServerParameters:
    env = {**os.environ, **env_for(sb)}
    return StdioServerParameters(
        command=sys.executable, args=["-m", "vtrix", "mcp", "--root", str(root), *extra], env=env
    )


def test_a_killed_server_restarted_carries_on_with_the_same_task(home, make_sandbox, tmp_path):
    sb = make_sandbox(task_seconds=2)  # still running when the server is killed
    env = {**os.environ, **env_for(sb)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vtrix", "mcp", "--root", str(tmp_path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def rpc(i: int, method: str, params: dict[str, Any]) -> dict[str, Any]:
        message = {"jsonrpc": "2.0", "id": i, "method": method, "params": params}
        proc.stdin.write((json.dumps(message) + "\n").encode())  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        while True:
            got = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
            if got.get("id") == i:
                return got

    init = rpc(
        1,
        "initialize",
        {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "raw-json-rpc", "version": "1"},
        },
    )
    assert init["result"]["protocolVersion"] == "2025-06-18", init
    assert init["result"]["serverInfo"]["name"] == "vtrix"
    proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    proc.stdin.flush()
    listed = rpc(2, "tools/list", {})
    assert [t["name"] for t in listed["result"]["tools"]] == GENERIC
    arguments = {"model": "kirin_v3_i2v", "params": KIRIN}
    submitted = rpc(3, "tools/call", {"name": "submit_task", "arguments": arguments})
    task_id = submitted["result"]["structuredContent"]["id"]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)

    async def again(c: Any) -> Any:
        waited = await c.call_tool("wait_task", {"task_id": task_id, "wait_seconds": 30})
        saved = await c.call_tool("save_task_outputs", {"task_id": task_id, "directory": "o"})
        listed = await c.call_tool("list_tasks", {})
        return waited, saved, listed

    waited, saved, listed = call(_params(sb, tmp_path), again)
    assert waited.structured_content["status"] == "succeeded"
    assert saved.structured_content["files"][0].startswith(str((tmp_path / "o").resolve()))
    assert task_id in [t["id"] for t in listed.structured_content["tasks"]]
    assert sb.stats()["tasks_created"] == 1


def test_mcp_help_prints_a_client_entry(cli):
    r = cli("mcp", "--help")
    assert r.code == 0
    start = r.out.index("{")
    entry, _ = json.JSONDecoder().raw_decode(r.out[start:])
    vtrix = entry["mcpServers"]["vtrix"]
    assert vtrix["args"] == ["mcp"] and vtrix["command"].startswith("/")
    assert set(vtrix["env"]) == {"VTRIX_API_KEY", "MODELLIX_API_KEY"}


def test_http_needs_the_bearer_token(home, sandbox, tmp_path):
    import socket

    import requests

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **env_for(sandbox), "VTRIX_MCP_TOKEN": "t0k"}
    cmd = [sys.executable, "-m", "vtrix", "mcp", "--http", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        deadline = time.monotonic() + 20
        while True:
            try:
                refused = requests.post(url, json={}, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, proc.stderr
                time.sleep(0.2)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith(
            "Bearer"
        )
        assert "t0k" not in Path(f"/proc/{proc.pid}/cmdline").read_text()

        async def steps(c: Any) -> Any:
            return await c.list_tools()

        import httpx2  # the SDK's own HTTP client
        from mcp.client.streamable_http import streamable_http_client

        http = httpx2.AsyncClient(headers={"Authorization": "bearer t0k"})  # any case
        listed = call(streamable_http_client(url, http_client=http), steps)
        assert [t.name for t in listed.tools] == GENERIC
        returns_task = {t.name for t in listed.tools if t.output_schema}
        assert returns_task == {"submit_task", "wait_task", "get_task", "cancel_task"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.stderr is not None
    said = proc.stderr.read().decode()
    assert f"http://127.0.0.1:{port}/mcp" in said and "t0k" not in said


def test_skill_is_rendered_from_the_code_tables(cli, tmp_path):
    from vtrix.errors import EXIT_CODES
    from vtrix.task import FIELDS

    r = cli("skill")
    assert r.code == 0 and r.out.startswith("---\nname: vtrix\n")
    for code, _ in EXIT_CODES:
        assert f"\n| {code} | " in r.out
    assert all(f"`{f}`" in r.out for f in FIELDS)
    assert "`invalid_params`" in r.out and "`not_sent`" in r.out
    installed = cli("skill", "--install", str(tmp_path))
    assert installed.code == 0
    assert (tmp_path / "vtrix" / "SKILL.md").read_text() == r.out


def test_gateway_failures_are_tool_errors_never_retried(home, make_sandbox, tmp_path):
    sb = make_sandbox()
    _, server = in_memory(sb, tmp_path)
    sb.faults(vtrix_submit={"drop_rate": 1.0})
    args = {"model": "kirin_v3_i2v", "params": KIRIN, "idempotency_key": "agent-unknown-1"}

    async def dropped(c: Any) -> Any:
        return await c.call_tool("submit_task", args)

    unknown = call(server, dropped)
    assert unknown.is_error
    doc = unknown.structured_content
    assert doc["status"] == "unknown" and doc["error"]["code"] == "outcome_unknown"
    assert doc["idempotency_key"] == "agent-unknown-1"
    assert sb.stats()["routes"]["vtrix.submit"] == 1  # sent once, never retried

    broke = make_sandbox(broke_keys={CANARY})
    _, server = in_memory(broke, tmp_path)
    paid = call(
        server, lambda c: c.call_tool("submit_task", {"model": "kirin_v3_i2v", "params": KIRIN})
    )
    assert paid.is_error and paid.structured_content["error"]["code"] == "payment_required"


@pytest.mark.parametrize("version", ["2025-11-25", "2025-06-18"])
def test_the_protocol_versions_clients_use_today(home, sandbox, tmp_path, version):
    env = {**os.environ, **env_for(sandbox)}
    message = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        },
    }
    proc = subprocess.run(
        [sys.executable, "-m", "vtrix", "mcp", "--root", str(tmp_path)],
        input=json.dumps(message) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    answer = json.loads(proc.stdout.splitlines()[0])
    assert answer["result"]["protocolVersion"] == version


def test_typed_tools_are_paged_and_name_every_model_once(home, sandbox, tmp_path):
    from vtrix.mcp import server as mcp_server

    _, server = in_memory(sandbox, tmp_path, typed=["*"])
    old = mcp_server.PAGE
    mcp_server.PAGE = 25  # (the page size lives in the server module)
    try:

        async def steps(c: Any) -> Any:
            pages, cursor = [], None
            while True:
                got = await c.session.list_tools(
                    params=mcp.types.PaginatedRequestParams(cursor=cursor)
                )
                pages.append(got.tools)
                cursor = got.next_cursor
                if cursor is None:
                    return pages

        pages = call(server, steps)
    finally:
        mcp_server.PAGE = old
    names = [t.name for page in pages for t in page]
    assert len(pages) > 2 and all(len(p) <= 25 for p in pages)
    assert names[: len(GENERIC)] == GENERIC and len(names) == len(set(names))
    assert "kirin_v3_i2v" in names and "bytedance_seedream-4_5-t2i" in names
    kirin = next(t for page in pages for t in page if t.name == "kirin_v3_i2v")
    assert kirin.input_schema["properties"]["duration"]["maximum"] == 10
    assert all(len(n) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", n) for n in names)


def test_max_spend_refuses_unknown_prices_and_stops_at_the_cap(home, make_sandbox, tmp_path, cli):
    sb = make_sandbox(task_seconds=0)
    _, server = in_memory(sb, tmp_path, max_spend="0.5")
    seedream = {"model": "bytedance/seedream-4.5-t2i", "params": {"prompt": "x"}}

    async def unpriced(c: Any) -> Any:
        return await c.call_tool("submit_task", seedream)

    refused = call(server, unpriced)
    assert refused.is_error and refused.structured_content["error"]["code"] == "budget_reached"
    assert sb.stats()["tasks_created"] == 0
    assert cli("prices", "set", "bytedance/seedream-4.5-t2i", "0.2", env=env_for(sb)).code == 0
    _, server = in_memory(sb, tmp_path, max_spend="0.5")

    async def three(c: Any) -> Any:
        return [await c.call_tool("submit_task", seedream) for _ in range(3)]

    results = call(server, three)
    assert [r.is_error for r in results] == [False, False, True]
    assert results[2].structured_content["error"]["code"] == "budget_reached"
    checked = call(server, lambda c: c.call_tool("check_request", seedream))
    assert checked.structured_content["quote"]["amount"] == "0.2"
    assert sb.stats()["tasks_created"] == 2
