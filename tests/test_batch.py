"""Batch and async: inputs (JSONL, CSV, stdin), validation before paying, kill-and-resume
with submits counted at the sandbox, a 429 slowing the batch, the results file, the async
API."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import CANARY, env_for
from hostile import Reply, vtrix_task

SUBMIT = "/model/v1/generation"
TASK = r"/model/v1/generation/task/.*"


def jsonl(path: Path, n: int, **extra: object) -> Path:
    lines = [
        {
            "model": "kirin_v3_i2v",
            "params": {"image_url": f"https://e.com/{i}.jpg", **extra},
            "key": f"k{i}",
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    return path


def results_of(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_jsonl_batch_runs_every_line_and_writes_results(vtrix, sandbox, tmp_path):
    src = jsonl(tmp_path / "in.jsonl", 6)
    out = tmp_path / "results.jsonl"
    r = vtrix("batch", str(src), "--concurrency", "3", "--results", str(out), env=env_for(sandbox))
    assert r.code == 0, r.err
    rows = results_of(out)
    assert [x["line"] for x in rows] == [1, 2, 3, 4, 5, 6]
    assert [x["key"] for x in rows] == [f"k{i}" for i in range(6)]
    assert all(x["status"] == "succeeded" and x["id"] and x["urls"] for x in rows)
    assert sandbox.stats()["tasks_created"] == 6
    assert "6 succeeded" in r.out
    status = vtrix("batch", "status", str(src), "-o", "json", env=env_for(sandbox))
    assert {x["status"] for x in json.loads(status.out)} == {"succeeded"}


def test_csv_columns_are_params_coerced_by_the_spec(vtrix, sandbox, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text(
        "image_url,duration,key\nhttps://e.com/a.jpg,5,first\nhttps://e.com/b.jpg,,second\n"
    )
    r = vtrix("batch", str(src), "--model", "kirin_v3_i2v", "-o", "json", env=env_for(sandbox))
    assert r.code == 0, r.err
    rows = [json.loads(x) for x in r.out.splitlines()]
    assert [x["key"] for x in rows] == ["first", "second"]
    params = {t["params"]["image_url"]: t["params"] for t in sandbox.stats()["task_times"].values()}
    assert params["https://e.com/a.jpg"] == {"image_url": "https://e.com/a.jpg", "duration": 5}
    assert params["https://e.com/b.jpg"] == {"image_url": "https://e.com/b.jpg"}


def test_stdin_input_with_params_alone(vtrix, sandbox):
    lines = "".join(json.dumps({"prompt": f"p{i}"}) + "\n" for i in range(3))
    r = vtrix("batch", "-", "--model", "spark_dance_v2_0", input=lines, env=env_for(sandbox))
    assert r.code == 0, r.err
    assert sandbox.stats()["tasks_created"] == 3


def test_every_line_is_validated_before_paying(vtrix, sandbox, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"model": "kirin_v3_i2v", "params": {"image_url": "https://e.com/u.jpg"}})
        + "\n"
        + json.dumps(
            {
                "model": "kirin_v3_i2v",
                "params": {"image_url": "https://e.com/u.jpg", "duration": 99},
            }
        )
        + "\n"
        + "not json\n"
        + json.dumps({"model": "no_such_model_x", "params": {}})
        + "\n"
    )
    r = vtrix("batch", str(src), env=env_for(sandbox))
    assert r.code == 2, r.err
    assert "line 2: duration: expected an integer in range 3–10, got 99" in r.err
    assert "line 3: not valid JSON" in r.err and "line 4:" in r.err
    assert "nothing was sent" in r.err and sandbox.stats()["tasks_created"] == 0
    out = tmp_path / "r.jsonl"
    r = vtrix("batch", str(src), "--skip-invalid", "--results", str(out), env=env_for(sandbox))
    assert r.code == 1 and sandbox.stats()["tasks_created"] == 1
    assert [x["outcome"] for x in results_of(out)] == ["succeeded", "invalid", "invalid", "invalid"]


def test_dry_run_counts_and_sends_nothing(vtrix, sandbox, tmp_path):
    src = jsonl(tmp_path / "in.jsonl", 4)
    r = vtrix("batch", str(src), "--dry-run", env=env_for(sandbox))
    assert r.code == 0 and "kirin_v3_i2v" in r.out and "4 would be submitted" in r.out
    assert sandbox.stats()["routes"].get("vtrix.submit", 0) == 0


def test_max_tasks_refuses_a_bigger_batch(vtrix, sandbox, tmp_path):
    src = jsonl(tmp_path / "in.jsonl", 4)
    r = vtrix("batch", str(src), "--max-tasks", "3", env=env_for(sandbox))
    assert r.code == 2 and "over --max-tasks 3" in r.err
    assert sandbox.stats()["tasks_created"] == 0


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_kill_then_rerun_never_submits_a_line_twice(vtrix, make_sandbox, tmp_path, sig):
    from vtrix.sandbox.state import Faults

    # A gateway that honours the idempotency key (the sandbox does only when asked: neither
    # real gateway promises it), so that a resend of a submit cut by the kill makes no task.
    sb = make_sandbox(task_seconds=1.0, faults=Faults(honour_idempotency=True))
    src = jsonl(tmp_path / "in.jsonl", 30)
    args = [sys.executable, "-m", "vtrix", "batch", str(src), "--concurrency", "4", "-q"]
    env = {**os.environ, **env_for(sb)}
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while sb.stats()["tasks_created"] < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(sig)
    proc.communicate(timeout=30)
    if sig == signal.SIGINT:
        assert proc.returncode == 130
    first = sb.stats()["tasks_created"]
    assert 6 <= first < 30
    again = vtrix(  # every line at once, in-process: the rerun's pace is not the point
        "batch", str(src), "--concurrency", "30", "--resubmit-unknown", env=env_for(sb)
    )
    assert again.code == 0, again.err
    # Lines submitted before the kill were waited on, not sent again; the sandbox honours
    # the idempotency key, so even a submit in flight at the kill made one task.
    assert sb.stats()["tasks_created"] == 30


def test_an_unknown_outcome_is_left_alone_unless_asked(vtrix, hostile, tmp_path):
    src = jsonl(tmp_path / "in.jsonl", 2)
    n = {"posts": 0}

    def submit(req):
        n["posts"] += 1
        if req.json()["params"]["image_url"].endswith("/1.jpg") and n["posts"] <= 2:
            return Reply(reset=True)
        return Reply(json=vtrix_task(f"task_{n['posts']}", "in_progress"))

    hostile.on("POST", SUBMIT, submit)
    hostile.on("GET", TASK, lambda req: Reply(json=vtrix_task(req.path.rsplit("/", 1)[1])))
    r = vtrix("batch", str(src), "--concurrency", "1", env=env_for(hostile))
    assert r.code == 3 and "line 2: unknown" in r.out
    posts = hostile.count("POST")
    r = vtrix("batch", str(src), env=env_for(hostile))
    assert r.code == 3 and hostile.count("POST") == posts  # not sent blindly
    key = [q for q in hostile.received if q.method == "POST"][-1].headers["idempotency-key"]
    r = vtrix("batch", str(src), "--resubmit-unknown", env=env_for(hostile))
    assert r.code == 0, r.err + r.out
    last = [q for q in hostile.received if q.method == "POST"][-1]
    assert last.headers["idempotency-key"] == key and hostile.count("POST") == posts + 1


@pytest.mark.real_time  # waits out a hold kept by the database's clock
def test_a_429_slows_the_whole_batch_and_fails_no_line(vtrix, hostile, tmp_path):
    src = jsonl(tmp_path / "in.jsonl", 8)
    n = {"posts": 0}

    def submit(req):
        n["posts"] += 1
        if n["posts"] == 3:
            return Reply(429, json={"message": "slow down"}, headers={"Retry-After": "1.5"})
        return Reply(json=vtrix_task(f"task_{n['posts']}", "in_progress"))

    hostile.on("POST", SUBMIT, submit)
    hostile.on("GET", TASK, lambda req: Reply(json=vtrix_task(req.path.rsplit("/", 1)[1])))
    r = vtrix("batch", str(src), "--concurrency", "8", env=env_for(hostile))
    assert r.code == 0, r.err + r.out
    posts = [q for q in hostile.received if q.method == "POST"]
    assert len(posts) == 9
    limited = posts[2].at
    assert posts[-1].at - limited >= 1.4  # the limited line was sent again after the hold
    # (That every other request waits out the hold too is shown on a fake clock:
    # test_wait_schedule.py::test_a_429_holds_every_request_of_the_client.)


def test_async_client_runs_many_without_blocking_the_loop(home, sandbox, monkeypatch):
    """No exchange runs on the loop's thread, and the loop keeps turning while exchanges are
    in flight (the order of events, not a time window)."""
    from vtrix import AsyncClient
    from vtrix.http.transport import RequestsTransport
    from vtrix.models import kirin_v3_i2v

    senders: set[int] = set()
    in_flight = [0]
    send = RequestsTransport.send

    def watched(self, *args, **kwargs):
        senders.add(threading.get_ident())
        in_flight[0] += 1
        try:
            return send(self, *args, **kwargs)
        finally:
            in_flight[0] -= 1

    monkeypatch.setattr(RequestsTransport, "send", watched)

    async def main() -> tuple[list, int, int]:
        turns_during_sends = 0
        stop = asyncio.Event()

        async def heartbeat() -> None:
            nonlocal turns_during_sends
            while not stop.is_set():
                await asyncio.sleep(0.005)
                turns_during_sends += in_flight[0] > 0

        beat = asyncio.create_task(heartbeat())
        async with AsyncClient(api_key=CANARY, base_url=sandbox.url) as client:
            results = await asyncio.gather(
                *[
                    client.run("kirin_v3_i2v", image_url=f"https://e.com/{i}.jpg", timeout=30)
                    for i in range(40)
                ],
                kirin_v3_i2v.arun(image_url="https://e.com/typed.jpg", client=client),
            )
            threads = threading.active_count()
            task = await client.submit("kirin_v3_i2v", image_url="https://e.com/x.jpg")
            again = await client.get_task(task.id)
            waited = await client.wait(again.id, timeout=30)
            results.append(waited)
        stop.set()
        await beat
        return results, turns_during_sends, threads

    loop_thread = threading.get_ident()  # asyncio.run runs the loop on this thread
    results, turns, threads = asyncio.run(main())
    assert len(results) == 42 and all(r.urls for r in results)
    assert senders and loop_thread not in senders  # every exchange ran off the loop
    assert turns > 0  # the loop turned while exchanges were in flight
    assert threads < 40  # the sandbox's own threads share this process
    assert sandbox.stats()["tasks_created"] == 42


def test_client_batch_iterator(home, sandbox):
    from vtrix import Client
    from vtrix.batch.run import run_batch

    client = Client(api_key=CANARY, base_url=sandbox.url)
    items = [
        {"model": "kirin_v3_i2v", "params": {"image_url": f"https://e.com/{i}.jpg"}, "key": str(i)}
        for i in range(5)
    ]
    got = list(run_batch(items, client=client, concurrency=3))
    assert sorted(r.key for r in got) == ["0", "1", "2", "3", "4"]
    assert all(r.status == "succeeded" for r in got)
    again = list(
        run_batch(items, client=client, concurrency=3)
    )  # the same items: nothing sent again
    assert sandbox.stats()["tasks_created"] == 5 and len(again) == 5
