"""``vtrix run <model_id>``: a lazy group of one command per model, and their execution."""

from __future__ import annotations

import sys
from typing import Any

import click

from vtrix.cli.context import Globals, client_for
from vtrix.cli.optionspec import OptionSpec
from vtrix.errors import Problem, ValidationFailed

RUN_HELP = """Submit a generation task and wait for the result.

\b
  vtrix run kirin_v3_i2v --image-url https://example.com/cat.jpg --duration 6
  vtrix run kirin_v3_i2v --param image_url=https://example.com/cat.jpg --output url
  vtrix --dry-run run spark_dance_v2_0 --param prompt="neon city"

Each model has its own typed options: vtrix run MODEL_ID --help. Progress goes to stderr,
the result to stdout. Models below come from the generated index; any other id the gateway
knows works too (its spec is fetched and checked the same way)."""


class RunGroup(click.Group):
    """Resolves ``<model_id>`` lazily: generated command module, else a live spec."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        from vtrix import registry

        return sorted(e.id for e in registry.index().values() if e.module)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        from vtrix import registry

        entry = registry.lookup(cmd_name)
        if entry is not None and entry.module:
            cmd: click.Command = registry.command_module(entry).command
            return cmd
        return _live_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from vtrix import registry

        entries = sorted(
            (e for e in registry.index().values() if e.module), key=lambda e: (e.provider, e.id)
        )
        if not entries:
            return
        # One line per model, cut to the width (click's write_dl wraps, and is slow for
        # a catalog of thousands).
        width = min(max(len(e.id) for e in entries), 40)
        limit = max((formatter.width or 80) - 2, 40)
        lines = [f"  {e.id:<{width}}  {e.type:<6} {e.summary}"[:limit] for e in entries]
        formatter.write_paragraph()
        formatter.write(
            f"Models ({len(entries)} generated; `vtrix models list` shows the whole catalog):\n"
        )
        formatter.write("\n".join(lines) + "\n")

    def resolve_command(
        self,
        ctx: click.Context,
        args: list[str],
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        cmd = self.get_command(ctx, name)
        if cmd is None:
            raise click.UsageError(
                f"unknown model {name!r}. List models with `vtrix models list`.", ctx
            )
        return name, cmd, args[1:]


def _live_command(ctx: click.Context, model_id: str) -> click.Command | None:
    """A command for a model that is not generated: built from its live spec."""
    from vtrix.cli.modelcmd import build_command
    from vtrix.errors import ApiError, NotFound

    if not model_id or model_id.startswith("-"):
        return None
    client = client_for(ctx)
    try:
        spec, _ = client.resolve(model_id)
    except NotFound:
        return None
    except ApiError as exc:
        exc.message = f"cannot load the spec of {model_id!r}: {exc.message}"
        raise
    note = "(spec fetched live: this model is not in the generated index)"
    return build_command(model_id, spec.to_dict() if spec else None, note)


def execute(
    ctx: click.Context,
    model_id: str,
    spec: dict[str, Any] | None,
    options: list[OptionSpec],
    values: dict[str, Any],
) -> None:
    """Build the body, validate, then dry-run or submit and wait."""
    from vtrix import registry
    from vtrix.client import unchecked_spec
    from vtrix.output import Reporter, emit
    from vtrix.params import BodyBuilder, load_body
    from vtrix.spec.normalise import ModelSpec

    g = ctx.find_object(Globals) or Globals()
    dry = g.dry_run or values["run_dry_run"]
    quiet = g.quiet or values["run_quiet"]
    debug = g.debug or values["run_debug"]
    g.debug = debug
    schema = spec["schema"] if spec else None
    stdin = sys.stdin.read() if values["run_body_file"] == "-" else None
    base, body_problems = load_body(values["run_body"], values["run_body_file"], stdin)
    builder = BodyBuilder(schema, base)
    builder.problems.extend(body_problems)
    builder.add_params(list(values["run_param"]))
    for opt in options:
        value = values.get(opt.dest)
        if value is None or value == ():
            continue
        if opt.kind == "boolean":
            builder.add_value(opt.path, bool(value), opt.flag)
        elif opt.multiple:
            builder.add_texts(opt.path, list(value), opt.flag)
        else:
            builder.add_text(opt.path, value, opt.flag)
    problems: list[Problem] = list(builder.problems)
    reporter = Reporter(quiet=quiet)
    if spec is not None:
        from vtrix.validate import validate

        seen = {p.path for p in problems}
        model = registry.params_model(model_id)
        problems += [p for p in validate(builder.body, spec["schema"], model) if p.path not in seen]
        extra = _extra_keys(builder.body, spec["schema"])
        if extra:
            reporter.warn(
                f"not in the published spec of {model_id} (sent as given): " + ", ".join(extra)
            )
        mspec = ModelSpec.from_dict(spec)
    else:
        reporter.warn(
            f"{model_id}: the gateway publishes no parameter spec; parameters are sent unchecked."
        )
        mspec = unchecked_spec(model_id, registry.provider_of(model_id))
    if problems:
        raise ValidationFailed(model_id, problems)

    client = client_for(ctx, require_key=not dry, provider=mspec.provider)
    request = client.provider(mspec.provider).prepare_submit(mspec, builder.body)
    if dry:
        emit(f"[dry-run] {request.method} {request.path}")
        if debug:
            emit(f"URL: {request.url}")
            for k, v in request.headers.items():
                emit(f"{k}: {'Bearer ***' if k == 'Authorization' else v}")
        emit(request.body_json())
        return
    run_request(ctx, client, request, mspec, values, reporter)


def _extra_keys(body: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    if not schema.get("additionalProperties"):
        return []
    known = schema.get("properties", {})
    return [k for k in body if k not in known]


def run_request(
    ctx: click.Context,
    client: Any,
    request: Any,
    spec: Any,
    values: dict[str, Any],
    reporter: Any,
) -> None:
    from vtrix.errors import VtrixError
    from vtrix.output import emit, print_result, to_json

    output = values["run_output"]
    reporter.line("Submitting task...")
    task = client.submit_prepared(request, spec)
    reporter.ok(f"Task created: {task.id}")
    if values["run_no_wait"]:
        reporter.line(f"Check it with: vtrix task get {task.id}")
        emit(to_json(task.state.raw) if output == "json" else task.id)
        return
    reporter.line()
    reporter.line("Waiting for result...")

    def on_progress(state: Any, remaining: float | None) -> None:
        reporter.progress(state.progress, remaining, state.remote_status or state.status)

    try:
        result = task.wait(
            timeout=values["run_timeout"],
            on_progress=on_progress,
            poll_interval=values["run_poll_interval"],
        )
    except VtrixError:
        reporter.line()
        raise
    if task.state.progress is not None and task.state.progress < 100:
        reporter.progress(100.0, None, "done")
    reporter.line()
    reporter.ok("Done")
    saved: list[str] = []
    if values["run_save"]:
        saved = result.save(values["run_save"], client)
        for path in saved:
            reporter.line(f"  saved {path}")
    print_result(result, output, saved)
