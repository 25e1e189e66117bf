"""``vtrix mcp``: the tools of :mod:`vtrix.mcp.tools` behind the official MCP SDK (its
low-level ``Server``), over stdio or streamable HTTP on 127.0.0.1.

Every result is structured content (the task object of ``-o json``, or the tool's own
object) plus the same JSON as text. Domain failures — invalid parameters, a failed task,
402, 429, an unknown outcome, a refused path — are tool results with ``isError`` and the
error object, never protocol errors. Read-only tools say so; submitting tools are marked
destructive and not idempotent (they spend money).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mcp_types as types
from mcp.server.lowlevel import Server

from vtrix._version import __version__
from vtrix.engine import registry
from vtrix.mcp.tools import DEFAULT_SLICE, MAX_SLICE, Tools, matching_models

if TYPE_CHECKING:
    from mcp.server.context import ServerRequestContext

INSTRUCTIONS = (
    "Generate images, video and audio on the vtrix and Modellix gateways. Find a model with "
    "search_models, read its parameters with get_model_spec, check a request with "
    "check_request (free, nothing sent), then submit_task (paid: one task per call; pass an "
    "idempotency_key to make a retry safe) and wait_task until its status is succeeded, "
    "failed or canceled; save_task_outputs downloads the results. Never resubmit a task "
    "whose outcome is unknown without looking it up first (list_tasks, get_task)."
)

_READ_LOCAL = {"readOnlyHint": True, "openWorldHint": False}
_READ_GATEWAY = {"readOnlyHint": True, "openWorldHint": True}
_PAID = {
    "readOnlyHint": False,
    "destructiveHint": True,
    "idempotentHint": False,
    "openWorldHint": True,
}
_WRITES_FILES = {
    "readOnlyHint": False,
    "destructiveHint": False,
    "idempotentHint": True,
    "openWorldHint": True,
}


def _schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


_STR = {"type": "string"}
_TASK_ID = {"type": "string", "description": "The task id (as submit_task returned it)."}
_WAIT = {
    "type": "number",
    "minimum": 0,
    "maximum": MAX_SLICE,
    "default": DEFAULT_SLICE,
    "description": "Seconds to wait at most before returning the task as it stands.",
}
_MODEL = {"type": "string", "description": "A model id from search_models."}
_PARAMS = {"type": "object", "description": "The model's parameters (see get_model_spec)."}

GENERIC: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "search_models": (
        "Find models by words, output type (image, video, audio) or provider; paged.",
        _schema(
            {
                "query": _STR,
                "type": _STR,
                "provider": {"type": "string", "enum": ["vtrix", "modellix"]},
                "typed_only": {"type": "boolean", "description": "Only models with a spec."},
                "page": {"type": "integer", "minimum": 1, "default": 1},
                "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            }
        ),
        _READ_LOCAL,
    ),
    "get_model_spec": (
        "A model's parameters as JSON Schema, and its agent prompt.",
        _schema({"model": _MODEL}, ("model",)),
        _READ_GATEWAY,
    ),
    "check_request": (
        "Validate parameters for a model and show the exact request; nothing is sent or paid.",
        _schema({"model": _MODEL, "params": _PARAMS}, ("model",)),
        _READ_GATEWAY,
    ),
    "submit_task": (
        "Submit one paid task; returns the task at once (then wait_task). A key the server "
        "has a task for returns that task and sends nothing.",
        _schema(
            {"model": _MODEL, "params": _PARAMS, "idempotency_key": _STR},
            ("model",),
        ),
        _PAID,
    ),
    "wait_task": (
        "Wait up to wait_seconds (at most 45) for a task to end; returns the task either way.",
        _schema({"task_id": _TASK_ID, "wait_seconds": _WAIT}, ("task_id",)),
        _READ_GATEWAY,
    ),
    "get_task": (
        "A task's status and results now (one look).",
        _schema({"task_id": _TASK_ID}, ("task_id",)),
        _READ_GATEWAY,
    ),
    "list_tasks": (
        "Recent tasks from the ledger (submitted by the CLI, the SDK or this server).",
        _schema(
            {
                "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 20},
                "model": _STR,
                "status": _STR,
            }
        ),
        _READ_LOCAL,
    ),
    "save_task_outputs": (
        "Download a finished task's outputs into a directory under the server's root.",
        _schema({"task_id": _TASK_ID, "directory": _STR}, ("task_id",)),
        _WRITES_FILES,
    ),
    "upload_file": (
        "Upload a local file under the server's root; returns a URL to pass as a parameter.",
        _schema({"path": _STR}, ("path",)),
        _WRITES_FILES,
    ),
}


def _offset(cursor: str | None) -> int:
    """Where a ``tools/list`` page starts (a cursor this server gave, else the start)."""
    return int(cursor) if cursor and cursor.isdigit() else 0


def tool_name(model_id: str, taken: set[str]) -> str:
    """A tool name for a model: ``[A-Za-z0-9_-]``, at most 64 characters, unique."""
    base = re.sub(r"[^A-Za-z0-9_-]", "_", model_id)[:64] or "model"
    name, n = base, 2
    while name in taken:
        suffix = f"_{n}"
        name, n = base[: 64 - len(suffix)] + suffix, n + 1
    taken.add(name)
    return name


PAGE = 200  # tools per tools/list answer: a catalog of any size answers at once


class TypedTools:
    """One tool per matching generated model. Names come from the index (no file read);
    a tool's description and schema are read from its generated spec when its page of
    ``tools/list`` is first asked for."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = patterns
        self.models: dict[str, str] = {}  # tool name -> model id
        self._entries: list[tuple[str, Any]] | None = None
        self._built: dict[str, types.Tool | None] = {}

    def entries(self) -> list[tuple[str, Any]]:
        """(tool name, index entry) of every matching model, in id order."""
        if self._entries is None:
            taken = set(GENERIC)
            self._entries = [(tool_name(e.id, taken), e) for e in matching_models(self.patterns)]
            self.models = {name: e.id for name, e in self._entries}
        return self._entries

    def page(self, start: int, count: int) -> list[types.Tool]:
        out = []
        for name, entry in self.entries()[start : start + count]:
            if name not in self._built:
                self._built[name] = _typed_tool(name, entry)
            built = self._built[name]
            if built is not None:
                out.append(built)
        return out


