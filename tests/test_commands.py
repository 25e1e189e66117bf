"""Every command that is not ``run``/``task get``/``task wait`` (those have tables of their own)
tested as gh tests a command: options in, the gateways stubbed on the mock transport, the
ledger in a fresh home, stdout and the error (code and exit code) out. One table, a row per
case; a row may first do something through the client (a submit, a batch) so the command
has a ledger to read."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import CANARY
from test_run_model import IMAGE, KIRIN, Stub, done, gateway, reply, submitted

from vtrix.cli.io import IO
from vtrix.cli.run_auth import run_auth_logout, run_auth_status
from vtrix.cli.run_batch import BatchOptions, run_batch
from vtrix.cli.run_batch_report import ReportOptions, run_batch_results, run_batch_status
from vtrix.cli.run_budget import BudgetOptions, run_budget_list, run_budget_rm, run_budget_set
from vtrix.cli.run_catalog import ListOptions, SpecOptions, run_models_list, run_models_spec
from vtrix.cli.run_doctor import run_doctor
from vtrix.cli.run_ledger import run_ledger_status
from vtrix.cli.run_money import (
    PriceOptions,
    QuoteOptions,
    SpendOptions,
    run_balance,
    run_prices_list,
    run_prices_set,
    run_quote,
    run_spend,
)
from vtrix.cli.run_task_list import ListOptions as TaskListOptions
from vtrix.cli.run_task_list import run_task_list
from vtrix.errors import VtrixError
from vtrix.http import MockTransport, Response
from vtrix.http.transport import Request

BATCH = "batch.jsonl"  # written into the test's home by the rows that run a batch
LINES = [
    {"model": KIRIN, "params": IMAGE, "key": "cat-1"},
    {"model": KIRIN, "params": {**IMAGE, "duration": 6}, "key": "cat-2"},
]
BAD_LINE = {"model": KIRIN, "params": {**IMAGE, "resolution": "999p"}, "key": "cat-3"}


def modellix_balance(handler: Stub, left: Any) -> Stub:
    """``handler`` with Modellix's balance route answering ``left`` in its envelope."""

    def handle(request: Request) -> Response:
        if request.url.split("?", 1)[0].endswith("/api/v1/team/balance"):
            return reply(200, {"code": 0, "message": "success", "data": {"balance": left}})
        return handler(request)

    return handle


def submit_one(client: Any, home: Path) -> None:
    client.run(KIRIN, **IMAGE)


def batch_file(home: Path, lines: list[dict[str, Any]]) -> str:
    path = home / BATCH
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return str(path)


def run_the_batch(client: Any, home: Path) -> None:
    run_batch(BatchOptions(batch_file(home, LINES)), client, IO(io.StringIO(), io.StringIO()))


def set_budget(client: Any, home: Path) -> None:
    run_budget_set(BudgetOptions("team", "5"), client, IO(io.StringIO(), io.StringIO()))


Command = Callable[[Any, Any, IO], Any]
Setup = Callable[[Any, Path], None]


def batch(**options: Any) -> Command:
    """``run_batch`` on :data:`LINES` (plus ``BAD_LINE`` with ``bad=True``), as a row runs."""
    bad = options.pop("bad", False)

    def command(home: Path, client: Any, command_io: IO) -> Any:
        path = batch_file(home, LINES + ([BAD_LINE] if bad else []))
        return run_batch(BatchOptions(path, **options), client, command_io)

    return command


def plain(run: Callable[..., Any], *args: Any) -> Command:
    """A run function called with ``args`` then the client and the IO."""
    return lambda home, client, command_io: run(*args, client, command_io)


def batch_report(run: Callable[..., Any], output: str) -> Command:
    return lambda home, client, command_io: run(
        ReportOptions(str(home / BATCH), output=output), client, command_io
    )


def settings_of(run: Callable[..., Any]) -> Command:
    return lambda home, client, command_io: run(client.settings, command_io)


