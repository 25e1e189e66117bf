"""Batch workers: many `vtrix batch FILE --worker` processes sharing one ledger split a batch,
and killing some of them never makes a line paid twice or lost. Real processes, a real
sandbox over HTTP, a real PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import env_for

from vtrix.sandbox.state import Faults


def write_batch(path: Path, n: int) -> None:
    path.write_text(
        "".join(
            json.dumps(
                {
                    "model": "kirin_v3_i2v",
                    "params": {"image_url": f"https://e.com/{i}.jpg"},
                    "key": f"line-{i}",
                }
            )
            + "\n"
            for i in range(n)
        )
    )


WORKER = ("--worker", "-y", "-o", "json", "--lease", "2", "--timeout", "120")


def worker(src: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "vtrix", "batch", str(src), *WORKER, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def tasks_per_key(stats: dict[str, Any]) -> Counter[str]:
    return Counter(t["idempotency_key"] for t in stats["task_times"].values())


LINES = 100  # enough for two workers to die mid-batch (the money kernel's test goes further)


def test_killed_workers_never_pay_twice_and_lose_no_line(
    home: Path, make_sandbox: Any, pg_url: str, tmp_path: Path, vtrix: Any
) -> None:
    # The sandbox honours idempotency keys, as --resubmit-unknown needs of a gateway.
    sb = make_sandbox(task_seconds=0.5, faults=Faults(honour_idempotency=True))
    src = tmp_path / "jobs.jsonl"
    write_batch(src, LINES)
    env = {**os.environ, **env_for(sb), "VTRIX_LEDGER_URL": pg_url}
    workers = [worker(src, env, "--concurrency", "8") for _ in range(4)]
    rng = random.Random()
    for victim in workers[:2]:  # two of them killed at random moments, mid-batch
        time.sleep(rng.uniform(0.4, 1.2))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
    outs = [w.communicate(timeout=180) for w in workers[2:]]
    for w, (_, err) in zip(workers[2:], outs, strict=True):
        assert w.returncode in (0, 3), err  # 3: a killed worker's in-flight submit is unknown
    # The last worker, and the looks after, in-process (the killed and the surviving workers
    # were real processes): the same ledger, the fake clock's pace.
    mine = {**env_for(sb), "VTRIX_LEDGER_URL": pg_url}
    last = vtrix("batch", str(src), *WORKER, "--concurrency", "20", "--resubmit-unknown", env=mine)
    assert last.code == 0, last.err
    assert f"the batch: {LINES} succeeded" in last.err

    stats = sb.stats()
    per_key = tasks_per_key(stats)
    assert len(per_key) == LINES and set(per_key.values()) == {1}  # each line paid once
    assert stats["tasks_created"] == LINES

    got = vtrix("batch", "results", str(src), env=mine)
    assert got.code == 0, got.err
    lines = [json.loads(x) for x in got.out.splitlines()]
    assert [x["line"] for x in lines] == list(range(1, LINES + 1))
    assert all(x["outcome"] == "succeeded" and x["status"] == "succeeded" for x in lines)
    assert all(x["urls"] and x["id"] for x in lines)
    ids = [x["id"] for x in lines]
    assert len(set(ids)) == LINES and set(ids) == set(stats["tasks"])

    status = vtrix("batch", "status", str(src), env=mine)
    assert status.code == 0 and f"{LINES} succeeded" in status.out
    assert status.out.count("worker ") >= 2  # the share of each worker that finished lines


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_workers_split_a_batch_between_them(
    home: Path,
    make_sandbox: Any,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    backend: str,
    vtrix: Any,
) -> None:
    sb = make_sandbox(task_seconds=0.3)
    src = tmp_path / "jobs.jsonl"
    write_batch(src, 24)  # more than one worker's --concurrency: both take part
    mine = env_for(sb)
    if backend == "postgresql":
        mine["VTRIX_LEDGER_URL"] = request.getfixturevalue("pg_url")
    env = {**os.environ, **mine}
    pair = [worker(src, env, "--concurrency", "10") for _ in range(2)]
    outs = [w.communicate(timeout=120) for w in pair]
    assert [w.returncode for w in pair] == [0, 0], outs
    ran = [[json.loads(x)["line"] for x in out.splitlines()] for out, _ in outs]
    assert sorted(ran[0] + ran[1]) == list(range(1, 25))  # every line by exactly one worker
    assert ran[0] and ran[1]  # both took part
    assert sb.stats()["tasks_created"] == 24
    again = vtrix("batch", str(src), *WORKER, env=mine)  # after the batch is done: sends nothing
    assert again.code == 0 and again.out == "", again.err
    assert sb.stats()["tasks_created"] == 24


def test_a_worker_keeps_the_batchs_budget_and_an_unknown_price_sends_nothing(
    vtrix: Any, sandbox: Any, tmp_path: Path
) -> None:
    src = tmp_path / "jobs.jsonl"
    write_batch(src, 3)
    r = vtrix("batch", str(src), "--worker", "--budget", "5", env=env_for(sandbox))
    assert r.code == 4 and "unknown" in r.out
    assert sandbox.stats()["tasks_created"] == 0


def test_workers_together_keep_the_keys_running_task_limit(
    home: Path, make_sandbox: Any, pg_url: str, tmp_path: Path
) -> None:
    sb = make_sandbox(task_seconds=0.6)
    src = tmp_path / "jobs.jsonl"
    write_batch(src, 6)
    env = {**os.environ, **env_for(sb), "VTRIX_LEDGER_URL": pg_url, "VTRIX_MAX_RUNNING": "2"}
    trio = [worker(src, env, "--concurrency", "3") for _ in range(3)]
    outs = [w.communicate(timeout=120) for w in trio]
    assert [w.returncode for w in trio] == [0, 0, 0], outs
    times = sorted((t["created"], t["completes"]) for t in sb.stats()["task_times"].values())
    assert len(times) == 6
    # At no moment did the sandbox run more than two of this key's tasks, across workers.
    for start, _ in times:
        running = sum(1 for s, end in times if s <= start < end)
        assert running <= 2, (start, times)


def test_a_line_a_dead_worker_was_sending_is_left_unknown_until_asked(
    home: Path, make_sandbox: Any, pg_url: str, tmp_path: Path, vtrix: Any
) -> None:
    """The dead worker is its rows in the ledger; the workers after it run in this process."""
    from vtrix.batch.input import batch_id, line_keys, parse
    from vtrix.store import claims
    from vtrix.store.ledger import Ledger

    sb = make_sandbox(task_seconds=0.2, faults=Faults(honour_idempotency=True))
    src = tmp_path / "jobs.jsonl"
    write_batch(src, 3)
    data = src.read_bytes()
    keys = line_keys(parse(data, name=str(src), model=None))
    bid = batch_id(data)
    # A worker claimed line 2 and wrote its row ("submitting"), then died mid-send.
    book = Ledger(pg_url)
    claims.enrol(book, bid, sorted(keys.items()))
    book.begin(key=keys[1], provider="vtrix", model="kirin_v3_i2v", digest="d")
    taken = claims.claim(book, bid, "dead-host:1", lease=0.05)
    assert taken is not None and taken.line == 1
    time.sleep(0.1)
    env = {**env_for(sb), "VTRIX_LEDGER_URL": pg_url}
    first = vtrix("batch", str(src), *WORKER, env=env)
    assert first.code == 3 and "the batch: 2 succeeded, 1 unknown" in first.err, first.err
    lines = {json.loads(x)["line"]: json.loads(x) for x in first.out.splitlines()}
    assert lines[1]["outcome"] == "unknown" and lines[1]["id"] is None
    assert lines[1]["error"]["code"] == "outcome_unknown"
    assert sb.stats()["tasks_created"] == 2  # the unknown line was not sent again
    again = vtrix("batch", str(src), *WORKER, "--resubmit-unknown", env=env)
    assert again.code == 0 and "the batch: 3 succeeded" in again.err, again.err
    assert [json.loads(x)["line"] for x in again.out.splitlines()] == [1]  # only that line
    assert sb.stats()["tasks_created"] == 3