def _typed_tool(name: str, entry: Any) -> types.Tool | None:
    data = registry.generated_spec_data(entry.id)
    if data is None:
        return None
    summary = str(data.get("summary") or "")
    return _tool(
        name,
        f"{data.get('name') or entry.id} ({entry.type}, {entry.provider}): {summary} "
        "Paid: submits one task and waits up to 30 s for it.",
        dict(data["schema"]),  # type: ignore[call-overload]
        _PAID,
    )


def _tool(name: str, description: str, schema: dict[str, Any], hints: dict[str, Any]) -> types.Tool:
    return types.Tool.model_validate(
        {
            "name": name,
            "description": description,
            "inputSchema": schema,
            "annotations": hints,
        }
    )


def _result(
    is_error: bool, doc: dict[str, Any], links: list[types.ResourceLink] | None = None
) -> types.CallToolResult:
    text = json.dumps(doc, ensure_ascii=False)
    content: list[Any] = [types.TextContent(type="text", text=text), *(links or [])]
    return types.CallToolResult(content=content, structured_content=doc, is_error=is_error)


def build_server(tools: Tools, typed: TypedTools | None = None) -> Server[Any]:
    """The MCP server of ``tools`` (and the typed tools of ``typed``); ``tools/list`` is
    paged (``nextCursor``) so that any catalog answers at once."""
    generic = [_tool(n, d, s, h) for n, (d, s, h) in GENERIC.items()]

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        start = _offset(params.cursor if params is not None else None)
        listed = generic[start : start + PAGE]
        total = len(generic)
        if typed is not None:
            listed += typed.page(max(start - len(generic), 0), PAGE - len(listed))
            total += len(typed.entries())
        cursor = str(start + PAGE) if start + PAGE < total else None
        return types.ListToolsResult(tools=listed, next_cursor=cursor)

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        args = dict(params.arguments or {})

        async def progress(done: float, status: str) -> None:
            await ctx.session.report_progress(done, 100.0, f"task {status}")

        return await dispatch(tools, typed, params.name, args, progress)

    return Server(
        "vtrix",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


async def dispatch(
    tools: Tools, typed: TypedTools | None, name: str, args: dict[str, Any], progress: Any
) -> types.CallToolResult:
    """Run one tool call; an unknown tool or bad arguments are tool errors too."""
    from vtrix.errors import UsageError

    if typed is not None:
        typed.entries()  # the names, on first use
    try:
        if typed is not None and name in typed.models:
            model = typed.models[name]
            error, doc = await tools.submit_task(model, args)
            if not error:
                error, doc = await tools.wait_task(doc["id"], DEFAULT_SLICE, progress)
            return _result(error, doc)
        if name not in GENERIC:
            raise UsageError(f"no tool named {name!r}")
        if name == "wait_task":
            args["progress"] = progress
        error, doc = await getattr(tools, name)(**args)
    except TypeError as exc:  # arguments the tool does not take
        from vtrix.mcp.tools import error_object

        return _result(True, error_object(UsageError(f"{name}: {exc}")))
    except UsageError as exc:
        from vtrix.mcp.tools import error_object

        return _result(True, error_object(exc))
    links = []
    if name == "save_task_outputs" and not error:
        links = [
            types.ResourceLink(
                type="resource_link", name=Path(f).name, uri=Path(f).resolve().as_uri()
            )
            for f in doc.get("files", [])
        ]
    return _result(error, doc, links)


# ---------------------------------------------------------------------------- running


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
    """Run the server until its client goes (stdio) or it is stopped (HTTP)."""
    import anyio

    from vtrix.aio import AsyncClient

    async def run() -> None:
        async with AsyncClient(max_spend=max_spend, budget_name=budget_name) as client:
            tools = Tools(client, root=root, max_submits=max_submits)
            server = build_server(tools, TypedTools(typed) if typed else None)
            if http:
                await _serve_http(server, port, token)
            else:
                from mcp.server.stdio import stdio_server

                async with stdio_server() as (read, write):
                    await server.run(read, write, server.create_initialization_options())

    anyio.run(run)


async def _serve_http(server: Server[Any], port: int, token: str | None) -> None:
    """Streamable HTTP on 127.0.0.1 (``/mcp``); with ``token``, every request must carry
    ``Authorization: Bearer <token>``."""
    import hmac

    import uvicorn
    from starlette.responses import JSONResponse

    app: Any = server.streamable_http_app(host="127.0.0.1")
    if token:
        inner = app

        async def guarded(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                given = dict(scope.get("headers") or []).get(b"authorization", b"")
                if not hmac.compare_digest(given, f"Bearer {token}".encode()):
                    reply = JSONResponse({"error": "a bearer token is required"}, status_code=401)
                    await reply(scope, receive, send)
                    return
            await inner(scope, receive, send)

        app = guarded
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    await uvicorn.Server(config).serve()