@pytest.mark.parametrize(
    ("command", "setup", "handler", "want_out", "want", "posts"),
    [
        pytest.param(
            plain(run_quote, QuoteOptions(KIRIN, ("duration=6",))),
            None,
            gateway(),
            f"{KIRIN}: 0.30",
            None,
            0,
            id="quote: your price, nothing sent",
        ),
        pytest.param(
            plain(run_quote, QuoteOptions(KIRIN, ("resolution=999p",))),
            None,
            gateway(),
            "",
            ("invalid_params", 2),
            0,
            id="quote: a value outside the spec names the field",
        ),
        pytest.param(
            plain(run_quote, QuoteOptions("kirin_v9", output="json")),
            None,
            gateway(),
            "",
            ("unknown_model", 2),
            0,
            id="quote: an unknown model",
        ),
        pytest.param(
            plain(run_prices_set, PriceOptions(KIRIN, "0.5", "second")),
            None,
            gateway(),
            f"{KIRIN}: 0.5 per second",
            None,
            0,
            id="prices set",
        ),
        pytest.param(
            plain(run_prices_set, PriceOptions(KIRIN, "half a dollar")),
            None,
            gateway(),
            "",
            ("usage_error", 2),
            0,
            id="prices set: not an amount",
        ),
        pytest.param(
            plain(run_prices_list, "json"),
            None,
            gateway(),
            '"amount": "0.30"',
            None,
            0,
            id="prices list as JSON",
        ),
        pytest.param(
            plain(run_balance, "json"),
            None,
            modellix_balance(gateway(), 12.5),
            '"balance": "12.5"',
            None,
            0,
            id="balance: a gateway's stated balance, as a decimal string",
        ),
        pytest.param(
            plain(run_spend, SpendOptions()),
            submit_one,
            gateway(submitted, done),
            "total",
            None,
            1,
            id="spend: a table with the total",
        ),
        pytest.param(
            plain(run_spend, SpendOptions(group="provider", output="json")),
            submit_one,
            gateway(submitted, done),
            '"vtrix": {',
            None,
            1,
            id="spend by provider as JSON",
        ),
        pytest.param(
            plain(run_task_list, TaskListOptions(output="id")),
            submit_one,
            gateway(submitted, done),
            "task_1\n",
            None,
            1,
            id="task list: the ids",
        ),
        pytest.param(
            plain(run_task_list, TaskListOptions(status="failed", output="json")),
            submit_one,
            gateway(submitted, done),
            "[]",
            None,
            1,
            id="task list: a filter that keeps none lists none",
        ),
        pytest.param(
            plain(run_models_list, ListOptions(offline=True, output="id", search="kirin_v3")),
            None,
            gateway(),
            f"{KIRIN}\n",
            None,
            0,
            id="models list offline: the generated index",
        ),
        pytest.param(
            plain(run_models_list, ListOptions(kind="vidoe")),
            None,
            gateway(),
            "",
            ("usage_error", 2),
            0,
            id="models list: a type that is a typo",
        ),
        pytest.param(
            plain(run_models_spec, SpecOptions(KIRIN)),
            None,
            gateway(),
            f"Model: {KIRIN}",
            None,
            0,
            id="models spec: the built-in one when the live one is not there",
        ),
        pytest.param(
            plain(run_models_spec, SpecOptions(KIRIN, output="json")),
            None,
            gateway(),
            '"source": "generated"',
            None,
            0,
            id="models spec as JSON",
        ),
        pytest.param(
            plain(run_budget_set, BudgetOptions("team", "5", "day")),
            None,
            gateway(),
            "budget team: 5 a day",
            None,
            0,
            id="budget set",
        ),
        pytest.param(
            plain(run_budget_set, BudgetOptions("team", "lots")),
            None,
            gateway(),
            "",
            ("usage_error", 2),
            0,
            id="budget set: not an amount",
        ),
        pytest.param(
            plain(run_budget_list, "json"),
            set_budget,
            gateway(),
            '"left": "5"',
            None,
            0,
            id="budget list as JSON",
        ),
        pytest.param(
            plain(run_budget_rm, BudgetOptions("nobody")),
            None,
            gateway(),
            "",
            ("usage_error", 2),
            0,
            id="budget rm: no such budget",
        ),
        pytest.param(
            plain(run_ledger_status, "human"),
            submit_one,
            gateway(submitted, done),
            "tasks: 1",
            None,
            1,
            id="ledger status",
        ),
        pytest.param(
            plain(run_doctor, True, "human"),
            None,
            gateway(),
            "ledger:",
            0,
            0,
            id="doctor offline asks no gateway",
        ),
        pytest.param(
            settings_of(run_auth_status),
            None,
            gateway(),
            "vtrix:     sk-",
            None,
            0,
            id="auth status: each gateway's key, masked",
        ),
        pytest.param(
            lambda home, client, command_io: run_auth_logout("nobody", command_io),
            None,
            gateway(),
            "Profile 'nobody' held no key",
            None,
            0,
            id="auth logout of a profile with no key",
        ),
        pytest.param(
            batch(dry_run=True),
            None,
            gateway(submitted, done),
            "2 would be submitted now",
            0,
            0,
            id="batch dry run: quotes, nothing sent",
        ),
        pytest.param(
            batch(),
            None,
            gateway(submitted, done),
            "2 succeeded",
            0,
            2,
            id="batch: every line succeeds",
        ),
        pytest.param(
            batch(bad=True),
            None,
            gateway(submitted, done),
            "",
            ("invalid_params", 2),
            0,
            id="batch: an invalid line, nothing sent",
        ),
        pytest.param(
            batch(bad=True, skip_invalid=True, output="json"),
            None,
            gateway(submitted, done),
            '"outcome": "invalid"',
            1,
            2,
            id="batch: --skip-invalid runs the others",
        ),
        pytest.param(
            batch(budget="0.30"),
            None,
            gateway(submitted, done),
            "1 succeeded",
            4,
            1,
            id="batch: a budget that covers one line sends one",
        ),
        pytest.param(
            batch(max_tasks=1),
            None,
            gateway(submitted, done),
            "",
            ("usage_error", 2),
            0,
            id="batch: over --max-tasks, nothing sent",
        ),
        pytest.param(
            batch_report(run_batch_status, "table"),
            run_the_batch,
            gateway(submitted, done),
            "2 succeeded",
            None,
            2,
            id="batch status after a run",
        ),
        pytest.param(
            batch_report(run_batch_results, "jsonl"),
            run_the_batch,
            gateway(submitted, done),
            '"key": "cat-2"',
            None,
            2,
            id="batch results after a run",
        ),
    ],
)
def test_command(
    home: Path,
    command: Any,
    setup: Setup | None,
    handler: Stub,
    want_out: str,
    want: tuple[str, int] | int | None,
    posts: int,
) -> None:
    """``want``: an error's (code, exit code), or the exit code a run function returns."""
    from vtrix import Client
    from vtrix.engine.pricing import set_price

    set_price(KIRIN, Decimal("0.30"), "task")
    transport = MockTransport(handler)
    client = Client(api_key=CANARY, transport=transport)
    if setup is not None:
        setup(client, home)
    out, err = io.StringIO(), io.StringIO()
    error: VtrixError | None = None
    returned: Any = None
    try:
        returned = command(home, client, IO(stdout=out, stderr=err))
    except VtrixError as exc:
        error = exc
    if isinstance(want, tuple):
        assert error is not None, out.getvalue()
        assert (error.code, error.exit_code) == want, error.message
        assert out.getvalue() == ""  # the root command prints the error (and -o json's object)
    else:
        assert error is None, (error, err.getvalue())
        assert want_out in out.getvalue(), out.getvalue()
        if isinstance(want, int):
            assert returned == want, err.getvalue()
    sent = [r for r in transport.requests if r.method == "POST"]
    assert len(sent) == posts
    assert CANARY not in out.getvalue() + err.getvalue()
