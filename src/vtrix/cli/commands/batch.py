"""``vtrix batch FILE`` (JSONL or CSV, ``-`` for stdin), alone or as one of many ``--worker``
processes: the flags read into options, run by :mod:`vtrix.cli.run_batch`; ``batch status``
and ``batch results`` are in :mod:`.batch_report`."""

from __future__ import annotations

import sys
from typing import Any

import click

from vtrix.cli import ending
from vtrix.cli.click_types import DURATION
from vtrix.cli.context import Globals, client_for
from vtrix.cli.io import io_of
from vtrix.cli.lazy import summary
from vtrix.cli.run_options import BUDGET_NAME
from vtrix.cli.saving import save_options, save_request

BATCH_HELP = """Run many tasks: one per line of FILE (JSONL or CSV; - reads stdin).

\b
  {"model": "kirin_v3_i2v", "params": {"image_url": "https://…"}, "key": "cat-1"}
  model,prompt,key                          (CSV: a header row; columns are parameters)

Every line is checked before anything is paid for. Running the same FILE again resumes:
lines already submitted are never submitted again (their tasks are waited on and saved),
lines whose submit outcome is unknown are left alone unless --resubmit-unknown.
`vtrix batch status FILE` shows where a batch stands.

Exit: 0 every line succeeded, 1 a line failed, 3 an outcome is unknown, 124 a wait ran out,
130 interrupted (the state is kept: run again to resume)."""


class BatchGroup(click.Group):
    """``batch FILE …`` runs a batch; ``batch status FILE`` reports on one."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] in self.commands and args[0] != "run":
            return super().resolve_command(ctx, args)
        return "run", self.commands["run"], args

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        run_cmd = self.commands["run"]
        with click.Context(run_cmd, info_name=ctx.info_name, parent=ctx.parent) as sub:
            run_cmd.format_help(sub, formatter)


@click.group(cls=BatchGroup, help=summary("batch"), context_settings={"max_content_width": 100})
def batch() -> None:
    pass


@batch.command(name="run", help=BATCH_HELP, context_settings={"max_content_width": 100})
@click.argument("file", metavar="FILE")
@click.option("--model", "default_model", metavar="ID", help="Model of lines that name none.")
@click.option("--concurrency", type=click.IntRange(1, 1000), default=8, show_default=True)
@click.option(
    "--results", "results_file", metavar="FILE", help="Write one JSON line per input line."
)
@click.option("--max-tasks", type=click.IntRange(min=0), help="Refuse to submit more than N tasks.")
@click.option(
    "--budget",
    metavar="AMOUNT",
    help="Stop submitting (exit 4) before the batch's cost would pass AMOUNT: one cap for "
    "this input, kept in the ledger and shared by every process and worker running it; "
    "rerun with a larger one to go on.",
)
@click.option(
    "--allow-unpriced", is_flag=True, help="With a cap: send lines whose price is unknown."
)
@BUDGET_NAME
@click.option("--yes", "-y", is_flag=True, help="Do not ask before submitting many tasks.")
@click.option("--dry-run", "batch_dry_run", is_flag=True, help="Check every line; send nothing.")
@click.option("--skip-invalid", is_flag=True, help="Run the valid lines, skip the others.")
@click.option(
    "--resubmit-unknown",
    is_flag=True,
    help="Send again (same idempotency key) lines whose earlier submit had no clear answer. "
    "Neither gateway promises to honour the key: the gateway may charge twice.",
)
@click.option(
    "--timeout",
    type=DURATION,
    default=600,
    show_default=True,
    help="Seconds each line may wait for its result.",
)
@click.option(
    "--worker",
    is_flag=True,
    help="Be one of many workers (any machines sharing the ledger) splitting this batch: "
    "each line is claimed with a lease and sent once; a killed worker's lines are taken over.",
)
@click.option(
    "--lease",
    type=DURATION,
    default=60,
    show_default=True,
    help="With --worker: seconds a claim lasts unless its worker renews it.",
)
@ending.output_option("human", "json", help="json: one result line per input line on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@save_options
@click.pass_context
def run_batch(ctx: click.Context, /, file: str, **flags: Any) -> None:
    from vtrix.cli.run_batch import BatchOptions, run_batch

    g = ctx.find_object(Globals) or Globals()
    io = io_of(ctx)
    io.quiet = g.quiet or flags.pop("quiet")
    dry = g.dry_run or flags.pop("batch_dry_run")
    saving = None if dry else save_request(flags)
    for name in ("save_dir", "save_overwrite", "save_max", "save_private"):
        flags.pop(name, None)
    opts = BatchOptions(file, dry_run=dry, save=saving, **flags)
    code = run_batch(opts, client_for(ctx), io)
    if code:
        sys.exit(code)


def _add_reports() -> None:
    from vtrix.cli.commands.batch_report import results, status

    batch.add_command(status)
    batch.add_command(results)


_add_reports()
