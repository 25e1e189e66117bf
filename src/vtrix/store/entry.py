"""A ledger row: one submit (or one task looked up), as the ledger holds it, and what it means in
the one task shape (:meth:`Entry.to_task`)."""

from __future__ import annotations

import functools
import json
import math
import os
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from vtrix.base.constants import STALE_SUBMIT
from vtrix.base.record import field, record
from vtrix.task import FAILED as TASK_FAILED
from vtrix.task import QUEUED, STATUSES, Result, SubmittedBy, TaskError, error_for, moment
from vtrix.task import UNKNOWN as TASK_UNKNOWN

if TYPE_CHECKING:
    pass


# What a row's bookkeeping state means as a task status.
_TASK_STATUS = {
    "submitted": QUEUED,
    "submitting": TASK_UNKNOWN,
    "rejected": TASK_FAILED,
    "not_sent": TASK_FAILED,
}


SUBMITTING = "submitting"


DEFAULT_PROFILE = "default"


SUBMITTED = "submitted"


UNKNOWN = "unknown"


REJECTED = "rejected"


NOT_SENT = "not_sent"  # interrupted before its request started: certainly nothing was sent


NOTHING_CREATED = (REJECTED, NOT_SENT)  # rows that cost nothing and may be sent again


COLUMNS = [
    "key",
    "provider",
    "model",
    "digest",
    "state",
    "task_id",
    "endpoint",
    "remote_status",
    "error",
    "urls",
    "files",
    "cost",
    "created_at",
    "updated_at",
    "completed_at",
    "batch",
    "line",
    "owner",
    "expires_at",
    "file_sums",
    "raw",
    "task_created_at",
    "quote",
    "price_key",
    "profile",
    "params_digest",
]


@functools.lru_cache(maxsize=1)
def _host() -> str:
    import socket  # only when a row is written or judged (start-up: docs/architecture.md)

    return socket.gethostname()


def submitter(profile: str | None) -> SubmittedBy:
    """This machine, with ``profile``: who a submit sent from here is by."""
    return SubmittedBy(_host(), profile or DEFAULT_PROFILE)


def owner() -> str:
    """Who writes a "submitting" row: this host and process."""
    return f"{_host()}:{os.getpid()}"


@record
class Entry:
    """One submit, as the ledger holds it."""

    key: str
    provider: str
    model: str
    digest: str = ""
    state: str = SUBMITTING
    task_id: str | None = None
    endpoint: str = ""
    remote_status: str = ""
    error: str = ""
    urls: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    cost: str | None = None
    created_at: float = 0.0
    updated_at: float = 0.0
    completed_at: float | None = None
    batch: str | None = None
    line: int | None = None
    owner: str | None = None  # "host:pid" of the process that wrote "submitting"
    expires_at: float | None = None  # when the result URLs stop working, if the gateway said
    file_sums: dict[str, list[Any]] = field(default_factory=dict)  # path -> [size, sha256]
    raw: dict[str, Any] = field(default_factory=dict)  # the gateway's last answer
    task_created_at: float | None = None  # when the task was created, as its gateway said
    quote: str | None = None  # what vtrix expected it to cost when it was submitted
    price_key: str = ""  # the parameters its price depends on (JSON)
    profile: str | None = None  # the config profile that submitted it
    params_digest: str = ""  # what its idempotency key was first sent with (model, params)

    @property
    def machine(self) -> str | None:
        """The host that submitted it (None: a task vtrix only looked up)."""
        host = (self.owner or "").rpartition(":")[0]
        return host or None

    @property
    def submitter(self) -> SubmittedBy | None:
        """Who sent its submit (None: a task vtrix only looked up)."""
        if self.machine is None or self.idempotency_key is None:
            return None
        return SubmittedBy(self.machine, self.profile or DEFAULT_PROFILE)

    @property
    def idempotency_key(self) -> str | None:
        """The key its submit was sent with (None for a task vtrix only looked up)."""
        return None if self.key.startswith("task:") else self.key

    def to_task(self) -> Result:
        """The row in the one task shape (:class:`vtrix.task.Result`)."""
        shown = self.shown_state
        status = _TASK_STATUS.get(shown, shown if shown in STATUSES else TASK_UNKNOWN)
        error = error_for(status, self.error or None)
        if shown == REJECTED:
            error = TaskError("request_rejected", self.error or "the gateway refused the submit")
        elif shown == NOT_SENT:
            error = TaskError("not_sent", self.error or "interrupted before it was sent")
        elif shown == UNKNOWN and not self.task_id:
            error = TaskError("outcome_unknown", self.error or "the submit's outcome is unknown")
        return Result(
            id=self.task_id,
            model=self.model,
            provider=self.provider,
            status=status,
            urls=list(self.urls),
            files=list(self.files),
            cost=self.cost,
            error=error,
            created_at=moment(self.task_created_at or self.created_at or None),
            expires_at=moment(self.expires_at),
            idempotency_key=self.idempotency_key,
            raw=dict(self.raw),
            submitted_by=self.submitter,
        )

    @property
    def shown_state(self) -> str:
        """The state for people: a submit whose process died mid-way is ``unknown``."""
        if self.state == SUBMITTING and not self._owner_alive():
            return UNKNOWN
        return self.state

    def _owner_alive(self) -> bool:
        if time.time() - self.updated_at > STALE_SUBMIT:
            return False
        host, _, pid = (self.owner or "").rpartition(":")
        if host != _host() or not pid.isdigit():
            return True  # another machine: trust the clock alone
        if int(pid) == os.getpid():
            return True
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except OSError:
            return True
        return True


