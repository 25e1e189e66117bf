"""A batch run, as an options value and a run function (see :mod:`vtrix.cli.run_model`):
``vtrix batch FILE``, alone or as one of many ``--worker`` processes. Every line is checked
before anything is paid for; the driver (:mod:`vtrix.batch.drive`) sends, waits and saves."""

from __future__ import annotations

import time
from collections import Counter
from typing import TYPE_CHECKING

from vtrix.base.record import record
from vtrix.base.text import count

if TYPE_CHECKING:
    from vtrix.batch.checking import Checked
    from vtrix.batch.run import LineResult
    from vtrix.batch.worker import BatchEnd
    from vtrix.cli.io import IO
    from vtrix.cli.output import Reporter
    from vtrix.client import Client
    from vtrix.files.save_request import SaveRequest

CONFIRM_ABOVE = 20  # new paid submits above which a terminal user is asked first


@record(frozen=True)
class BatchOptions:
    """What one batch run was asked: the input (``-``: stdin), the model of lines that name
    none, how many at once, the caps (``max_tasks``, ``budget`` as typed, a named budget),
    whether to send at all (``dry_run``), what to do with invalid lines and unknown
    outcomes, the wait, a worker's lease, and where results go."""

    file: str
    default_model: str | None = None
    concurrency: int = 8
    results_file: str | None = None
    max_tasks: int | None = None
    budget: str | None = None
    allow_unpriced: bool = False
    budget_name: str | None = None
    yes: bool = False
    dry_run: bool = False
    skip_invalid: bool = False
    resubmit_unknown: bool = False
    timeout: float = 600.0
    worker: bool = False
    lease: float = 60.0
    output: str = "human"
    save: SaveRequest | None = None


def run_batch(opts: BatchOptions, client: Client, io: IO) -> int:
    """Check every line, then (unless a dry run) send the new ones, wait and save; returns
    the exit code (0 every line succeeded; see ``vtrix batch --help``)."""
    from vtrix.batch.checking import validate_lines
    from vtrix.batch.drive import drive
    from vtrix.batch.input import batch_id, parse, read_bytes
    from vtrix.batch.run import Options
    from vtrix.cli import batch_preview as preview
    from vtrix.cli import signals
    from vtrix.cli.context import insist_on_key
    from vtrix.cli.run_options import max_cost_of, use_budget

    io.output = opts.output
    data = read_bytes(opts.file)
    lines = parse(data, name=opts.file, model=opts.default_model)
    use_budget(client, opts.budget_name)
    checked = validate_lines(client, lines)
    reporter = io.reporter()
    invalid = [c for c in checked if c.prepared is None]
    new = preview.count_new(client, checked)
    if opts.dry_run:
        preview.dry_run(client, checked, new, io)
    if invalid:
        _report_invalid(invalid, reporter, fatal=not opts.skip_invalid)
    if opts.dry_run:
        return 0
    for provider in {c.prepared.spec.provider for c in checked if c.prepared is not None}:
        insist_on_key(client, provider)
    _check_size(new, opts, io)
    if opts.budget is not None:
        preview.say_what_the_balance_covers(client, checked, reporter)
    if opts.results_file:
        _check_results_file(opts.results_file)
    if opts.resubmit_unknown:
        from vtrix.cli.run_model import warn_resend

        warn_resend(reporter)
    options = Options(
        concurrency=opts.concurrency,
        timeout=opts.timeout,
        resubmit_unknown=opts.resubmit_unknown,
        save=opts.save,
        budget=max_cost_of(opts.budget, "--budget"),
        allow_unpriced=opts.allow_unpriced,
    )
    progress = BatchProgress(reporter, sum(1 for c in checked if c.prepared is not None))
    results, interrupted, whole = drive(
        client,
        batch_id(data),
        checked,
        options,
        progress.event,
        lease=opts.lease if opts.worker else None,
        on_start=signals.cancel_on_signals,
    )
    invalid_shown = invalid if opts.skip_invalid else []
    return _finish(results, invalid_shown, opts, io, reporter, interrupted, whole)


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


def _check_size(new: int, opts: BatchOptions, io: IO) -> None:
    from vtrix.errors import UsageError

    if opts.max_tasks is not None and new > opts.max_tasks:
        raise UsageError(
            f"this batch would submit {count(new, 'task')}, over --max-tasks {opts.max_tasks}; "
            "nothing was sent"
        )
    ask = new > CONFIRM_ABOVE and not opts.yes and io.can_ask()
    if ask and not io.confirm(f"Submit {new} paid tasks?"):
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
    opts: BatchOptions,
    io: IO,
    reporter: Reporter,
    interrupted: bool,
    whole: BatchEnd | None = None,
) -> int:
    """Write ``--results``, print each line's end, and say the exit code."""
    import json

    from vtrix.batch.run import INVALID, LineResult, exit_code, exit_code_of, summary_counts
    from vtrix.cli import signals

    everything = results + [
        LineResult(c.line.number, c.line.key, c.line.model, INVALID, error="; ".join(c.problems))
        for c in invalid
    ]
    everything.sort(key=lambda r: r.line)
    results_lost = False
    if opts.results_file:
        from vtrix.base.atomic import write_text_given
        from vtrix.base.secrets import redact

        try:
            write_text_given(
                opts.results_file,
                redact("".join(json.dumps(r.as_json()) + "\n" for r in everything)),
                mode=0o600,
            )
        except OSError as exc:  # the tasks are in the ledger: `vtrix batch status` shows them
            reporter.error(
                f"--results {opts.results_file} could not be written ({exc.strerror or exc});"
                " every line's task is in the ledger: vtrix batch status FILE -o json"
            )
            results_lost = True
    reporter.end_status()
    if opts.output == "json":
        for r in everything:
            io.emit(json.dumps(r.as_json()))
        io.done()
    else:
        counts = summary_counts(everything)
        if counts or not interrupted:  # Ctrl-C before any line ended: nothing to sum up
            io.emit(
                ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no lines"
            )
        for r in everything:
            if r.status != "succeeded":
                io.emit(f"line {r.line}: {r.status}: {r.error or ''}".rstrip(": "))
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
    return code
