"""Running the MCP server: over stdio, or streamable HTTP on a socket of 127.0.0.1 bound
before anything starts (a port in use says so), behind a bearer token; a client that hangs
up ends it quietly."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from vtrix.mcp.server import TypedTools, build_server
from vtrix.mcp.tools import Tools

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server


def serve(
    *,
    root: Path,
    typed: list[str],
    max_submits: int | None,
    max_spend: Any = None,
    budget_name: str | None = None,
    http: bool = False,
    port: int = 8766,
    token: str | None = None,
) -> None:
    """Run the server until its client goes (stdio) or it is stopped (HTTP). A client that
    hangs up ends it quietly (a paid submit on the wire records its id first)."""
    import anyio

    from vtrix.aio import AsyncClient

    sock = _bind(port) if http else None

    async def run() -> None:
        async with AsyncClient(max_spend=max_spend, budget_name=budget_name) as client:
            tools = Tools(client, root=root, max_submits=max_submits)
            server = build_server(tools, TypedTools(typed) if typed else None)
            if sock is not None:
                await _serve_http(server, sock, token)
            else:
                from mcp.server.stdio import stdio_server

                async with stdio_server() as (read, write):
                    await server.run(read, write, server.create_initialization_options())

    try:
        anyio.run(run)
    except BaseException as exc:
        if not _hung_up(exc):
            raise


def _hung_up(exc: BaseException) -> bool:
    """Whether ``exc`` is only the client going away (a closed pipe or stream)."""
    import anyio

    group = getattr(exc, "exceptions", None)  # an exception group (anyio's task groups)
    if isinstance(group, (list, tuple)):
        return bool(group) and all(_hung_up(e) for e in group)
    gone = (BrokenPipeError, ConnectionResetError, anyio.ClosedResourceError)
    return isinstance(exc, (*gone, anyio.BrokenResourceError, anyio.EndOfStream))


def _bind(port: int) -> Any:
    """The listening socket on 127.0.0.1 (a port in use: exit 75, naming it)."""
    import socket

    from vtrix.errors import TemporaryFailure

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError as exc:
        sock.close()
        raise TemporaryFailure(
            f"cannot serve on 127.0.0.1:{port}: {exc.strerror}; the server was not started",
            hint="Another program uses the port: pick another with --port.",
        ) from None
    sock.listen(128)
    return sock


async def _serve_http(server: Server[Any], sock: Any, token: str | None) -> None:
    """Streamable HTTP on 127.0.0.1 (``/mcp``); with ``token``, every request must carry
    ``Authorization: Bearer <token>`` (the scheme in any case); a 401 says how."""
    import hmac
    import sys

    import uvicorn
    from starlette.responses import JSONResponse

    app: Any = server.streamable_http_app(host="127.0.0.1")
    if token:
        inner = app

        async def guarded(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                given = dict(scope.get("headers") or []).get(b"authorization", b"")
                scheme, _, value = given.partition(b" ")
                ok = scheme.lower() == b"bearer" and hmac.compare_digest(
                    value.strip(), token.encode()
                )
                if not ok:
                    reply = JSONResponse(
                        {"error": "a bearer token is required"},
                        status_code=401,
                        headers={"WWW-Authenticate": 'Bearer realm="vtrix mcp"'},
                    )
                    await reply(scope, receive, send)
                    return
            await inner(scope, receive, send)

        app = guarded
    port = sock.getsockname()[1]
    print(f"vtrix mcp: serving http://127.0.0.1:{port}/mcp", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning")
    await uvicorn.Server(config).serve(sockets=[sock])
