"""Typed errors, each carrying the exit code the CLI uses (see :data:`EXIT_CODES`) and the
``error.code`` that ``-o json`` prints (its ``code`` attribute, shown after the exit code).

The tree (exit code, ``error.code``, meaning)::

    VtrixError                 1  error               anything vtrix raises on purpose
    ├── UsageError             2  usage_error         bad arguments or configuration; not sent
    │   ├── ValidationFailed   2  invalid_params      parameters that do not fit the spec
    │   ├── UnknownModel       2  unknown_model       no gateway knows the model id
    │   ├── SubmitInProgress   2  submit_in_progress  another process is sending this submit
    │   ├── KeyConflict        2  key_conflict        an idempotency key sent with other content
    │   └── LedgerUnavailable  2  ledger_unavailable  the ledger cannot be used: no submit
    ├── ApiError               1  api_error           the gateway answered with an error
    │   ├── AuthError          1  unauthorized        401
    │   ├── PaymentRequired    1  payment_required    402
    │   ├── NotFound           1  not_found           404: unknown model or task
    │   ├── RequestRejected    1  request_rejected    other 4xx
    │   ├── BadAnswer          1  bad_answer          an answer vtrix cannot use (kept in a file)
    │   ├── TemporaryFailure  75  temporary_failure   429, 5xx or network trouble (not_sent:
    │   │   │                                         a submit that never reached the gateway)
    │   │   ├── NotSent       75  not_sent            a hold outlasts the deadline; not sent
    │   │   └── AtCapacity    75  at_capacity         the key's running tasks are at its limit
    │   └── SubmitOutcomeUnknown 3  outcome_unknown   a submit was sent, no clear answer
    ├── BudgetReached          4  budget_reached      a cap refused a submit; nothing sent
    ├── TaskFailed             1  task_failed         the task failed (task_canceled: canceled)
    ├── WaitTimeout          124  wait_timeout        waiting ran out; the task may still finish
    ├── Interrupted          130  interrupted         Ctrl-C; the task is not cancelled
    ├── SpecUnavailable        1  spec_unavailable    no spec can be had for a model
    ├── DownloadFailed        75  download_failed     saving a result was cut short (part kept)
    ├── DownloadRefused        1  download_refused    a result vtrix will not fetch
    └── SaveFailed             1  save_failed         a paid result could not be written here
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

OK = 0
FAILED = 1
USAGE = 2
OUTCOME_UNKNOWN = 3
BUDGET = 4
TEMPORARY = 75
WAIT_TIMEOUT = 124
INTERRUPTED = 130

EXIT_CODES: tuple[tuple[int, str], ...] = (
    (OK, "success"),
    (
        FAILED,
        "failed: the remote task failed, 401/402/403/404, an unusable answer, or another error",
    ),
    (USAGE, "usage or validation error; nothing was sent"),
    (
        OUTCOME_UNKNOWN,
        "submit outcome unknown (sent, no clear answer): do not resubmit blindly, "
        "check `vtrix task list`",
    ),
    (BUDGET, "budget reached: a quote over --max-cost / --budget, or unknown; nothing more sent"),
    (TEMPORARY, "temporary failure after retries (429, 5xx, network): safe to retry later"),
    (WAIT_TIMEOUT, "wait timed out; the task may still run: `vtrix task wait <id>`"),
    (INTERRUPTED, "interrupted (Ctrl-C); the task is not cancelled: `vtrix task wait <id>`"),
)


def exit_code_table() -> str:
    """The exit code table as shown in help."""
    return "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES)


class VtrixError(Exception):
    """Base of every error vtrix raises on purpose. ``exit_code`` is what the CLI exits with."""

    code = "error"

    exit_code = FAILED

    def __init__(
        self,
        message: str,
        *,
        hint: str = "",
        task_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.task_id = task_id
        self.idempotency_key = idempotency_key

    def __str__(self) -> str:
        return f"{self.message}\n{self.hint}" if self.hint else self.message


class UsageError(VtrixError):
    """Bad arguments or configuration; nothing was sent."""

    code = "usage_error"

    exit_code = USAGE


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where Ctrl-C would be so that every path that keeps a paid
    task safe on Ctrl-C does so for them too; the CLI exits 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


class Problem:
    """One validation problem: where, what was expected, what was given. (A plain class:
    start-up, docs/architecture.md.)"""

    __slots__ = ("message", "path")

    def __init__(self, path: str, message: str) -> None:
        self.path, self.message = path, message

    def __iter__(self) -> Iterator[str]:
        return iter((self.path, self.message))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Problem) and (self.path, self.message) == (
            other.path,
            other.message,
        )

    def __hash__(self) -> int:
        return hash((self.path, self.message))

    def __repr__(self) -> str:
        return f"Problem(path={self.path!r}, message={self.message!r})"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ValidationFailed(UsageError):
    """Parameters that do not fit the model's spec. Lists every problem at once."""

    code = "invalid_params"

    def __init__(self, model_id: str, problems: list[Problem]) -> None:
        self.model_id = model_id
        self.problems = problems
        lines = [
            f"Invalid parameters for {model_id} ({len(problems)} "
            f"problem{'s' if len(problems) != 1 else ''}); nothing was sent:"
        ]
        lines += [f"  - {p}" for p in problems]
        super().__init__(
            "\n".join(lines), hint=f"See the parameters with: vtrix models spec {model_id}"
        )


