"""``vtrix batch FILE`` (JSONL or CSV, ``-`` for stdin), alone or as one of many ``--worker``
processes; ``batch status`` and ``batch results`` are in :mod:`.batch_report`."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TYPE_CHECKING, Any

import click

from vtrix.base.text import count
from vtrix.cli import ending, signals
from vtrix.cli.click_types import DURATION
from vtrix.cli.commands import batch_preview as preview
from vtrix.cli.context import Globals, client_for
from vtrix.cli.lazy import summary
from vtrix.cli.run_options import BUDGET_NAME, use_budget
from vtrix.cli.saving import save_options, save_request

if TYPE_CHECKING:
    from vtrix.batch.checking import Checked
    from vtrix.batch.run import LineResult
    from vtrix.batch.worker import BatchEnd
    from vtrix.cli.output import Reporter

CONFIRM_ABOVE = 20  # new paid submits above which a terminal user is asked first

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
def run_batch(ctx: click.Context, /, file: str, **opts: Any) -> None:
    from vtrix.batch.checking import validate_lines
    from vtrix.batch.input import batch_id, parse, read_bytes
    from vtrix.batch.run import Options
    from vtrix.cli.output import Reporter

    g = ctx.find_object(Globals) or Globals()
    dry = g.dry_run or opts["batch_dry_run"]
    saving = None if dry else save_request(opts)
    data = read_bytes(file)
    lines = parse(data, name=file, model=opts["default_model"])
    client = client_for(ctx)
    use_budget(client, opts["budget_name"])
    checked = validate_lines(client, lines)
    reporter = Reporter(quiet=g.quiet or opts["quiet"])
    invalid = [c for c in checked if c.prepared is None]
    bid = batch_id(data)
    new = preview.count_new(client, checked)
    if dry:
        preview.dry_run(client, checked, new)
    if invalid:
        _report_invalid(invalid, reporter, fatal=not opts["skip_invalid"])
    if dry:
        return
    for provider in {c.prepared.spec.provider for c in checked if c.prepared is not None}:
        client_for(ctx, require_key=True, provider=provider)
    _check_size(new, opts, reporter)
    if opts["budget"] is not None:
        preview.say_what_the_balance_covers(client, checked, reporter)
    if opts["results_file"]:
        _check_results_file(opts["results_file"])
    if opts["resubmit_unknown"]:
        from vtrix.cli.run_model import warn_resend

        warn_resend(reporter)
    from vtrix.cli.run_options import max_cost_of

    options = Options(
        concurrency=opts["concurrency"],
        timeout=opts["timeout"],
        resubmit_unknown=opts["resubmit_unknown"],
        save=saving,
        budget=max_cost_of(opts["budget"], "--budget"),
        allow_unpriced=opts["allow_unpriced"],
    )
    from vtrix.batch.drive import drive

    progress = BatchProgress(reporter, sum(1 for c in checked if c.prepared is not None))
    results, interrupted, whole = drive(
        client,
        bid,
        checked,
        options,
        progress.event,
        lease=opts["lease"] if opts["worker"] else None,
        on_start=signals.cancel_on_signals,
    )
    _finish(results, invalid if opts["skip_invalid"] else [], opts, reporter, interrupted, whole)


def _report_invalid(invalid: list[Checked], reporter: Reporter, *, fatal: bool) -> None:
    from vtrix.errors import InvalidLines, Problem

    lines = [f"line {c.line.number}: {p}" for c in invalid for p in c.problems]
    if fatal:
        raise InvalidLines(
            f"{count(len(invalid), 'line')} cannot be sent; nothing was sent:\n  "
            + "\n  ".join(lines),
            [Problem(f"line {c.line.number}", p) for c in invalid for p in c.problems],
            hint="Fix them, or pass --skip-invalid to run the others.",
        )
    for text in lines:
        reporter.warn(text)


def _check_results_file(path: str) -> None:
    """``--results`` must be writable before anything is paid, as ``--save`` must."""
    import os

    from vtrix.errors import UsageError

    target = os.path.abspath(path)
    parent = os.path.dirname(target)
    if os.path.isdir(target):
        raise UsageError(f"--results {path}: is a directory; nothing was sent")
    if not os.path.isdir(parent) or not os.access(parent, os.W_OK | os.X_OK):
        raise UsageError(
            f"--results {path}: its directory {parent} does not exist or is not writable; "
            "nothing was sent"
        )


def _check_size(new: int, opts: dict[str, Any], reporter: Reporter) -> None:
    from vtrix.errors import UsageError

    if opts["max_tasks"] is not None and new > opts["max_tasks"]:
        raise UsageError(
            f"this batch would submit {count(new, 'task')}, over --max-tasks {opts['max_tasks']}; "
            "nothing was sent"
        )
    ask = new > CONFIRM_ABOVE and not opts["yes"] and sys.stdin.isatty() and sys.stderr.isatty()
    if ask and not click.confirm(f"Submit {new} paid tasks?", default=False, err=True):
        raise UsageError("not confirmed; nothing was sent")


class BatchProgress:
    """done / running / failed / unknown, rate and ETA on a terminal; a line per finished
    input line otherwise."""

    def __init__(self, reporter: Reporter, total: int) -> None:
        self.reporter = reporter
        self.total = total
        self.counts: Counter[str] = Counter()
        self.started = time.monotonic()

    def event(self, kind: str, result: LineResult | None) -> None:
        if result is None:
            return
        if kind == "held":
            self.reporter.line(
                f"line {result.line}: another vtrix process is sending it; waiting for its task"
            )
            return
        if kind == "running":
            self.counts["running"] += 1
        else:
            self.counts["running"] -= 1 if result.task_id and not result.resumed else 0
            self.counts[result.status] += 1
            if not self.reporter.tty:
                task = result.task_id or "-"
                self.reporter.line(f"line {result.line}: {result.status} {task}".rstrip())
        self._show()

    def _show(self) -> None:
        done = sum(v for k, v in self.counts.items() if k != "running")
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        eta = (
            f"  ETA {round((self.total - done) / rate)}s" if rate > 0 and done < self.total else ""
        )
        c = self.counts
        text = (
            f"{done}/{self.total} done · {max(c['running'], 0)} running · {c['failed']} failed"
            f" · {c['unknown']} unknown · {rate:.1f}/s{eta}"
        )
        self.reporter.status(text)


def _finish(
    results: list[LineResult],
    invalid: list[Checked],
    opts: dict[str, Any],
    reporter: Reporter,
    interrupted: bool,
    whole: BatchEnd | None = None,
) -> None:
    import json

    from vtrix.batch.run import INVALID, LineResult, exit_code, exit_code_of, summary_counts
    from vtrix.cli.output import emit

    everything = results + [
        LineResult(c.line.number, c.line.key, c.line.model, INVALID, error="; ".join(c.problems))
        for c in invalid
    ]
    everything.sort(key=lambda r: r.line)
    results_lost = False
    if opts["results_file"]:
        from vtrix.base.atomic import write_text_given
        from vtrix.base.secrets import redact

        try:
            write_text_given(
                opts["results_file"],
                redact("".join(json.dumps(r.as_json()) + "\n" for r in everything)),
                mode=0o600,
            )
        except OSError as exc:  # the tasks are in the ledger: `vtrix batch status` shows them
            reporter.error(
                f"--results {opts['results_file']} could not be written ({exc.strerror or exc});"
                " every line's task is in the ledger: vtrix batch status FILE -o json"
            )
            results_lost = True
    reporter.end_status()
    if opts["output"] == "json":
        for r in everything:
            emit(json.dumps(r.as_json()))
        ending.printed()
    else:
        counts = summary_counts(everything)
        if counts or not interrupted:  # Ctrl-C before any line ended: nothing to sum up
            emit(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no lines")
        for r in everything:
            if r.status != "succeeded":
                emit(f"line {r.line}: {r.status}: {r.error or ''}".rstrip(": "))
    if interrupted:
        reporter.warn("interrupted; the batch's state is kept: run the same command to resume")
    code = exit_code(everything, interrupted) or (1 if results_lost else 0)
    if interrupted:
        code = signals.exit_code()  # 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP
    if whole is not None:  # a worker: the batch as a whole, whoever ran each line
        counts = Counter(whole.outcomes.values())
        reporter.line(
            f"this worker ran {count(len(results), 'line')} "
            f"({count(whole.statements, 'ledger statement')}); "
            "the batch: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
        )
        code = exit_code_of(set(whole.outcomes.values()), interrupted) or (1 if results_lost else 0)
    if code:
        sys.exit(code)


def _add_reports() -> None:
    from vtrix.cli.commands.batch_report import results, status

    batch.add_command(status)
    batch.add_command(results)


_add_reports()
