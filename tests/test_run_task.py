"""``run_task_get`` and ``run_task_wait`` tested as gh tests a command: options in, the
gateway stubbed on the mock transport, stdout and the error (code and exit code) out. The
waits run on the fake clock."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from conftest import CANARY
from test_run_model import VIDEO, gateway, reply, task

from vtrix.cli.io import IO
from vtrix.cli.run_task import TaskOptions, run_task_get, run_task_wait
from vtrix.errors import VtrixError
from vtrix.http import MockTransport, Response
from vtrix.http.transport import Request


def by_id(answers: dict[str, dict[str, Any]]) -> Callable[[Request], Response]:
    """Polls answered per task id (the last path segment)."""

    def poll(request: Request) -> Response:
        task_id = request.url.split("?", 1)[0].rsplit("/", 1)[1]
        if task_id not in answers:
            return reply(404, {"message": f"task {task_id} not found"})
        return reply(200, answers[task_id])

    return poll


RUNNING = task("task_1", "in_progress", progress=40)
DONE = task("task_1")
FAILED = task("task_2", "failed", error={"message": "NSFW"})


@pytest.mark.parametrize(
    ("run", "opts", "answers", "want_out", "want_error"),
    [
        pytest.param(
            run_task_get,
            TaskOptions(("task_1",)),
            {"task_1": RUNNING},
            "Progress: 40%",
            None,
            id="get: a running task, human",
        ),
        pytest.param(
            run_task_get,
            TaskOptions(("task_1",), output="json"),
            {"task_1": DONE},
            '"status": "succeeded"',
            None,
            id="get: the task as JSON",
        ),
        pytest.param(
            run_task_get,
            TaskOptions(("task_1",), output="url"),
            {"task_1": DONE},
            f"{VIDEO}\n",
            None,
            id="get: the result URLs",
        ),
        pytest.param(
            run_task_get,
            TaskOptions(("task_9",)),
            {},
            "",
            ("not_found", 1),
            id="get: an unknown id",
        ),
        pytest.param(
            run_task_wait,
            TaskOptions(("task_1",), output="url"),
            {"task_1": DONE},
            f"{VIDEO}\n",
            None,
            id="wait: to the result",
        ),
        pytest.param(
            run_task_wait,
            TaskOptions(("task_2",)),
            {"task_2": FAILED},
            "",
            ("task_failed", 1),
            id="wait: a task that failed",
        ),
        pytest.param(
            run_task_wait,
            TaskOptions(("task_1",), timeout=5),
            {"task_1": RUNNING},
            "",
            ("wait_timeout", 124),
            id="wait: a deadline that runs out",
        ),
        pytest.param(
            run_task_wait,
            TaskOptions(("task_2", "task_1"), output="json"),
            {"task_1": DONE, "task_2": FAILED},
            '"id": "task_1"',
            ("task_failed", 1),
            id="wait: several, every one waited on, the first failure raised",
        ),
    ],
)
def test_run_task(
    home: Any,
    run: Callable[[TaskOptions, Any, IO], None],
    opts: TaskOptions,
    answers: dict[str, dict[str, Any]],
    want_out: str,
    want_error: tuple[str, int] | None,
) -> None:
    from vtrix import Client

    transport = MockTransport(gateway(poll=by_id(answers)))
    client = Client(api_key=CANARY, transport=transport)
    out, err = io.StringIO(), io.StringIO()
    error: VtrixError | None = None
    try:
        run(opts, client, IO(stdout=out, stderr=err))
    except VtrixError as exc:
        error = exc
    if want_error is None:
        assert error is None, (error, err.getvalue())
    else:
        assert error is not None and (error.code, error.exit_code) == want_error, error
    assert want_out in out.getvalue()
    assert not [r for r in transport.requests if r.method != "GET"]  # looking never sends
    if opts.output == "json" and len(opts.task_ids) > 1:
        lines = [json.loads(x) for x in out.getvalue().splitlines()]
        assert [x["id"] for x in lines] == ["task_2", "task_1"]  # one object per task
        assert lines[0]["error"]["code"] == "task_failed"