def number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and abs(number) < 1e12 else None


def entry_from_row(row: Iterable[Any] | None) -> Entry | None:
    """An Entry from a row of ``SELECT COLUMNS`` (a row edited by hand is read, never a crash)."""
    if row is None:
        return None
    values = dict(zip(COLUMNS, row, strict=True))
    for name in ("urls", "files"):
        try:
            loaded = json.loads(values[name] or "[]")
        except ValueError:
            loaded = []
        values[name] = [str(v) for v in loaded] if isinstance(loaded, list) else []
    try:
        sums = json.loads(values["file_sums"] or "{}")
    except (ValueError, TypeError):
        sums = {}
    values["file_sums"] = sums if isinstance(sums, dict) else {}
    try:
        raw = json.loads(values["raw"] or "{}")
    except (ValueError, TypeError):
        raw = {}
    values["raw"] = raw if isinstance(raw, dict) else {}
    # A row edited by hand (text where a number belongs) is shown, never a crash.
    for name in ("created_at", "updated_at"):
        values[name] = number(values[name]) or 0.0
    for name in ("completed_at", "expires_at", "task_created_at"):
        values[name] = number(values[name])
    line = number(values["line"])
    values["line"] = int(line) if line is not None else None
    for name in ("key", "provider", "model", "digest", "state", "endpoint", "params_digest"):
        values[name] = "" if values[name] is None else str(values[name])
    return Entry(**values)


def digest(provider: str, model: str, params: Any) -> str:
    text = json.dumps([provider, model, params], sort_keys=True, default=str)
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def same_content(row: Entry, key: str, model: str, params_digest: str) -> None:
    """Raise KeyConflict when ``key`` was first sent with another model or parameters."""
    from vtrix.errors import KeyConflict

    other_model = bool(row.model) and row.model != model and not row.key.startswith("task:")
    other_params = bool(row.params_digest and params_digest) and row.params_digest != params_digest
    if not (other_model or other_params):
        return
    what = f"a {row.model} task" + (f" ({row.task_id})" if row.task_id else "")
    differs = "another model" if other_model else "other parameters"
    raise KeyConflict(
        f"idempotency key {key} was already used for {what} with {differs}; answering with "
        "that task would be wrong and sending again could pay twice; nothing was sent",
        hint="Use a new key for new content (or none: vtrix makes one), or send the same "
        "model and parameters to get that task back.",
        idempotency_key=key,
    )
