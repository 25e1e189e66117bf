"""The options every model command has (vtrix run MODEL …): the body, the output, the wait, the
idempotency key and the cost cap."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from vtrix.cli.click_types import DURATION, Word
from vtrix.cli.completion import complete_param
from vtrix.cli.saving import save_options

if TYPE_CHECKING:
    pass


RUN_EPILOG = (
    "Values are checked against the model's spec before anything is sent; "
    "--param key=value works for every parameter (dot notation nests, JSON for arrays and "
    "objects). Exit codes: vtrix help exit-codes."
)


IDEMPOTENCY_OPTIONS = (
    click.option(
        "--idempotency-key",
        "run_idempotency_key",
        metavar="KEY",
        help="Send with this Idempotency-Key: a task the ledger already has for it is "
        "not sent again. Neither gateway promises to honour the key itself.",
    ),
    click.option(
        "--resend-unknown",
        "run_resend_unknown",
        is_flag=True,
        help="Send again a key whose earlier submit had an unknown outcome (the "
        "gateway may charge twice: check its console or `vtrix task list` first).",
    ),
)


COST_OPTIONS = (
    click.option(
        "--max-cost",
        "run_max_cost",
        metavar="AMOUNT",
        help="Refuse to submit (exit 4, nothing sent) when this task's quote is over "
        "AMOUNT, or unknown (see `vtrix quote`).",
    ),
    click.option(
        "--budget-name",
        "run_budget_name",
        metavar="NAME",
        help="Charge the task to the named budget NAME (`vtrix budget set`): kept in the "
        "ledger, shared by every process (and the team, on a shared ledger).",
    ),
    click.option(
        "--allow-unpriced",
        "run_allow_unpriced",
        is_flag=True,
        help="With --max-cost: submit even when the price is unknown.",
    ),
)


def _note_output(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    """``-o``'s callback (:func:`vtrix.cli.ending.note_output`), imported when it runs:
    ``vtrix run MODEL --help`` does not load the endings."""
    from vtrix.cli.ending import note_output

    return note_output(ctx, param, value)


def max_cost_of(text: str | None, option: str = "--max-cost") -> Any:
    """The amount of ``--max-cost`` or ``--budget`` (a Decimal), or None."""
    if text is None:
        return None
    from vtrix.base.amounts import amount
    from vtrix.errors import UsageError

    value = amount(text)
    if value is None:
        raise UsageError(f"{option} {text!r} is not an amount (say 0.50)")
    return value


def use_budget(client: Any, name: str | None) -> None:
    """Charge every submit of ``client`` to the named budget ``name`` (if given)."""
    if not name:
        return
    from vtrix.engine.money import budget_account

    account = budget_account(name)
    if account not in client.session.accounts:
        client.session.accounts = (*client.session.accounts, account)


BUDGET_NAME = click.option(
    "--budget-name",
    metavar="NAME",
    help="Charge every submit to the named budget NAME (`vtrix budget set`): kept in the "
    "ledger, shared by every process (and the team, on a shared ledger).",
)


def run_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options every model command has."""
    decorators = [
        click.option(
            "--param",
            "run_param",
            multiple=True,
            metavar="KEY=VALUE",
            shell_complete=complete_param,
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
            type=Word(("human", "url", "json"), "output format"),
            default="human",
            show_default=True,
            callback=_note_output,
            help="url: result URLs only; json: the task as one JSON object (README).",
        ),
        click.option(
            "--timeout",
            "run_timeout",
            type=DURATION,
            default=600,
            show_default=True,
            help="A deadline for the whole command when given: the submit, the wait and "
            "the download all end by then (exit 124, or 3 if the submit's answer was cut). "
            "Without it the wait stops after 600 s; the submit and the download have their "
            "own bounds (60 s, 1 h).",
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
        *IDEMPOTENCY_OPTIONS,
        *COST_OPTIONS,
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
    return save_options(f)
