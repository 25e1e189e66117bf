"""How a command ends on stdout: the result (:func:`print_result`, :func:`print_task`), and
``-o json`` on every ending — exactly one JSON object on stdout however a command ends.

A command's ``-o`` option records the output mode on the command's :class:`~vtrix.cli.io.IO`
(:func:`note_output`, its click callback); the command notes what it knows of its task as it
goes (:func:`note`); when it ends with an error, the root command prints the task's shape with
``error`` set (:func:`print_error`) — the code from :mod:`vtrix.errors`, the idempotency
key, the problems of a validation failure, each naming its field — unless the command printed
its object already.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from vtrix.cli.click_types import Word
from vtrix.cli.io import IO, io_of

if TYPE_CHECKING:
    from vtrix.errors import VtrixError
    from vtrix.task import Result


def note_output(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """The ``-o`` option's callback: remember the output mode."""
    if isinstance(value, str):
        io_of(ctx).output = value
    return value


def output_option(*choices: str, help: str | None = None) -> Callable[[Any], Any]:
    """A command's ``--output/-o`` (the first choice is the default), noted here."""
    return click.option(
        "--output",
        "-o",
        type=Word(tuple(choices), "output format"),
        default=choices[0],
        show_default=True,
        callback=note_output,
        help=help,
    )


def note(**facts: Any) -> None:
    """Remember facts of the running command's task (see :meth:`IO.note`)."""
    io_of().note(**facts)


def printed() -> None:
    """The running command printed its JSON object: nothing more goes to stdout."""
    io_of().done()


def print_result(
    result: Result, output: str, saved: list[str] | None = None, io: IO | None = None
) -> None:
    """A finished task on stdout: ``url``, ``json`` (the one task shape) or ``human``."""
    from vtrix.cli.output import human_result

    io = io or io_of()
    if saved:
        result.files = list(saved)
    if output == "url":
        for url in result.urls:
            io.emit(url)
    elif output == "json":
        print_task(result, io)
    else:
        io.emit(
            human_result(
                status=result.status,
                task_id=result.id or "",
                model=result.model,
                urls=result.urls,
                cost=result.cost,
                saved=saved,
            )
        )
    io.done()


def print_task(result: Result, io: IO | None = None) -> None:
    """A task (finished or not) as the one JSON object on stdout."""
    from vtrix.cli.output import to_json

    io = io or io_of()
    io.emit(to_json(result.to_dict(), line=io.json_lines))
    io.done()


def wants_json(io: IO, args: list[str] | None = None) -> bool:
    """``-o json`` was asked for (by the option, or in ``args`` when click refused them
    before the option was read)."""
    if io.output:
        return io.output == "json"
    words = list(args or [])
    for i, word in enumerate(words):
        if word in ("-o", "--output") and i + 1 < len(words) and words[i + 1] == "json":
            return True
        if word in ("-ojson", "--output=json"):
            return True
    return False


def error_document(
    io: IO, code: str, message: str, exc: VtrixError | None = None
) -> dict[str, Any]:
    """The task's shape with ``error`` set (``id`` null when no task was created)."""
    from vtrix.task import FAILED, UNKNOWN, Result

    task = io.task
    if task is None:
        unknown = code in ("outcome_unknown", "interrupted") and io.sending
        task = Result(
            id=getattr(exc, "task_id", None),
            model=io.model,
            provider=io.provider,
            status=UNKNOWN if unknown else FAILED,
        )
    doc = task.to_dict()
    key = getattr(exc, "idempotency_key", None)
    if key and not doc["idempotency_key"]:
        doc["idempotency_key"] = key
    error: dict[str, Any] = {"code": code, "message": message}
    if exc is not None and exc.hint:
        error["hint"] = exc.hint
    problems = getattr(exc, "problems", None)
    if problems:
        error["problems"] = [{"field": p.path, "message": p.message} for p in problems]
    doc["error"] = error
    return doc


def code_of(io: IO, exc: VtrixError) -> str:
    from vtrix.errors import TemporaryFailure

    plain = exc.code == TemporaryFailure.code  # a subclass (at_capacity) says more already
    if plain and isinstance(exc, TemporaryFailure) and io.sending and io.task is None:
        return "not_sent"  # 75 during a submit: it certainly never reached the gateway
    if exc.code == "task_failed" and io.task is not None and io.task.error is not None:
        return io.task.error.code  # task_canceled
    return exc.code


def print_error(io: IO, exc: VtrixError) -> None:
    """With ``-o json``, the one JSON object for a command that ended with ``exc``."""
    if io.printed or not wants_json(io):
        return
    _emit(io, error_document(io, code_of(io, exc), exc.message, exc))


def print_usage_error(
    io: IO, message: str, args: list[str] | None, field: str | None = None
) -> None:
    """With ``-o json``, the JSON object for arguments click refused (exit 2)."""
    if io.printed or not wants_json(io, args):
        return
    from vtrix.errors import Problem, ValidationFailed

    if field:
        exc = ValidationFailed(io.model or "the command", [Problem(field, message)])
        _emit(io, error_document(io, "invalid_params", exc.message, exc))
    else:
        _emit(io, error_document(io, "usage_error", message))


def print_interrupted(io: IO, message: str) -> None:
    if io.printed or not wants_json(io):
        return
    _emit(io, error_document(io, "interrupted", message))


def _emit(io: IO, doc: dict[str, Any]) -> None:
    from vtrix.cli.output import to_json

    io.done()
    io.emit(to_json(doc, line=io.json_lines))
