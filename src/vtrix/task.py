"""The one shape of a task, the same on both gateways, in every command and in Python.

:class:`Result` is a task as vtrix knows it (finished or not). ``vtrix run -o json``,
``task get|wait|list``, ``model invoke``, batch results, the ledger's rows and the SDK all
give this object; :meth:`Result.to_dict` is its JSON shape::

    {
      "id": "task_…",            the gateway's task id (null: none was created)
      "model": "kirin_v3_i2v",   the model id as vtrix names it (what `vtrix run` takes)
      "provider": "vtrix",       or "modellix"
      "status": "succeeded",     queued | running | succeeded | failed | canceled | unknown
      "urls": ["https://…"],     the results (empty until it succeeded)
      "files": ["out/….mp4"],    where --save put them (empty without --save)
      "cost": "0.30",            as the gateway states it, or null
      "error": null,             or {"code": "task_failed", "message": "…"}
      "created_at": "2026-…Z",   ISO 8601 UTC, or null when unknown
      "expires_at": null,        when the gateway said the URLs stop working, or null
      "idempotency_key": "…",    the key its submit was sent with (null: not submitted here)
      "submitted_by": {…},       {"machine": "ci-7", "profile": "default"}: who sent its
                                 submit (null: vtrix did not, or the ledger does not know)
      "raw": {…}                 the gateway's own last answer, its status word inside
    }

Error codes are the ``code`` of the :mod:`vtrix.errors` classes (``task_failed``,
``wait_timeout``, ``outcome_unknown``, ``invalid_params`` …) and ``task_canceled``.
"""

from __future__ import annotations

import datetime
from typing import Any

from vtrix.base.record import field, record

QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED = (
    "queued",
    "running",
    "succeeded",
    "failed",
    "canceled",
)
UNKNOWN = "unknown"  # a status the gateway sent that vtrix does not know (or none at all)
STATUSES = (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED, UNKNOWN)
FINAL = frozenset({SUCCEEDED, FAILED, CANCELED})

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
    "expires_at",
    "idempotency_key",
    "submitted_by",
    "raw",
)

# The error code of a task that ended in one of these states.
STATUS_ERRORS = {FAILED: "task_failed", CANCELED: "task_canceled", UNKNOWN: "outcome_unknown"}


@record(frozen=True)
class TaskError:
    """Why a task did not succeed: a stable ``code`` and the message for people."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


@record(frozen=True)
class SubmittedBy:
    """Who sent a task's submit: the machine (host name) and the config profile."""

    machine: str
    profile: str

    def to_dict(self) -> dict[str, str]:
        return {"machine": self.machine, "profile": self.profile}


@record
class Result:
    """A task as vtrix knows it: the same fields, words and JSON everywhere (see the module
    docstring). ``status`` is vtrix's word; the gateway's own is inside ``raw``."""

    id: str | None
    model: str
    provider: str
    status: str
    urls: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    cost: str | None = None
    error: TaskError | None = None
    created_at: datetime.datetime | None = None
    expires_at: datetime.datetime | None = None
    idempotency_key: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    submitted_by: SubmittedBy | None = None

    @property
    def done(self) -> bool:
        """The task has ended (succeeded, failed or canceled)."""
        return self.status in FINAL

    @property
    def ok(self) -> bool:
        return self.status == SUCCEEDED

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (what ``vtrix task get ID -o json`` prints)."""
        return {
            "id": self.id,
            "model": self.model or None,  # null: not known (a command that ended before)
            "provider": self.provider or None,
            "status": self.status,
            "urls": list(self.urls),
            "files": list(self.files),
            "cost": self.cost,
            "error": self.error.to_dict() if self.error else None,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
            "idempotency_key": self.idempotency_key,
            "submitted_by": self.submitted_by.to_dict() if self.submitted_by else None,
            "raw": self.raw if self.raw is not None else {},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """The inverse of :meth:`to_dict` (extra keys, such as a batch line's, are ignored)."""
        error = data.get("error")
        by = data.get("submitted_by")
        return cls(
            id=data.get("id"),
            model=str(data.get("model") or ""),
            provider=str(data.get("provider") or ""),
            status=str(data.get("status") or UNKNOWN),
            urls=list(data.get("urls") or []),
            files=list(data.get("files") or []),
            cost=data.get("cost"),
            error=TaskError(str(error.get("code", "")), str(error.get("message", "")))
            if isinstance(error, dict)
            else None,
            created_at=parse_iso(data.get("created_at")),
            expires_at=parse_iso(data.get("expires_at")),
            idempotency_key=data.get("idempotency_key"),
            raw=dict(data.get("raw") or {}),
            submitted_by=SubmittedBy(str(by.get("machine", "")), str(by.get("profile", "")))
            if isinstance(by, dict)
            else None,
        )


def error_for(status: str, message: str | None) -> TaskError | None:
    """The error of a task that ended badly (None while it runs or once it succeeded)."""
    code = STATUS_ERRORS.get(status)
    return TaskError(code, message or "no reason given") if code else None


def moment(epoch: float | None) -> datetime.datetime | None:
    """An epoch time as an aware UTC datetime, to the second (as the JSON shape has it, so
    that :meth:`Result.from_dict` gives back an equal object)."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), tz=datetime.timezone.utc)


def iso(when: datetime.datetime | None) -> str | None:
    if when is None:
        return None
    return (
        when.astimezone(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def parse_iso(text: Any) -> datetime.datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=datetime.timezone.utc)
