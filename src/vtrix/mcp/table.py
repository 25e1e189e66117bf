"""The MCP server's tool table: the generic tools (description, inputSchema, annotations),
the one task shape the task tools return (their outputSchema), the reserved arguments of a
typed tool, and the server's instructions. Data only: :mod:`vtrix.mcp.server` serves it."""

from __future__ import annotations

from typing import Any

from vtrix.base.gateways import PROVIDERS
from vtrix.mcp.tools import DEFAULT_SLICE, MAX_SLICE
from vtrix.task import STATUSES

# The one task shape (what `vtrix task get ID -o json` prints): what the task tools return.
TASK_SCHEMA: dict[str, Any] = {  # lean: it is sent once per task tool, typed ones included
    "type": "object",
    "properties": {
        "id": {"type": ["string", "null"]},
        "status": {"enum": list(STATUSES)},
        "urls": {"type": "array", "items": {"type": "string"}},
        "error": {"type": ["object", "null"]},
    },
    "required": ["id", "status", "error"],
}
RETURNS_TASK = ("submit_task", "wait_task", "get_task", "cancel_task")


INSTRUCTIONS = (
    "Generate images, video and audio on the vtrix, Modellix and fal gateways. Find a model with "
    "search_models, read its parameters with get_model_spec, check a request with "
    "check_request (free, nothing sent), then submit_task (paid: one task per call; pass an "
    "idempotency_key to make a retry safe) and wait_task until its status is succeeded, "
    "failed or canceled; save_task_outputs downloads the results. A media parameter takes "
    "an https URL: upload a local file with upload_file first. Typed tools (one per model) "
    "take the model's parameters plus _idempotency_key and _wait_seconds. Never resubmit a "
    "task whose outcome is unknown without looking it up first (list_tasks, get_task)."
)
RESERVED = ("_idempotency_key", "_wait_seconds")  # a typed tool's own arguments

_READ_LOCAL = {"readOnlyHint": True, "openWorldHint": False}
_READ_GATEWAY = {"readOnlyHint": True, "openWorldHint": True}
PAID = {
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
_UPLOADS = {**_WRITES_FILES, "idempotentHint": False}  # each call makes a new upload


def object_schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(required),
        "additionalProperties": False,
    }


_STR = {"type": "string", "maxLength": 500}
_PATH = {"type": "string", "minLength": 1, "maxLength": 4096}
KEY_ARG = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "description": "Makes a retry safe: a key sent before returns its task, nothing sent.",
}
_TASK_ID = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "description": "The task id (as submit_task returned it).",
}
WAIT_ARG = {
    "type": "number",
    "minimum": 0,
    "maximum": MAX_SLICE,
    "default": DEFAULT_SLICE,
    "description": "Seconds to wait at most before returning the task as it stands.",
}
_MODEL = {
    "type": "string",
    "minLength": 1,
    "maxLength": 200,
    "description": "A model id from search_models.",
}
_PARAMS = {"type": "object", "description": "The model's parameters (see get_model_spec)."}

GENERIC: dict[str, tuple[str, dict[str, Any], dict[str, Any]]] = {
    "search_models": (
        "Find models by words, output type (image, video, audio) or provider; paged.",
        object_schema(
            {
                "query": _STR,
                "type": {"type": "string", "enum": ["image", "video", "audio", "text"]},
                "provider": {"type": "string", "enum": list(PROVIDERS)},
                "typed_only": {"type": "boolean", "description": "Only models with a spec."},
                "page": {"type": "integer", "minimum": 1, "default": 1},
                "page_size": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            }
        ),
        _READ_LOCAL,
    ),
    "get_model_spec": (
        "A model's parameters as JSON Schema, and its agent prompt.",
        object_schema({"model": _MODEL}, ("model",)),
        _READ_GATEWAY,
    ),
    "check_request": (
        "Validate parameters for a model and show the exact request; nothing is sent or paid.",
        object_schema({"model": _MODEL, "params": _PARAMS}, ("model",)),
        _READ_GATEWAY,
    ),
    "submit_task": (
        "Submit one paid task; returns the task at once (then wait_task). A key the server "
        "has a task for returns that task and sends nothing.",
        object_schema(
            {"model": _MODEL, "params": _PARAMS, "idempotency_key": KEY_ARG},
            ("model",),
        ),
        PAID,
    ),
    "wait_task": (
        "Wait up to wait_seconds (at most 45) for a task to end; returns the task either way.",
        object_schema({"task_id": _TASK_ID, "wait_seconds": WAIT_ARG}, ("task_id",)),
        _READ_GATEWAY,
    ),
    "get_task": (
        "A task's status and results now (one look).",
        object_schema({"task_id": _TASK_ID}, ("task_id",)),
        _READ_GATEWAY,
    ),
    "cancel_task": (
        "Cancel a running task where its gateway can (fal); elsewhere an error, nothing sent.",
        object_schema({"task_id": _TASK_ID}, ("task_id",)),
        {
            "readOnlyHint": False,
            "destructiveHint": True,
            "idempotentHint": True,
            "openWorldHint": True,
        },
    ),
    "list_tasks": (
        "Recent tasks from the ledger (submitted by the CLI, the SDK or this server).",
        object_schema(
            {
                "limit": {"type": "integer", "minimum": 1, "maximum": 500, "default": 20},
                "model": _STR,
                "status": {"type": "string", "enum": list(STATUSES)},
            }
        ),
        _READ_LOCAL,
    ),
    "save_task_outputs": (
        "Download a finished task's outputs into a directory under the server's root.",
        object_schema({"task_id": _TASK_ID, "directory": _PATH}, ("task_id",)),
        _WRITES_FILES,
    ),
    "upload_file": (
        "Upload a local file under the server's root; returns a URL to pass as a parameter.",
        object_schema({"path": _PATH}, ("path",)),
        _UPLOADS,
    ),
}


def typed_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's schema with the typed tool's own arguments added under reserved names."""
    props = dict(schema.get("properties") or {})
    props["_idempotency_key"] = KEY_ARG
    props["_wait_seconds"] = WAIT_ARG
    return {**schema, "properties": props}
