"""One model's ``vtrix run <model_id>`` command: its typed options (from the model
description), the options every run has, and what running it does.

The same function builds the command of a generated model (spec from ``vtrix/models``), of
a model whose spec is fetched live, and of a catalog model without a spec. Running it builds
the body (``--body``, ``--param``, typed options) and hands it to :meth:`Client.prepare`, the
one route to a request.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

import click

from vtrix.base.record import replace
from vtrix.cli.click_types import click_option
from vtrix.cli.context import Globals, client_for
from vtrix.cli.run_options import RUN_EPILOG, max_cost_of, run_options
from vtrix.cli.saving import SaveRequest, save_outputs, save_request
from vtrix.spec.option import Option, stored_options

if TYPE_CHECKING:
    from vtrix.cli.output import Reporter
    from vtrix.client import Client, Task
    from vtrix.engine.prepare import Prepared, Resolved


class ModelCommand(click.Command):
    """The command of a model with a spec (its typed options come from the spec)."""


class SpeclessCommand(click.Command):
    """The command of a model whose gateway publishes no spec: an option it does not know is
    a parameter the user expected to be typed; say why there are none and what works."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            name = exc.option_name.lstrip("-").replace("-", "_")
            docs = docs_url(self.name or "")
            raise click.UsageError(
                f"{self.name} publishes no parameter spec, so it has no typed options such as "
                f"{exc.option_name}. Pass parameters with --param {name}=VALUE or --body JSON; "
                "they are sent as given, unchecked."
                + (f" Its parameters are documented at {docs}" if docs else ""),
                ctx,
            ) from None


def docs_url(model_id: str) -> str | None:
    """Where a catalog model's documentation is, if its catalog entry says (read from the
    packaged snapshot: only on this error path)."""
    import json
    import os

    from vtrix.engine import registry

    try:
        path = os.path.join(registry.models_dir(), "_snapshot.json")
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return None
    for entry in [*data.get("modellix_catalog", []), *data.get("vtrix_catalog", [])]:
        if model_id in (entry.get("slug"), entry.get("id")):
            url = entry.get("docs_url") or entry.get("doc_url")
            return url if isinstance(url, str) and url.startswith("https://") else None
    return None


def build_command(
    model_id: str,
    spec: dict[str, Any] | None,
    *,
    resolved: Resolved | None = None,
    note: str = "",
) -> click.Command:
    """The command of ``model_id``; ``spec`` is its normalised spec as data (None: the gateway
    publishes none), ``resolved`` what a live lookup already found."""
    opts = (stored_options(spec) or _derived_options(spec)) if spec else []

    def callback(**values: Any) -> None:
        execute(click.get_current_context(), model_id, spec, opts, values, resolved)

    if spec:
        help_text = (
            f"{spec.get('name') or model_id} ({spec.get('type')}, {spec.get('provider')}).\n\n"
            f"{spec.get('summary', '')}"
        )
    else:
        docs = docs_url(model_id)
        help_text = (
            f"{model_id}: the gateway publishes no parameter spec for this model; parameters "
            "given with --param/--body are sent as given, unchecked."
            + (f" Its parameters are documented at {docs}" if docs else "")
        )
    if note:
        help_text += f"\n\n{note}"
    cmd = click.command(
        name=model_id,
        cls=ModelCommand if spec else SpeclessCommand,
        help=help_text,
        short_help=(spec or {}).get("summary") or None,
        epilog=RUN_EPILOG,
        context_settings={"max_content_width": 100},
    )(run_options(callback))
    cmd.params = [click_option(o) for o in opts] + cmd.params
    return cmd