class InvalidLines(UsageError):
    """Lines of a batch that do not fit their models' specs: every problem, each naming its
    line (``problems``; the field is ``line N``)."""

    code = "invalid_params"

    def __init__(self, message: str, problems: list[Problem], hint: str = "") -> None:
        self.problems = problems
        super().__init__(message, hint=hint)


class UnknownModel(UsageError):
    """A model id neither the index nor the gateway knows; ``suggestions``: close ids."""

    code = "unknown_model"

    def __init__(self, model_id: str, suggestions: list[str] | None = None) -> None:
        self.model_id = model_id
        self.suggestions = list(suggestions or [])
        hint = "Find models with `vtrix models list --search WORDS`."
        if self.suggestions:
            hint = "Did you mean: " + ", ".join(self.suggestions) + "?\n" + hint
        super().__init__(f"unknown model {model_id!r}", hint=hint)


class SubmitInProgress(UsageError):
    """Another vtrix process holds this idempotency key's submit right now; nothing was
    sent from here."""

    code = "submit_in_progress"


class KeyConflict(UsageError):
    """An idempotency key already sent with another model or other parameters: answering
    with that task would be wrong, sending again could pay twice; nothing was sent."""

    code = "key_conflict"


class LedgerUnavailable(UsageError):
    """The task ledger cannot be used (a directory or FIFO in its place, locked by another
    process too long, read-only, full, from a newer vtrix). Nothing is sent without it: a
    submit the ledger cannot hold could be paid twice."""

    code = "ledger_unavailable"


class ApiError(VtrixError):
    """The gateway answered with an error status."""

    code = "api_error"

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        hint: str = "",
        task_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, task_id=task_id, idempotency_key=idempotency_key)
        self.status = status


class AuthError(ApiError):
    """401: key missing, invalid or expired."""

    code = "unauthorized"


class PaymentRequired(ApiError):
    """402: the balance is insufficient."""

    code = "payment_required"


class NotFound(ApiError):
    """404: unknown model or task."""

    code = "not_found"


class RequestRejected(ApiError):
    """400/422 (or another 4xx): the gateway refused the request."""

    code = "request_rejected"


class BadAnswer(ApiError):
    """The gateway answered something vtrix cannot use (not the documented shape)."""

    code = "bad_answer"


class TemporaryFailure(ApiError):
    """429, 5xx or network trouble that outlasted the retries: safe to retry later.
    ``deadline`` is True when the caller's deadline, not the retry budget, ran out."""

    code = "temporary_failure"

    exit_code = TEMPORARY

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        hint: str = "",
        retry_after: float | None = None,
        deadline: bool = False,
    ) -> None:
        super().__init__(message, status=status, hint=hint)
        self.retry_after = retry_after
        self.deadline = deadline


class NotSent(TemporaryFailure):
    """A submit that certainly never reached the gateway (its hold outlasts the deadline)."""

    code = "not_sent"


class AtCapacity(TemporaryFailure):
    """As many tasks of this key are running as the gateway allows at once (counted in the
    ledger, for the team on a shared one): nothing was sent; try when one has ended."""

    code = "at_capacity"

    running = 0  # how many tasks of the key were counted running


class SubmitOutcomeUnknown(ApiError):
    """The submit was sent but no clear answer came back: do not resubmit blindly."""

    code = "outcome_unknown"

    exit_code = OUTCOME_UNKNOWN


class BudgetReached(VtrixError):
    """A submit refused by a spending cap: its quote is over what is left, or unknown."""

    exit_code = BUDGET
    code = "budget_reached"


class TaskFailed(VtrixError):
    """The remote task ended in failure (``result``: the task as it ended, a
    :class:`vtrix.task.Result`)."""

    code = "task_failed"

    def __init__(self, message: str, *, task_id: str | None = None, result: Any = None) -> None:
        super().__init__(message, task_id=task_id)
        self.result = result


class WaitTimeout(VtrixError):
    """Waiting exceeded the timeout; the task may still finish."""

    code = "wait_timeout"

    exit_code = WAIT_TIMEOUT


class Interrupted(VtrixError):
    """Ctrl-C; the task keeps running remotely (or, during a submit, may have been created)."""

    code = "interrupted"

    exit_code = INTERRUPTED


class SpecUnavailable(VtrixError):
    """A model's spec could not be had (unknown id, or the models service unreachable)."""

    code = "spec_unavailable"


class DownloadFailed(VtrixError):
    """Saving a finished task's result was cut short; the part fetched is kept and the same
    ``vtrix task get <id> --save DIR`` resumes it."""

    code = "download_failed"

    exit_code = TEMPORARY


class DownloadRefused(VtrixError):
    """A result vtrix will not fetch: a refused URL or address, over the size cap, expired."""

    code = "download_refused"


class SaveFailed(VtrixError):
    """A finished, paid task whose files could not be written locally (the --save directory
    vanished or became a file, the disk is full): its URLs are printed, and the hint says
    how to save them later. Never "nothing was sent"."""

    code = "save_failed"
