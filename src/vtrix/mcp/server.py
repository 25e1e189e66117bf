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
from vtrix.mcp.table import (
    GENERIC,
    INSTRUCTIONS,
    KEY_ARG,
    PAID,
    RESERVED,
    RETURNS_TASK,
    TASK_SCHEMA,
    WAIT_ARG,
    object_schema,
    typed_schema,
)
from vtrix.mcp.tools import DEFAULT_SLICE, Tools, matching_models

if TYPE_CHECKING:
    from mcp.server.context import ServerRequestContext


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
        "Paid: submits one task and waits for it up to _wait_seconds.",
        typed_schema(dict(data["schema"])),  # type: ignore[call-overload]
        PAID,
        TASK_SCHEMA,
    )


def _tool(
    name: str,
    description: str,
    schema: dict[str, Any],
    hints: dict[str, Any],
    output: dict[str, Any] | None = None,
) -> types.Tool:
    fields: dict[str, Any] = {
        "name": name,
        "description": description,
        "inputSchema": schema,
        "annotations": hints,
    }
    if output is not None:
        fields["outputSchema"] = output
    return types.Tool.model_validate(fields)


def _result(
    is_error: bool, doc: dict[str, Any], links: list[types.ResourceLink] | None = None
) -> types.CallToolResult:
    """The result: structured content, and the same as text without the gateway's raw
    answer (sent once, in the structured content)."""
    if is_error:
        for_agents(doc)
    text = json.dumps({k: v for k, v in doc.items() if k != "raw"}, ensure_ascii=False)
    content: list[Any] = [types.TextContent(type="text", text=text), *(links or [])]
    return types.CallToolResult(content=content, structured_content=doc, is_error=is_error)


AGENT_HINTS = {
    "outcome_unknown": "The task may exist and be paid: look it up with list_tasks or get_task "
    "before any new submit_task; never resubmit it blindly.",
    "invalid_params": "get_model_spec lists the parameters; check_request checks a request "
    "for free.",
    "key_conflict": "Use a new idempotency_key for new content, or the same parameters to get "
    "that task back.",
    "submit_in_progress": "Another process is sending it: wait, then list_tasks.",
    "not_sent": "Nothing was sent: call again after retry_after seconds.",
    "at_capacity": "Nothing was sent: call again when a running task has ended (wait_task).",
    "temporary_failure": "Call again later.",
    "wait_timeout": "The task keeps running: wait_task again.",
    "budget_reached": "Nothing was sent: the user's spending cap is reached; ask the user.",
}


def for_agents(doc: dict[str, Any]) -> None:
    """An error's hint in tools, not CLI flags; ``retry_after`` where the gateway gave one."""
    error = doc.get("error")
    if not isinstance(error, dict):
        return
    code = str(error.get("code") or "")
    if code in AGENT_HINTS:
        hint = str(error.get("hint") or "")
        keep = hint if code == "unknown_model" or "Did you mean" in hint else ""
        error["hint"] = (keep.split("\n")[0] + " " if keep else "") + AGENT_HINTS[code]
    elif "vtrix " in str(error.get("hint") or "") or "--" in str(error.get("hint") or ""):
        error["hint"] = (
            "search_models finds models; get_model_spec shows a model's parameters."
            if code == "unknown_model"
            else "See the message; list_tasks and get_task show what exists."
        )


def build_server(tools: Tools, typed: TypedTools | None = None) -> Server[Any]:
    """The MCP server of ``tools`` (and the typed tools of ``typed``); ``tools/list`` is
    paged (``nextCursor``) so that any catalog answers at once."""
    generic = [
        _tool(n, d, s, h, TASK_SCHEMA if n in RETURNS_TASK else None)
        for n, (d, s, h) in GENERIC.items()
    ]

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
        sent = [-1.0]

        async def progress(done: float, status: str) -> None:
            if done > sent[0]:  # strictly increasing, and nothing when nothing changed
                sent[0] = done
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
    """Run one tool call, its arguments checked against the tool's own inputSchema first; an
    unknown tool or bad arguments are tool errors too."""
    from vtrix.errors import UsageError, VtrixError
    from vtrix.mcp.arguments import checked
    from vtrix.mcp.tools import error_object

    if typed is not None:
        typed.entries()  # the names, on first use
    try:
        if typed is not None and name in typed.models:
            return await _typed_call(tools, typed.models[name], args, progress)
        if name not in GENERIC:
            raise UsageError(f"no tool named {name!r}", hint="tools/list names every tool.")
        args = checked(name, GENERIC[name][1], args)
        if name == "wait_task":
            args["progress"] = progress
        error, doc = await getattr(tools, name)(**args)
    except VtrixError as exc:
        return _result(True, error_object(exc))
    links = []
    if name == "save_task_outputs" and not error:
        links = [_link(Path(f)) for f in doc.get("files", [])]
    return _result(error, doc, links)


async def _typed_call(
    tools: Tools, model: str, args: dict[str, Any], progress: Any
) -> types.CallToolResult:
    """A typed tool: submit with the model's parameters, then wait one slice."""
    from vtrix.mcp.arguments import checked

    own = {k: args.pop(k) for k in RESERVED if k in args}
    own = checked(
        model, object_schema({"_idempotency_key": KEY_ARG, "_wait_seconds": WAIT_ARG}), own
    )
    error, doc = await tools.submit_task(model, args, own.get("_idempotency_key"))
    if not error:
        wait = float(own.get("_wait_seconds", DEFAULT_SLICE))
        error, doc = await tools.wait_task(doc["id"], wait, progress)
    return _result(error, doc)


def _link(path: Path) -> types.ResourceLink:
    """A saved file as a resource link, with its media type and size."""
    import mimetypes

    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    try:
        size: int | None = path.stat().st_size
    except OSError:
        size = None
    return types.ResourceLink(
        type="resource_link",
        name=path.name,
        uri=path.resolve().as_uri(),
        mime_type=kind,
        size=size,
    )
