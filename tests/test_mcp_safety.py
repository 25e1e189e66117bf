"""`vtrix mcp` safe by default, driven as agents run it: the official MCP client SDK over
stdio to a real server process where how a host starts it matters (in HOME, no --root, no
environment of yours), in memory where only the calls do; and the way a prompt-injected
agent would steer it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CANARY, env_for
from mcp import StdioServerParameters
from test_mcp import call, in_memory

KIRIN = {"image_url": "https://example.com/a.jpg", "duration": 3}


def _server(env: dict[str, str], *args: str, cwd: Path | None = None) -> StdioServerParameters:
    return StdioServerParameters(
        command=sys.executable, args=["-m", "vtrix", "mcp", *args], env=env, cwd=cwd
    )


def _work(tmp_path: Path) -> Path:
    """A project directory under the test's home (the home itself is refused as a root)."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    return work


def _env(sb: Any, home: Path) -> dict[str, str]:
    """A host's environment: little of the user's (HOME, PATH), the keys in its env block."""
    keep = {k: v for k, v in os.environ.items() if k.startswith("VTRIX_") or k == "PATH"}
    return {**keep, "HOME": str(home), **env_for(sb)}


def _with_stderr(params: StdioServerParameters, errlog: Any, steps: Any) -> Any:
    """Run ``steps`` on a session with a real server whose stderr goes to ``errlog``."""
    import anyio
    from mcp import ClientSession
    from mcp.client.stdio import stdio_client

    async def run() -> Any:
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await steps(session)

    return anyio.run(run)


def test_no_root_from_home_keeps_a_private_photo_private(
    home: Path, sandbox: Any, vtrix: Any
) -> None:
    photo = home / "passport.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    env = _env(sandbox, home)

    async def steps(c: Any) -> Any:
        by_path = await c.call_tool("upload_file", {"path": str(photo)})
        climbing = await c.call_tool("upload_file", {"path": "../../passport.png"})
        return by_path, climbing

    by_path, climbing = call(_server(env, cwd=home), steps)
    assert by_path.is_error and climbing.is_error
    assert "outside the server's root" in by_path.structured_content["error"]["message"]
    for broad in (str(home), "/"):  # refused before a server starts: asked in-process
        r = vtrix("mcp", "--root", broad, env=env)
        assert r.code == 2 and "--allow-broad-root" in r.err, r.err
    missing = vtrix("mcp", "--root", str(home / "nope"), env=env)
    assert missing.code == 2 and not (home / "nope").exists()


