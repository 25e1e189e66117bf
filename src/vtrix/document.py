"""The one JSON shape of a task, the same on both gateways and for every command that prints
one (``run``, ``task get``, ``task wait``, ``model invoke`` and batch results)::

    {
      "id": "task_…",            the gateway's task id (null: none was created)
      "model": "kirin_v3_i2v",
      "provider": "vtrix",       or "modellix"
      "status": "succeeded",     queued | running | succeeded | failed | canceled | unknown
      "urls": ["https://…"],     the results (empty until it succeeded)
      "files": ["out/….mp4"],    where --save put them (empty without --save)
      "cost": "0.30",            as the gateway states it, or null
      "error": null,             or {"code": "task_failed", "message": "…"}
      "created_at": "2026-…Z",   ISO 8601 UTC, or null when unknown
      "raw": {…}                 the gateway's own last answer, untouched
    }

Error codes: ``task_failed``, ``task_canceled`` (the gateway's verdict), ``wait_timeout``,
``outcome_unknown``, ``invalid_params``, ``api_error``, ``interrupted``.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtrix.client import Result
    from vtrix.errors import VtrixError
    from vtrix.providers.base import TaskState

FIELDS = (
    "id",
    "model",
    "provider",
    "status",
    "urls",
    "files",
    "cost",
    "error",
    "created_at",
    "raw",
)


# The error code of a task that ended in one of these states (the gateway's, the ledger's or
# a batch line's word for it).
STATUS_ERRORS = {
    "failed": "task_failed",
    "canceled": "task_canceled",
    "unknown": "outcome_unknown",
    "timed out": "wait_timeout",
    "invalid": "invalid_params",
}


def error_for_status(status: str) -> str:
    return STATUS_ERRORS.get(status, "api_error")


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def error_code(exc: VtrixError) -> str:
    from vtrix import errors

    for cls, code in (
        (errors.TaskFailed, "task_failed"),
        (errors.WaitTimeout, "wait_timeout"),
        (errors.SubmitOutcomeUnknown, "outcome_unknown"),
        (errors.ValidationFailed, "invalid_params"),
        (errors.Interrupted, "interrupted"),
    ):
        if isinstance(exc, cls):
            return code
    return "api_error"


def document(
    *,
    id: str | None,
    model: str,
    provider: str,
    status: str,
    urls: list[str] | None = None,
    files: list[str] | None = None,
    cost: str | None = None,
    error: tuple[str, str] | None = None,
    created_at: float | None = None,
    raw: Any = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "model": model,
        "provider": provider,
        "status": status,
        "urls": list(urls or []),
        "files": list(files or []),
        "cost": cost,
        "error": {"code": error[0], "message": error[1]} if error else None,
        "created_at": iso(created_at),
        "raw": raw if raw is not None else {},
    }


def of_state(
    state: TaskState, *, model: str = "", files: list[str] | None = None
) -> dict[str, Any]:
    """The shape of a task as the gateway last reported it (finished or not)."""
    error = None
    if state.status in ("failed", "canceled"):
        error = (error_for_status(state.status), state.error or "no reason given")
    return document(
        id=state.id,
        model=state.model or model,
        provider=state.provider,
        status=state.status,
        urls=state.urls,
        files=files,
        cost=state.cost,
        error=error,
        created_at=state.created_at,
        raw=state.raw,
    )


def of_result(result: Result) -> dict[str, Any]:
    """The shape of a finished task (a :class:`vtrix.client.Result`)."""
    return document(
        id=result.task_id,
        model=result.model,
        provider=result.provider,
        status="succeeded",
        urls=result.urls,
        files=result.files,
        cost=result.cost,
        created_at=result.created_at,
        raw=result.raw,
    )
