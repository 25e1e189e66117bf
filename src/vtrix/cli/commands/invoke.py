"""Modellix-compatible ``vtrix model invoke --model-slug … (--body|--body-file)``."""

from __future__ import annotations

from typing import Any

import click

from vtrix.cli import ending
from vtrix.cli.click_types import DURATION
from vtrix.cli.completion import complete_model
from vtrix.cli.context import client_for
from vtrix.cli.lazy import summary
from vtrix.cli.run_options import BUDGET_NAME


@click.group(help=summary("model"))
def model() -> None:
    pass


@model.command(name="invoke")
@click.option(
    "--model-slug",
    required=True,
    shell_complete=complete_model,
    metavar="PROVIDER/MODEL",
    help="Model slug, e.g. bytedance/seedream-4.5-t2i.",
)
@click.option("--body", metavar="JSON", help="Request JSON string.")
@click.option("--body-file", metavar="PATH|-", help="Path to a request JSON file, or -.")
@click.option("--api-key", metavar="KEY", help="API key (overrides env var).")
@click.option(
    "--wait", "wait_", is_flag=True, help="Wait for the result instead of returning the task id."
)
@ending.output_option("id", "json", "url")
@click.option(
    "--timeout", type=DURATION, default=600, show_default=True, help="Seconds, or 90s, 5m, 1h."
)
@click.option(
    "--idempotency-key", metavar="KEY", help="Send with this Idempotency-Key (see `vtrix run`)."
)
@click.option("--quiet", "-q", is_flag=True, help="No status lines on stderr.")
@click.option("--max-cost", metavar="AMOUNT", help="Refuse when this task's quote is over AMOUNT.")
@click.option("--allow-unpriced", is_flag=True, help="With a cap: allow unknown prices.")
@BUDGET_NAME
@click.option(
    "--resend-unknown",
    is_flag=True,
    help="Send again a key whose earlier submit had an unknown outcome (may charge twice).",
)
@click.pass_context
def invoke(
    ctx: click.Context,
    model_slug: str,
    body: str | None,
    body_file: str | None,
    api_key: str | None,
    wait_: bool,
    output: str,
    timeout: float,
    idempotency_key: str | None,
    quiet: bool,
    max_cost: str | None,
    allow_unpriced: bool,
    budget_name: str | None,
    resend_unknown: bool,
) -> None:
    """Submit a task and print its task id (then: vtrix task get <task_id>)."""
    from vtrix.cli.context import Globals
    from vtrix.cli.io import io_of
    from vtrix.cli.run_model import RunOptions, run_model
    from vtrix.engine import registry

    g = ctx.find_object(Globals) or Globals()
    io = io_of(ctx)
    io.quiet = g.quiet or quiet
    model_slug = registry.canonical(model_slug)
    io.note(model=model_slug, provider=registry.provider_of(model_slug))
    options = RunOptions(
        model_id=model_slug,
        body=_body(model_slug, body, body_file),
        dry_run=g.dry_run,
        debug=g.debug,
        output=output,
        wait=wait_,
        timeout=timeout,
        idempotency_key=idempotency_key,
        resend_unknown=resend_unknown,
        max_cost=max_cost,
        allow_unpriced=allow_unpriced,
        budget_name=budget_name,
    )
    run_model(options, client_for(ctx, api_key=api_key), io)


def _body(model_slug: str, body: str | None, body_file: str | None) -> dict[str, Any]:
    """The request body of ``--body`` or ``--body-file`` (``-``: stdin); what is wrong with
    it refuses the command, naming the option."""
    import sys

    from vtrix.engine.params import load_body
    from vtrix.errors import Problem, ValidationFailed

    if body is None and body_file is None:
        raise ValidationFailed(
            model_slug, [Problem("--body", "give --body JSON or --body-file PATH")]
        )
    stdin = sys.stdin.read() if body_file == "-" else None
    params, problems = load_body(body, body_file, stdin)
    if problems:
        raise ValidationFailed(model_slug, problems)
    return params