def test_malformed_calls_are_tool_errors_naming_the_field(
    home: Path, sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = [
        ("get_task", {"task_id": 12345}, "task_id"),
        ("list_tasks", {"limit": "abc"}, "limit"),
        ("check_request", {"model": 42}, "model"),
        ("search_models", {"page": 0}, "page"),
        ("submit_task", {"model": "kirin_v3_i2v", "idempotency_key": "k" * 1_000_000}, "idem"),
        ("search_models", {"type": "vidoe"}, "type"),
        ("list_tasks", {"status": "faild"}, "status"),
        ("submit_task", {"model": "kirin_v3_i2v", "params": {"image_url": "@cat.png"}}, "image"),
        ("submit_task", {"model": "kirin_v3_i2v", "params": {"image_url": "cat.png"}}, "image"),
    ]

    async def steps(c: Any) -> Any:
        out = [await c.call_tool(name, args) for name, args, _ in bad]
        # A stringified object, the commonest model mistake, is read as the object.
        fixed = await c.call_tool(
            "check_request", {"model": "kirin_v3_i2v", "params": json.dumps(KIRIN)}
        )
        return out, fixed

    out, fixed = call(in_memory(sandbox, _work(tmp_path))[1], steps)
    for (name, _, field), result in zip(bad, out, strict=True):
        assert result.is_error, name
        error = result.structured_content["error"]
        named = " ".join(p["field"] for p in error.get("problems", [])) + error["message"]
        assert field in named, (name, error)
    assert "did you mean 'video'" in json.dumps(out[5].structured_content)
    assert "did you mean 'failed'" in json.dumps(out[6].structured_content)
    assert "upload_file" in json.dumps(out[7].structured_content)
    assert not fixed.is_error and fixed.structured_content["ok"] is True
    assert "Traceback" not in capsys.readouterr().err
    assert sandbox.stats()["tasks_created"] == 0


def test_a_typed_tool_called_twice_with_one_key_submits_once(
    home: Path, make_sandbox: Any, tmp_path: Path
) -> None:
    sb = make_sandbox(task_seconds=0)
    args = {**KIRIN, "_idempotency_key": "agent-retry-1", "_wait_seconds": 10}

    async def steps(c: Any) -> Any:
        listed = await c.list_tools()
        tool = next(t for t in listed.tools if t.name == "kirin_v3_i2v")
        first = await c.call_tool("kirin_v3_i2v", args)
        again = await c.call_tool("kirin_v3_i2v", args)
        return tool, first, again

    tool, first, again = call(in_memory(sb, _work(tmp_path), typed=["kirin_*"])[1], steps)
    assert "_idempotency_key" in tool.input_schema["properties"]
    assert tool.output_schema["properties"]["status"]["enum"]
    assert not first.is_error and first.structured_content["status"] == "succeeded"
    assert again.structured_content["id"] == first.structured_content["id"]
    assert sb.stats()["tasks_created"] == 1


def test_no_key_sends_nothing_and_names_the_variable(
    home: Path, sandbox: Any, tmp_path: Path
) -> None:
    env = {k: v for k, v in _env(sandbox, home).items() if not k.endswith("_API_KEY")}
    err = tmp_path / "stderr.txt"

    async def steps(c: Any) -> Any:
        return await c.call_tool("submit_task", {"model": "kirin_v3_i2v", "params": KIRIN})

    with err.open("w") as errlog:
        result = _with_stderr(_server(env, "--root", str(_work(tmp_path))), errlog, steps)
    assert result.is_error and "VTRIX_API_KEY" in json.dumps(result.structured_content)
    assert "NO KEY" in err.read_text() and "VTRIX_API_KEY" in err.read_text()


def test_a_long_hold_answers_within_the_slice(
    home: Path, make_sandbox: Any, tmp_path: Path
) -> None:
    from vtrix.store.ledger import Ledger
    from vtrix.store.limits import SharedLimits, key_id

    sb = make_sandbox(task_seconds=0)
    ledger = Ledger()
    ledger.check()  # opened: the hold is written now
    SharedLimits(ledger, key_id("vtrix", CANARY), None).hold(60)  # another process's 429

    async def steps(c: Any) -> Any:
        return await c.call_tool("submit_task", {"model": "kirin_v3_i2v", "params": KIRIN})

    result = call(in_memory(sb, _work(tmp_path))[1], steps)
    assert result.is_error
    error = result.structured_content["error"]
    assert error["code"] == "not_sent" and "call again" in error["hint"].lower()
    assert sb.stats()["tasks_created"] == 0
    assert not [t for t in ledger.recent(10, everything=True) if t.model == "kirin_v3_i2v"]


def test_a_port_in_use_is_named(home: Path, sandbox: Any, vtrix: Any) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        # refused before a server starts: asked in-process
        r = vtrix(
            "mcp", "--http", "--port", str(port), env={**env_for(sandbox), "VTRIX_MCP_TOKEN": "t"}
        )
    assert r.code == 75 and f"127.0.0.1:{port}" in r.err
    assert "Traceback" not in r.err


def test_a_token_on_the_command_line_is_refused(vtrix: Any) -> None:
    r = vtrix("mcp", "--http", "--token", "s3cret-token")  # refused before anything starts
    assert r.code == 2 and "VTRIX_MCP_TOKEN" in r.err


@pytest.mark.skipif(shutil.which("npx") is None, reason="NO NPX: the MCP Inspector CLI cannot run")
def test_a_client_that_hangs_up_mid_call_ends_the_server_quietly(
    home: Path, make_sandbox: Any, tmp_path: Path
) -> None:
    sb = make_sandbox(task_seconds=30)
    err = tmp_path / "stderr.txt"
    cmd = [sys.executable, "-m", "vtrix", "mcp", "--root", str(_work(tmp_path))]
    with err.open("w") as errlog:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errlog, env=_env(sb, home)
        )
        assert proc.stdin is not None and proc.stdout is not None

        def send(message: dict[str, Any]) -> None:
            assert proc.stdin is not None
            proc.stdin.write((json.dumps({"jsonrpc": "2.0", **message}) + "\n").encode())
            proc.stdin.flush()

        def answer(i: int) -> Any:
            assert proc.stdout is not None
            while True:
                got = json.loads(proc.stdout.readline())
                if got.get("id") == i:
                    return got

        init = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t"}}
        send({"id": 1, "method": "initialize", "params": init})
        answer(1)
        send({"method": "notifications/initialized"})
        args = {"model": "kirin_v3_i2v", "params": KIRIN}
        send(
            {"id": 2, "method": "tools/call", "params": {"name": "submit_task", "arguments": args}}
        )
        task_id = answer(2)["result"]["structuredContent"]["id"]
        wait = {"name": "wait_task", "arguments": {"task_id": task_id, "wait_seconds": 40}}
        send({"id": 3, "method": "tools/call", "params": wait})
        proc.stdin.close()  # the host went away mid-call
        proc.stdout.close()
        code = proc.wait(timeout=90)
    text = err.read_text()
    assert code == 0, text
    assert "Traceback" not in text and "ExceptionGroup" not in text, text
