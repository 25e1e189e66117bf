"""What a submitted task's handle holds, shared by :class:`vtrix.client.Task` and
:class:`vtrix.aio.AsyncTask` (siblings over this base, as httpx's clients are)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vtrix.engine.outcome import result_of

if TYPE_CHECKING:
    from vtrix.engine.plans import Submitted
    from vtrix.engine.session import Session
    from vtrix.task import Result, SubmittedBy
    from vtrix.wire.base import TaskState


class TaskHandle:
    """A submitted task: its id, model, gateway and status in vtrix's words (the same as
    :class:`vtrix.task.Result` and ``-o json``), and where to poll it."""

    def __init__(
        self,
        session: Session,
        state: TaskState,
        *,
        endpoint: str = "",
        idempotency_key: str | None = None,
        reused: bool = False,
        submitted_by: SubmittedBy | None = None,
    ) -> None:
        self.session = session
        self.state = state
        self.endpoint = endpoint
        self.idempotency_key = idempotency_key
        self.reused = reused  # True: a submit with this idempotency key had already made it
        self.submitted_by = submitted_by  # who sent its submit (None: not known)

    @classmethod
    def submitted(cls, session: Session, done: Submitted) -> Any:
        return cls(session, done.state, **handle_fields(done))

    @property
    def id(self) -> str:
        return self.state.id

    @property
    def model(self) -> str:
        return self.state.model

    @property
    def provider(self) -> str:
        return self.state.provider

    @property
    def status(self) -> str:
        """queued | running | succeeded | failed | canceled | unknown, as last seen."""
        return self.state.status

    def result(self) -> Result:
        """The task as last seen, in the one task shape."""
        return result_of(self.state, key=self.idempotency_key, by=self.submitted_by)

    def to_dict(self) -> dict[str, Any]:
        return self.result().to_dict()

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(id={self.id!r}, model={self.model!r}, "
            f"provider={self.provider!r}, status={self.status!r})"
        )


def handle_fields(done: Submitted) -> dict[str, Any]:
    """What a handle of a task just submitted takes besides its state."""
    return {
        "endpoint": done.endpoint,
        "idempotency_key": done.key,
        "reused": done.reused,
        "submitted_by": done.by,
    }