def build_body(
    spec: dict[str, Any] | None, opts: list[Option], values: dict[str, Any]
) -> tuple[dict[str, Any], list[Any]]:
    """The request body from ``--body``/``--body-file``, ``--param`` and typed options, and
    every problem found on the way."""
    from vtrix.engine.params import BodyBuilder, load_body

    stdin = sys.stdin.read() if values["run_body_file"] == "-" else None
    base, body_problems = load_body(values["run_body"], values["run_body_file"], stdin)
    builder = BodyBuilder(spec["schema"] if spec else None, base)
    builder.problems.extend(body_problems)
    builder.add_params(list(values["run_param"]))
    for opt in opts:
        value = values.get(opt.dest)
        if value is None or value == ():
            continue
        if opt.kind == "boolean":
            builder.add_value(opt.path, bool(value), opt.flag)
        elif opt.multiple:
            builder.add_texts(opt.path, list(value), opt.flag)
        else:
            builder.add_text(opt.path, value, opt.flag)
    return builder.body, builder.problems


def execute(
    ctx: click.Context,
    model_id: str,
    spec: dict[str, Any] | None,
    opts: list[Option],
    values: dict[str, Any],
    resolved: Resolved | None,
) -> None:
    """Build the body, prepare (validate) it, then print it (dry run) or submit and wait."""
    from vtrix.cli.output import Reporter
    from vtrix.errors import ValidationFailed

    g = ctx.find_object(Globals) or Globals()
    dry = g.dry_run or values["run_dry_run"]
    debug = g.debug or values["run_debug"]
    if debug and not g.debug:
        from vtrix.base.log import enable_debug

        enable_debug()
        g.debug = True
    reporter = Reporter(quiet=g.quiet or values["run_quiet"])
    explicit = ctx.get_parameter_source("run_timeout") is not click.core.ParameterSource.DEFAULT
    values["run_deadline"] = time.monotonic() + values["run_timeout"] if explicit else None
    saving = None if dry else save_request(values, no_wait=values["run_no_wait"])
    from vtrix.cli import ending

    ending.note(model=model_id, provider=(spec or {}).get("provider") or _provider(model_id))
    body, problems = build_body(spec, opts, values)
    client = client_for(ctx)
    if resolved is None and spec is not None:  # the generated spec this command was built from
        resolved = client.resolve(model_id, spec)
    prepared: Prepared | None = None
    try:
        prepared = client.prepare(model_id, body, resolved=resolved)
    except ValidationFailed as exc:
        seen = {p.path for p in problems}
        problems += [p for p in exc.problems if p.path not in seen]
    if problems or prepared is None:
        raise ValidationFailed(model_id, problems)
    if not prepared.checked:
        reporter.warn(
            f"{model_id}: the gateway publishes no parameter spec; parameters are sent unchecked."
        )
    elif prepared.unlisted:
        reporter.warn(
            f"not in the published spec of {model_id} (sent as given): "
            + ", ".join(prepared.unlisted)
        )
    if dry:
        print_dry_run(client, prepared, debug, values["run_output"])
        return
    client_for(ctx, require_key=True, provider=prepared.spec.provider)
    submit_and_wait(client, prepared, values, reporter, saving)


def _say_the_deadline(exc: BaseException, values: dict[str, Any]) -> None:
    """A wait that ran out names the deadline the user gave (``--timeout``), not what was
    left of it when the wait began."""
    from vtrix.errors import WaitTimeout

    if isinstance(exc, WaitTimeout) and values.get("run_deadline") is not None:
        import re

        said = f"Timed out after {values['run_timeout']:g}s"
        exc.message = re.sub(r"^Timed out after [0-9.]+s", said, exc.message)


def print_dry_run(client: Client, prepared: Prepared, debug: bool, output: str = "human") -> None:
    """What a submit would send: uploads first, then the request (nothing is sent). With
    ``-o json``, one JSON object and nothing else on stdout (for jq and scripts)."""
    from vtrix.base.text import human_size
    from vtrix.cli import ending
    from vtrix.cli.output import emit, to_json

    route = client.provider(prepared.spec.provider).upload_path
    if output == "json":
        has_key = client.settings.key_for(prepared.spec.provider) is not None
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
        emit(to_json(doc))
        ending.printed()
        return
    for u in prepared.uploads:
        emit(
            f"[dry-run] would upload {u.file.path} ({u.content_type}, {human_size(u.size)}) "
            f"with POST {route}"
        )
    request = prepared.request
    emit(f"[dry-run] {request.method} {request.path}")
    if debug:
        emit(f"URL: {request.url}")
        has_key = client.settings.key_for(prepared.spec.provider) is not None
        for k, v in request.display_headers(has_key).items():
            emit(f"{k}: {v}")
    emit(prepared.dry_run_text())
    # On stderr: stdout stays exactly the request (the README's dry run, byte for byte).
    print(f"[dry-run] quote: {_quote(client, prepared).text()}", file=sys.stderr)


