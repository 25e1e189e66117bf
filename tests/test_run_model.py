"""``run_model`` tested as gh tests a command: options in, the gateway stubbed on the mock
transport, stdout and the error (its code and exit code) out. One table, a row per case; the
waits run on the fake clock. What click adds (flags into options) is tested elsewhere."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from conftest import CANARY

from vtrix.cli.io import IO
from vtrix.cli.run_model import RunOptions, run_model
from vtrix.errors import Problem, VtrixError
from vtrix.http import MockTransport, Response
from vtrix.http.transport import Request

KIRIN = "kirin_v3_i2v"
IMAGE = {"image_url": "https://example.com/a.jpg"}
SUBMIT = "/model/v1/generation"
TASK = re.compile(r"/model/v1/generation/task/([^/?]+)")
VIDEO = "https://cdn.example/o.mp4"


def task(task_id: str = "task_1", status: str = "completed", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id": task_id, "model": KIRIN, "status": status, **extra}
    if status == "completed":
        body["output"] = [{"content": [{"type": "video", "url": VIDEO}]}]
    return body


def reply(status: int = 200, body: Any = None) -> Response:
    return Response(status, {"content-type": "application/json"}, json.dumps(body).encode(), "")


Stub = Callable[[Request], Response]


def gateway(submit: Stub | None = None, poll: Stub | None = None) -> Stub:
    """A vtrix gateway: the submit answers with ``submit``, polls with ``poll``; anything else
    is a 404 (a live-spec look-up among them: the generated spec is used)."""

    def handle(request: Request) -> Response:
        path = request.url.split("://", 1)[-1].split("/", 1)[-1]
        path = "/" + path.split("?", 1)[0]
        if request.method == "POST" and path == SUBMIT and submit is not None:
            return submit(request)
        if request.method == "GET" and TASK.fullmatch(path) and poll is not None:
            return poll(request)
        return reply(404, {"message": "no such route"})

    return handle


def submitted(request: Request) -> Response:
    return reply(200, task(status="in_progress", progress=0))


def done(request: Request) -> Response:
    return reply(200, task())


@pytest.mark.parametrize(
    ("opts", "handler", "key", "want_out", "want_error", "posts"),
    [
        pytest.param(
            RunOptions(KIRIN, IMAGE, dry_run=True),
            gateway(),
            None,
            f"[dry-run] POST {SUBMIT}",
            None,
            0,
            id="a dry run prints the request and needs no key",
        ),
        pytest.param(
            RunOptions(KIRIN, IMAGE, dry_run=True, output="json"),
            gateway(),
            CANARY,
            '"dry_run": true',
            None,
            0,
            id="a dry run in JSON is one object",
        ),
        pytest.param(
            RunOptions(KIRIN, IMAGE, wait=False),
            gateway(submitted),
            CANARY,
            "task_1\n",
            None,
            1,
            id="without waiting, the id",
        ),
        pytest.param(
            RunOptions(KIRIN, IMAGE, wait=False, output="json"),
            gateway(submitted),
            CANARY,
            '"id": "task_1"',
            None,
            1,
            id="without waiting, the task as JSON",
        ),
        pytest.param(
            RunOptions(KIRIN, IMAGE, output="url"),
            gateway(submitted, done),
            CANARY,
            f"{VIDEO}\n",
            None,
            1,
            id="a wait ends with the result URL",
        ),
        pytest.param(
            RunOptions(KIRIN, IMAGE, output="id"),
            gateway(submitted, done),
            CANARY,
            "task_1\n",
            None,
            1,
            id="a wait ends with the id (model invoke -o id)",
        ),
        pytest.param(
            RunOptions(KIRIN, {**IMAGE, "resolution": "999p"}),
            gateway(submitted, done),
            CANARY,
            "",
            ("invalid_params", 2),
            0,
            id="a value outside the spec is refused, nothing sent",
        ),
        pytest.param(
            RunOptions(KIRIN, {}, problems=[Problem("--param x", "expected NAME=VALUE")]),
            gateway(submitted, done),
            CANARY,
            "",
            ("invalid_params", 2),
            0,
            id="problems found reading the body join the spec's, nothing sent",
        ),
        pytest.param(
            RunOptions(KIRIN, IMAGE),
            gateway(submitted, done),
            None,
            "",
            ("usage_error", 2),
            0,
            id="no key: refused before anything is sent",
        ),
        pytest.param(
            RunOptions(KIRIN, IMAGE),
            gateway(lambda r: reply(402, {"message": "insufficient balance"})),
            CANARY,
            "",
            ("payment_required", 1),
            1,
            id="a 402 on the submit",
        ),
        pytest.param(
            RunOptions(KIRIN, IMAGE),
            gateway(
                submitted,
                lambda r: reply(200, task(status="failed", error={"message": "NSFW"})),
            ),
            CANARY,
            "",
            ("task_failed", 1),
            1,
            id="the task failed remotely",
        ),
        pytest.param(
            RunOptions(KIRIN, IMAGE, timeout=5),
            gateway(submitted, lambda r: reply(200, task(status="in_progress", progress=10))),
            CANARY,
            "",
            ("wait_timeout", 124),
            1,
            id="a wait that runs out names the task",
        ),
        pytest.param(
            RunOptions(KIRIN, IMAGE, max_cost="0.01"),
            gateway(submitted, done),
            CANARY,
            "",
            ("budget_reached", 4),
            0,
            id="a quote over --max-cost is refused, nothing sent",
        ),
    ],
)
def test_run_model(
    home: Any,
    monkeypatch: pytest.MonkeyPatch,
    opts: RunOptions,
    handler: Stub,
    key: str | None,
    want_out: str,
    want_error: tuple[str, int] | None,
    posts: int,
) -> None:
    from vtrix import Client
    from vtrix.engine.pricing import set_price

    set_price(KIRIN, Decimal("0.30"), "task")
    transport = MockTransport(handler)
    client = Client(api_key=key, transport=transport)
    out, err = io.StringIO(), io.StringIO()
    command_io = IO(stdout=out, stderr=err)
    error: VtrixError | None = None
    try:
        run_model(opts, client, command_io)
    except VtrixError as exc:
        error = exc
    if want_error is None:
        assert error is None, (error, err.getvalue())
        assert want_out in out.getvalue()
    else:
        assert error is not None, out.getvalue()
        assert (error.code, error.exit_code) == want_error, error.message
        assert out.getvalue() == ""  # the root command prints the error (and -o json's object)
    sent = [r for r in transport.requests if r.method == "POST"]
    assert len(sent) == posts
    assert CANARY not in out.getvalue() + err.getvalue()
    if want_error is not None and command_io.task is not None:
        assert command_io.task.id == "task_1"  # a paid task is named in the error's object
