"""Running one model's request: what ``vtrix run MODEL`` and ``vtrix model invoke`` share.

A command is an options value and a run function: each command's click callback only reads
its flags into :class:`RunOptions`, then calls :func:`run_model` with the client and the
command's :class:`~vtrix.cli.io.IO`. Tests call it the same way, with a client on the mock
transport. ``run_model`` prepares (validates) the body, then prints what would be sent (a
dry run) or submits, waits, saves and prints the result.
"""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

from vtrix.base.record import field, record, replace

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.cli.output import Reporter
    from vtrix.client import Client, Task
    from vtrix.engine.prepare import Prepared, Resolved
    from vtrix.errors import Problem
    from vtrix.files.save_request import SaveRequest
    from vtrix.task import Result


@record(frozen=True)
class RunOptions:
    """What one run was asked: the model and its body, and how to send, wait and show.

    ``problems``: what reading the body found (each names its field); ``deadline``: a
    ``time.monotonic()`` time when ``--timeout`` was given (it then bounds the submit, the
    wait and the downloads), else ``timeout`` bounds the wait alone."""

    model_id: str
    body: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    resolved: Resolved | None = None
    dry_run: bool = False
    debug: bool = False
    output: str = "human"
    wait: bool = True
    timeout: float = 600.0
    deadline: float | None = None
    poll_interval: float | None = None
    idempotency_key: str | None = None
    resend_unknown: bool = False
    max_cost: str | None = None
    allow_unpriced: bool = False
    budget_name: str | None = None
    save: SaveRequest | None = None


def run_model(opts: RunOptions, client: Client, io: IO) -> None:
    """Prepare ``opts.body`` for ``opts.model_id``, then print it (dry run) or submit it,
    wait, save and print the result. Errors are raised (the root command prints them)."""
    from vtrix.cli.context import insist_on_key

    reporter = io.reporter()
    io.output = opts.output
    io.note(model=opts.model_id, provider=_provider_of(opts))
    prepared = _prepare(opts, client)
    io.note(model=prepared.model_id, provider=prepared.spec.provider)
    if not prepared.checked:
        reporter.warn(
            f"{prepared.model_id}: the gateway publishes no parameter spec; parameters are "
            "sent unchecked."
        )
    elif prepared.unlisted:
        reporter.warn(
            f"not in the published spec of {prepared.model_id} (sent as given): "
            + ", ".join(prepared.unlisted)
        )
    if opts.dry_run:
        print_dry_run(client, prepared, io, debug=opts.debug, output=opts.output)
        return
    insist_on_key(client, prepared.spec.provider)
    _submit_and_wait(opts, client, prepared, io, reporter)


def _provider_of(opts: RunOptions) -> str:
    if opts.resolved is not None:
        return opts.resolved.spec.provider
    from vtrix.engine import registry

    return registry.provider_of(opts.model_id)


def _prepare(opts: RunOptions, client: Client) -> Prepared:
    """The exact request, or every problem with the body at once (nothing sent)."""
    from vtrix.errors import ValidationFailed

    problems = list(opts.problems)
    resolved = opts.resolved or client.resolve(opts.model_id, live=True)
    prepared: Prepared | None = None
    try:
        prepared = client.prepare(opts.model_id, opts.body, resolved=resolved)
    except ValidationFailed as exc:
        seen = {p.path for p in problems}
        problems += [p for p in exc.problems if p.path not in seen]
    if problems or prepared is None:
        raise ValidationFailed(opts.model_id, problems)
    return prepared


def print_dry_run(
    client: Client, prepared: Prepared, io: IO, *, debug: bool = False, output: str = "human"
) -> None:
    """What a submit would send: uploads first, then the request (nothing is sent). With
    ``-o json``, one JSON object and nothing else on stdout (for jq and scripts)."""
    from vtrix.base.text import human_size
    from vtrix.cli.output import to_json

    route = client.provider(prepared.spec.provider).upload_path
    has_key = client.settings.key_for(prepared.spec.provider) is not None
    if output == "json":
        doc = {
            "dry_run": True,
            "model": prepared.model_id,
            "provider": prepared.spec.provider,
            "method": prepared.request.method,
            "url": prepared.request.url,
            "path": prepared.request.path,
            "headers": prepared.request.display_headers(has_key),
            "body": json.loads(prepared.dry_run_text()),
            "uploads": [
                {
                    "file": str(u.file),
                    "content_type": u.content_type,
                    "size": u.size,
                    "route": route,
                }
                for u in prepared.uploads
            ],
            "checked": prepared.checked,
            "quote": _quote(client, prepared).to_dict(),
        }
        io.emit(to_json(doc))
        io.done()
        return
    for u in prepared.uploads:
        io.emit(
            f"[dry-run] would upload {u.file.path} ({u.content_type}, {human_size(u.size)}) "
            f"with POST {route}"
        )
    request = prepared.request
    io.emit(f"[dry-run] {request.method} {request.path}")
    if debug:
        io.emit(f"URL: {request.url}")
        for k, v in request.display_headers(has_key).items():
            io.emit(f"{k}: {v}")
    io.emit(prepared.dry_run_text())
    # On stderr: stdout stays exactly the request (the README's dry run, byte for byte).
    print(f"[dry-run] quote: {_quote(client, prepared).text()}", file=io.stderr)


