"""A model's command: its typed options plus the options every ``vtrix run`` has.

Generated command modules call :func:`model_command` with their spec and explicit
``click.option`` decorators; models that are not generated get the same command from
:func:`build_command`. Both end in :func:`vtrix.cli.run.execute`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from vtrix.cli import types as vt
from vtrix.cli.optionspec import OptionSpec, option_specs

RUN_EPILOG = (
    "Values are checked against the model's spec before anything is sent; "
    "--param key=value works for every parameter (dot notation nests, JSON for arrays and "
    "objects). Exit codes: vtrix help exit-codes."
)


def click_type(opt: OptionSpec) -> click.ParamType:  # type: ignore[type-arg]
    """The display type of an option: choices and ranges show in help; text passes through."""
    if opt.choices:
        return vt.Choice(opt.choices)
    kind = opt.kind
    if opt.multiple:
        kind = {"INTEGER": "integer", "NUMBER": "number"}.get(opt.metavar or "", "string")
    bounded = opt.minimum is not None or opt.maximum is not None
    if kind == "integer" and bounded:
        return vt.IntRange(
            None if opt.minimum is None else int(opt.minimum),
            None if opt.maximum is None else int(opt.maximum),
        )
    if kind == "number" and bounded:
        return vt.FloatRange(opt.minimum, opt.maximum)
    return click.STRING


def click_option(opt: OptionSpec) -> click.Option:
    """The click.Option for one OptionSpec (the dynamic twin of a generated decorator)."""
    if opt.kind == "boolean":
        no = "--no-" + opt.flag[2:]
        return click.Option([f"{opt.flag}/{no}", opt.dest], default=None, help=opt.help)
    return click.Option(
        [opt.flag, opt.dest],
        type=click_type(opt),
        multiple=opt.multiple,
        default=None,
        metavar=opt.metavar,
        help=opt.help,
    )


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options every model command has."""
    decorators = [
        click.option(
            "--param",
            "run_param",
            multiple=True,
            metavar="KEY=VALUE",
            help="Model parameter, repeatable. Dot notation nests (a.b=1); JSON for "
            "arrays and objects.",
        ),
        click.option(
            "--body",
            "run_body",
            metavar="JSON",
            help="Base request body as a JSON object; --param and options extend it.",
        ),
        click.option(
            "--body-file",
            "run_body_file",
            metavar="PATH|-",
            help="Read the base body from a file, or - for stdin.",
        ),
        click.option(
            "--output",
            "-o",
            "run_output",
            type=click.Choice(["human", "url", "json"]),
            default="human",
            show_default=True,
            help="url: result URLs only; json: the full final response.",
        ),
        click.option(
            "--timeout",
            "run_timeout",
            type=click.FloatRange(min=0),
            default=600,
            show_default=True,
            help="Maximum seconds to wait for the result.",
        ),
        click.option(
            "--no-wait",
            "run_no_wait",
            is_flag=True,
            help="Submit and print the task id without waiting.",
        ),
        click.option(
            "--poll-interval",
            "run_poll_interval",
            type=click.FloatRange(min=0.1),
            help="First delay between status checks (adapts after).",
        ),
        click.option("--save", "run_save", metavar="DIR", help="Download the results into DIR."),
        click.option(
            "--dry-run",
            "run_dry_run",
            is_flag=True,
            help="Print the request that would be sent; send nothing.",
        ),
        click.option("--quiet", "-q", "run_quiet", is_flag=True, help="No progress on stderr."),
        click.option(
            "--debug",
            "run_debug",
            is_flag=True,
            help="Show HTTP requests (key redacted) on stderr.",
        ),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def model_command(spec: dict[str, Any]) -> Callable[[Callable[..., Any]], click.Command]:
    """Decorator for a generated command function: adds run options, wires execution.

    The option specs (dest -> wire path) are derived from ``spec`` only when the command
    runs, so ``--help`` does no work beyond the explicit ``click.option`` decorators.
    """

    def wrap(f: Callable[..., Any]) -> click.Command:
        def callback(**values: Any) -> None:
            from vtrix.cli.run import execute

            options = option_specs(spec["schema"])
            execute(click.get_current_context(), spec["id"], spec, options, values)

        callback.__doc__ = f.__doc__
        cmd = click.command(
            name=spec["id"],
            help=f.__doc__,
            short_help=spec.get("summary") or None,
            epilog=RUN_EPILOG,
            context_settings={"max_content_width": 100},
        )(run_options(callback))
        cmd.params = list(getattr(f, "__click_params__", []))[::-1] + cmd.params
        return cmd

    return wrap


def model_help(spec: dict[str, Any]) -> str:
    return (
        f"{spec.get('name') or spec['id']} ({spec.get('type')}, {spec.get('provider')}).\n\n"
        f"{spec.get('summary', '')}"
    )


def build_command(model_id: str, spec: dict[str, Any] | None, note: str = "") -> click.Command:
    """A command for a model that is not generated (spec fetched live), or has no spec."""
    opts = option_specs(spec["schema"]) if spec else []

    def callback(**values: Any) -> None:
        from vtrix.cli.run import execute

        execute(click.get_current_context(), model_id, spec, opts, values)

    help_text = (
        model_help(spec)
        if spec
        else (
            f"{model_id}: the gateway publishes no parameter spec for this model; parameters "
            "given with --param/--body are sent as given, unchecked."
        )
    )
    if note:
        help_text += f"\n\n{note}"
    cmd = click.command(
        name=model_id,
        help=help_text,
        epilog=RUN_EPILOG,
        context_settings={"max_content_width": 100},
    )(run_options(callback))
    cmd.params = [click_option(o) for o in opts] + cmd.params
    return cmd
