"""What a gateway's report of a task becomes for the caller: the one task noun
(:class:`vtrix.task.Result`), and for a task that ended badly, the error to raise. The only
place a :class:`~vtrix.wire.base.TaskState` turns into the public shape."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vtrix.errors import TaskFailed
from vtrix.task import CANCELED, FAILED, Result, SubmittedBy, error_for, moment

if TYPE_CHECKING:
    from vtrix.wire.base import TaskState


def result_of(
    state: TaskState,
    *,
    key: str | None = None,
    files: list[str] | None = None,
    by: SubmittedBy | None = None,
) -> Result:
    """The task as last reported (finished or not); ``by``: who sent its submit."""
    return Result(
        id=state.id,
        model=state.model,
        provider=state.provider,
        status=state.status,
        urls=list(state.urls),
        files=list(files or []),
        cost=state.cost,
        error=error_for(state.status, state.error),
        created_at=moment(state.created_at),
        expires_at=moment(state.expires_at),
        idempotency_key=key,
        raw=state.raw,
        submitted_by=by,
    )


def finished(state: TaskState, *, key: str | None = None, by: SubmittedBy | None = None) -> Result:
    """The result of a task that ended; TaskFailed (carrying it) when it failed or was
    canceled."""
    result = result_of(state, key=key, by=by)
    if state.status in (FAILED, CANCELED):
        raise TaskFailed(
            f"Task {state.id} {state.status}: {state.error or 'no reason given'}",
            task_id=state.id,
            result=result,
        )
    return result