def _quote(client: Client, prepared: Prepared) -> Any:
    from vtrix.engine.pricing import quote

    spec = prepared.spec  # a dry run sends the parameters nowhere, a price route included
    return quote(client.session, prepared.model_id, prepared.params, spec.schema, ask_gateway=False)


def _submit_and_wait(
    opts: RunOptions, client: Client, prepared: Prepared, io: IO, reporter: Reporter
) -> None:
    from vtrix.cli.ending import print_result, print_task
    from vtrix.cli.run_options import max_cost_of, use_budget

    max_cost = max_cost_of(opts.max_cost)  # a bad amount: refused before a word
    reporter.line("Submitting task...")

    def created(task: Task) -> None:
        if task.reused:
            reporter.warn(f"Idempotency key already used for task {task.id}: not sent again")
        else:
            reporter.ok(f"Task created: {task.id}")
        if not opts.wait:
            reporter.line(f"Check it with: vtrix task get {task.id}")
            if opts.output == "json":
                print_task(task.result(), io)
            else:
                io.emit(task.id)

    if opts.resend_unknown:
        warn_resend(reporter)
    io.note(sending=True)
    use_budget(client, opts.budget_name)
    task = client.submit_prepared(
        prepared,
        idempotency_key=opts.idempotency_key,
        on_created=created,
        resend_unknown=opts.resend_unknown,
        deadline=opts.deadline,
        max_cost=max_cost,
        allow_unpriced=opts.allow_unpriced,
        hold=remaining(opts.deadline, opts.timeout) if opts.wait else 0.0,
    )
    io.note(sending=False, task=task.result())
    if not opts.wait:
        return
    result = _wait(opts, task, io, reporter)
    saving = opts.save
    if saving is not None and opts.deadline is not None:
        saving = replace(saving, deadline=opts.deadline)
    from vtrix.cli.saving import save_outputs

    saved = save_outputs(client, result, saving, reporter, opts.output, io) if saving else []
    if opts.output == "id":
        io.emit(result.id or "")
        io.done()
        return
    print_result(result, opts.output, saved, io)


def _wait(opts: RunOptions, task: Task, io: IO, reporter: Reporter) -> Result:
    reporter.line()
    reporter.line("Waiting for result...")

    def on_progress(state: Any, left: float | None) -> None:
        reporter.progress(state.progress, left, state.shown_status)

    try:
        result = task.wait(
            timeout=remaining(opts.deadline, opts.timeout),
            on_progress=on_progress,
            poll_interval=opts.poll_interval,
        )
    except BaseException as exc:
        reporter.line()
        io.note(task=getattr(exc, "result", None) or task.result())
        _say_the_deadline(exc, opts)
        raise
    if task.state.progress is not None and task.state.progress < 100:
        reporter.progress(100.0, None, "done")
    reporter.line()
    reporter.ok("Done")
    return result


def _say_the_deadline(exc: BaseException, opts: RunOptions) -> None:
    """A wait that ran out names the deadline the user gave (``--timeout``), not what was
    left of it when the wait began."""
    from vtrix.errors import WaitTimeout

    if isinstance(exc, WaitTimeout) and opts.deadline is not None:
        said = f"Timed out after {opts.timeout:g}s"
        exc.message = re.sub(r"^Timed out after [0-9.]+s", said, exc.message)


def remaining(deadline: float | None, default: float) -> float:
    """Seconds left before ``deadline`` (a ``time.monotonic()`` time), else ``default``."""
    return default if deadline is None else max(deadline - time.monotonic(), 0.0)


def warn_resend(reporter: Reporter) -> None:
    """The plain warning ``--resend-unknown`` owes the user before anything is sent."""
    reporter.warn(
        "--resend-unknown: if the earlier submit with this key did create a task, the "
        "gateway may charge for it twice (neither gateway promises to honour the key)"
    )
