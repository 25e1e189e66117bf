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

from vtrix.cli.click_types import click_option
from vtrix.cli.context import Globals, client_for
from vtrix.cli.run_options import RUN_EPILOG, run_options
from vtrix.cli.saving import save_request
from vtrix.spec.option import PARTIAL_NOTE, Option, stored_options

if TYPE_CHECKING:
    from vtrix.engine.prepare import Resolved


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
    if spec and (spec.get("schema") or {}).get("additionalProperties") is True:
        help_text += f"\n\n{PARTIAL_NOTE}"
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
    """The command's flags into :class:`~vtrix.cli.run_model.RunOptions`, then
    :func:`~vtrix.cli.run_model.run_model`."""
    from vtrix.cli.io import io_of
    from vtrix.cli.run_model import RunOptions, run_model

    g = ctx.find_object(Globals) or Globals()
    io = io_of(ctx)
    dry = g.dry_run or values["run_dry_run"]
    debug = g.debug or values["run_debug"]
    if debug and not g.debug:
        from vtrix.base.log import enable_debug

        enable_debug()
        g.debug = True
    io.quiet = g.quiet or values["run_quiet"]
    explicit = ctx.get_parameter_source("run_timeout") is not click.core.ParameterSource.DEFAULT
    deadline = time.monotonic() + values["run_timeout"] if explicit else None
    saving = None if dry else save_request(values, no_wait=values["run_no_wait"])
    body, problems = build_body(spec, opts, values)
    client = client_for(ctx)
    if resolved is None and spec is not None:  # the generated spec this command was built from
        resolved = client.resolve(model_id, spec, live=True)
    options = RunOptions(
        model_id=model_id,
        body=body,
        problems=problems,
        resolved=resolved,
        dry_run=dry,
        debug=debug,
        output=values["run_output"],
        wait=not values["run_no_wait"],
        timeout=values["run_timeout"],
        deadline=deadline,
        poll_interval=values["run_poll_interval"],
        idempotency_key=values["run_idempotency_key"],
        resend_unknown=bool(values.get("run_resend_unknown")),
        max_cost=values.get("run_max_cost"),
        allow_unpriced=bool(values.get("run_allow_unpriced")),
        budget_name=values.get("run_budget_name"),
        save=saving,
    )
    run_model(options, client, io)


def _derived_options(spec: dict[str, Any]) -> list[Option]:
    from vtrix.spec.describe import spec_options

    return spec_options(spec)