def _quote(client: Client, prepared: Prepared) -> Any:
    from vtrix.engine.pricing import quote

    return quote(client.session, prepared.model_id, prepared.params, prepared.spec.schema)


def submit_and_wait(
    client: Client,
    prepared: Prepared,
    values: dict[str, Any],
    reporter: Reporter,
    saving: SaveRequest | None,
) -> None:
    from vtrix.cli import ending
    from vtrix.cli.ending import print_result, print_task
    from vtrix.cli.output import emit

    output = values["run_output"]
    max_cost = max_cost_of(values.get("run_max_cost"))  # a bad amount: refused before a word
    reporter.line("Submitting task...")

    def created(task: Task) -> None:
        if task.reused:
            reporter.warn(f"Idempotency key already used for task {task.id}: not sent again")
        else:
            reporter.ok(f"Task created: {task.id}")
        if values["run_no_wait"]:
            reporter.line(f"Check it with: vtrix task get {task.id}")
            if output == "json":
                print_task(task.result())
            else:
                emit(task.id)

    resend = bool(values.get("run_resend_unknown"))
    if resend:
        warn_resend(reporter)
    ending.note(model=prepared.model_id, provider=prepared.spec.provider, sending=True)
    from vtrix.cli.run_options import use_budget

    use_budget(client, values.get("run_budget_name"))
    task = client.submit_prepared(
        prepared,
        idempotency_key=values["run_idempotency_key"],
        on_created=created,
        resend_unknown=resend,
        deadline=values.get("run_deadline"),
        max_cost=max_cost,
        allow_unpriced=bool(values.get("run_allow_unpriced")),
    )
    ending.note(sending=False, task=task.result())
    if values["run_no_wait"]:
        return
    reporter.line()
    reporter.line("Waiting for result...")

    def on_progress(state: Any, remaining: float | None) -> None:
        reporter.progress(state.progress, remaining, state.shown_status)

    try:
        result = task.wait(
            timeout=remaining(values.get("run_deadline"), values["run_timeout"]),
            on_progress=on_progress,
            poll_interval=values["run_poll_interval"],
        )
    except BaseException as exc:
        reporter.line()
        ending.note(task=getattr(exc, "result", None) or task.result())
        _say_the_deadline(exc, values)
        raise
    if task.state.progress is not None and task.state.progress < 100:
        reporter.progress(100.0, None, "done")
    reporter.line()
    reporter.ok("Done")
    if saving is not None and values.get("run_deadline") is not None:
        saving = replace(saving, deadline=values["run_deadline"])
    saved = save_outputs(client, result, saving, reporter, output) if saving else []
    print_result(result, output, saved)


def _derived_options(spec: dict[str, Any]) -> list[Option]:
    from vtrix.spec.describe import spec_options

    return spec_options(spec)


def _provider(model_id: str) -> str:
    from vtrix.engine import registry

    return registry.provider_of(model_id)


def remaining(deadline: float | None, default: float) -> float:
    """Seconds left before ``deadline`` (a ``time.monotonic()`` time), else ``default``."""
    return default if deadline is None else max(deadline - time.monotonic(), 0.0)


def warn_resend(reporter: Reporter) -> None:
    """The plain warning ``--resend-unknown`` owes the user before anything is sent."""
    reporter.warn(
        "--resend-unknown: if the earlier submit with this key did create a task, the "
        "gateway may charge for it twice (neither gateway promises to honour the key)"
    )
