"""Never paid twice, never lost: the task ledger under concurrency, corruption, Ctrl-C and
unknown outcomes; locked config writes; finding a task's gateway."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import CANARY, env_for
from forked import run_all
from hostile import Reply, vtrix_task
from virtual_time import CLOCK

RUN = ["run", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg"]
SUBMIT = "/model/v1/generation"


def listed(vtrix, *extra: str, env=None) -> list[dict]:
    r = vtrix("task", "list", "-o", "json", "--limit", "500", *extra, env=env)
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_fifty_parallel_submits_make_fifty_rows(cli, sandbox):
    env = env_for(sandbox)
    results = run_all([([*RUN, "--no-wait", "-q"], env, None)] * 50)  # 50 processes
    assert all(code == 0 for code, _, _ in results), [err for code, _, err in results if code]
    ids = {out.strip() for _, out, _ in results}
    assert len(ids) == 50
    rows = json.loads(cli("task", "list", "-o", "json", "--limit", "100", env=env).out)
    assert {row["id"] for row in rows} == ids
    assert sandbox.stats()["tasks_created"] == 50


def test_twenty_parallel_logins_make_twenty_profiles(home):
    login = ["auth", "login", "--with-token", "--profile"]
    results = run_all([([*login, f"p{n}"], None, f"sk-key-{n:04d}x\n") for n in range(20)])
    assert all(code == 0 for code, _, _ in results), [err for code, _, err in results if code]
    data = json.loads((home / "config" / "config.json").read_text())
    assert sorted(data["profiles"]) == sorted(f"p{n}" for n in range(20))
    assert data["profiles"]["p7"]["api_key"] == "sk-key-0007x"


def test_a_corrupt_ledger_is_set_aside_and_never_stops_a_run(vtrix, sandbox, home):
    (home / "data").mkdir(parents=True)
    (home / "data" / "ledger.sqlite3").write_bytes(b"this is not a database" * 100)
    r = vtrix(*RUN, "--no-wait", env=env_for(sandbox))
    assert r.code == 0, r.err
    assert r.err.count("set aside") == 1
    assert list((home / "data").glob("ledger.sqlite3.corrupt-*"))
    assert [row["id"] for row in listed(vtrix)] == [r.out.strip()]


def test_an_unusable_ledger_refuses_the_submit(vtrix, sandbox, home):
    """No ledger, no submit (issue 18): once, with the file and the fix, nothing sent."""
    (home / "data").mkdir(parents=True)
    (home / "data" / "ledger.sqlite3").mkdir()  # not a file at all
    r = vtrix(*RUN, "-o", "url", env=env_for(sandbox))
    assert r.code == 2, r.err
    assert r.err.count("cannot be used") == 1 and not r.out
    assert sandbox.stats()["tasks_created"] == 0


def test_a_corrupt_config_is_set_aside_and_never_stops_a_run(vtrix, sandbox, home):
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.json").write_text("{not json")
    r = vtrix(*RUN, "--no-wait", env=env_for(sandbox))
    assert r.code == 0, r.err
    assert "config.json cannot be read; set aside" in r.err
    assert list((home / "config").glob("config.json.corrupt-*"))


def test_old_history_with_bad_times_is_imported_without_crashing(vtrix, sandbox, home):
    (home / "data").mkdir(parents=True)
    lines = [
        {"id": "task_old1", "model": "m", "provider": "vtrix", "created_at": "yesterday"},
        {"id": "task_old2", "model": "m", "provider": "vtrix", "created_at": 1e400},
        "not json at all",
        {"id": "task_old3", "model": "m", "provider": "vtrix", "created_at": 1700000000},
    ]
    (home / "data" / "history.jsonl").write_text(
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n"
    )
    r = vtrix(*RUN, "--no-wait", env=env_for(sandbox))
    assert r.code == 0, r.err
    ids = [row["id"] for row in listed(vtrix)]
    assert {"task_old1", "task_old2", "task_old3", r.out.strip()} == set(ids)
    assert vtrix("task", "list").code == 0


def test_an_unknown_outcome_is_listed_with_its_idempotency_key(vtrix, hostile):
    hostile.on("POST", SUBMIT, Reply(502, json={"message": "bad gateway"}))
    r = vtrix(*RUN, env=env_for(hostile))
    assert r.code == 3
    key = hostile.posts()[0].headers["idempotency-key"]
    rows = listed(vtrix)
    assert rows[-1]["status"] == "unknown" and rows[-1]["idempotency_key"] == key
    assert rows[-1]["id"] is None and "502" in rows[-1]["error"]["message"]
    assert rows[-1]["error"]["code"] == "outcome_unknown"
    table = vtrix("task", "list").out
    assert f"? key {key}" in table and "unknown" in table


def test_a_rejected_submit_is_kept_but_not_listed_by_default(vtrix, hostile):
    hostile.on("POST", SUBMIT, Reply(400, json={"message": "bad prompt"}))
    assert vtrix(*RUN, env=env_for(hostile)).code == 1
    assert listed(vtrix) == []
    row = listed(vtrix, "--all")[0]
    assert row["status"] == "failed" and row["error"]["code"] == "request_rejected"


def test_resubmitting_with_the_idempotency_key_of_an_unknown_outcome(vtrix, hostile):
    hostile.on("POST", SUBMIT, Reply(reset=True), Reply(json=vtrix_task("task_8", "in_progress")))
    assert vtrix(*RUN, env=env_for(hostile)).code == 3
    key = hostile.posts()[0].headers["idempotency-key"]
    # Neither gateway promises to honour the key: a resend needs to be asked for, by name.
    refused = vtrix(*RUN, "--no-wait", "--idempotency-key", key, env=env_for(hostile))
    assert refused.code == 2 and hostile.count("POST") == 1
    assert "may charge twice" in refused.err and "--resend-unknown" in refused.err
    assert "console" in refused.err
    r = vtrix(*RUN, "--no-wait", "--idempotency-key", key, "--resend-unknown", env=env_for(hostile))
    assert r.code == 0 and r.out.strip() == "task_8"
    assert "charge for it twice" in r.err  # the plain warning, before sending
    assert hostile.received[1].headers["idempotency-key"] == key
    # The ledger now knows task_8 for that key: a third try is not sent at all.
    again = vtrix(*RUN, "--no-wait", "--idempotency-key", key, env=env_for(hostile))
    assert again.code == 0 and again.out.strip() == "task_8"
    assert "not sent again" in again.err and hostile.count("POST") == 2
    assert [row["status"] for row in listed(vtrix)] == ["running"]


def test_ctrl_c_during_the_submit_is_130_with_the_idempotency_key(vtrix, hostile, home):
    hostile.on("POST", SUBMIT, Reply(hang=30))
    env = {**os.environ, **env_for(hostile)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vtrix", *RUN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 20
    while hostile.count("POST") == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    key = hostile.posts()[0].headers["idempotency-key"]
    assert key in err and "may have created" in err and "Traceback" not in err
    rows = json.loads(vtrix("task", "list", "-o", "json").out)
    assert rows[-1]["idempotency_key"] == key and rows[-1]["status"] == "unknown"


def test_ctrl_c_while_waiting_keeps_the_task(vtrix, make_sandbox):
    sb = make_sandbox(task_seconds=30)
    env = {**os.environ, **env_for(sb)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vtrix", *RUN],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 20
    while sb.stats()["tasks_created"] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    task_id = sb.stats()["tasks"][0]
    assert proc.returncode == 130 and f"vtrix task wait {task_id}" in err
    rows = json.loads(vtrix("task", "list", "-o", "json", env=env_for(sb)).out)
    assert rows[-1]["id"] == task_id


def test_task_get_finds_the_gateway_from_the_id_shape(vtrix, sandbox, home):
    """Seed 001: `task get <id>` with only MODELLIX_API_KEY set and no ledger row."""
    env = {"VTRIX_BASE_URL": sandbox.url, "MODELLIX_BASE_URL": sandbox.url}
    menv = {**env, "MODELLIX_API_KEY": CANARY}
    body = '{"prompt": "a cat"}'
    r = vtrix(
        "model", "invoke", "--model-slug", "bytedance/seedream-4.5-t2i", "--body", body, env=menv
    )
    assert r.code == 0, r.err
    task_id = r.out.strip()
    (home / "data" / "ledger.sqlite3").unlink()
    g = vtrix("task", "get", task_id, env=menv)
    assert g.code == 0, g.err
    assert task_id in g.out


def test_task_get_asks_every_gateway_with_a_key(vtrix, hostile):
    hostile.on("GET", r"/model/v1/generation/task/.*", Reply(404, json={"message": "no"}))
    hostile.on(
        "GET",
        r"/api/v1/tasks/weird-id",
        Reply(json={"code": 0, "data": {"task_id": "weird-id", "status": "processing"}}),
    )
    r = vtrix("task", "get", "weird-id", env=env_for(hostile))
    assert r.code == 0, r.err
    assert "processing" in r.out
    assert hostile.count("GET", r"/model/v1/generation/task/.*") == 1
    # The ledger remembers where it was: next time, one request.
    vtrix("task", "get", "weird-id", env=env_for(hostile))
    assert hostile.count("GET", r"/model/v1/generation/task/.*") == 1


def test_task_get_without_any_key_says_so(vtrix):
    r = vtrix("task", "get", "task_1")
    assert r.code == 2 and "VTRIX_API_KEY or MODELLIX_API_KEY" in r.err


def test_task_list_refresh_updates_statuses(vtrix, sandbox):
    r = vtrix(*RUN, "--no-wait", env=env_for(sandbox))
    task_id = r.out.strip()
    CLOCK.sleep(0.8)
    rows = listed(vtrix, "--refresh", env=env_for(sandbox))
    row = next(x for x in rows if x["id"] == task_id)
    assert row["status"] == "succeeded" and row["urls"]


def test_ledger_rows_survive_concurrent_writers(tmp_path: Path):
    from vtrix.store.entry import digest
    from vtrix.store.ledger import Ledger

    def write(n: int) -> None:
        ledger = Ledger(tmp_path / "l.sqlite3")
        for i in range(20):
            key = f"k{n}-{i}"
            ledger.begin(key=key, provider="vtrix", model="m", digest=digest("vtrix", "m", i))
            ledger.submitted(key, f"task_{n}_{i}", "running")
        ledger.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(write, range(8)))
    count = sqlite3.connect(tmp_path / "l.sqlite3").execute("SELECT count(*) FROM tasks")
    assert count.fetchone()[0] == 160


def test_sdk_idempotency_key_is_sent_and_never_paid_twice(home, hostile):
    from vtrix import Client

    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_9", "in_progress")))
    client = Client(api_key=CANARY, base_url=hostile.url)
    first = client.submit(
        "kirin_v3_i2v", image_url="https://e.com/u.jpg", idempotency_key="my-key-1"
    )
    second = client.submit(
        "kirin_v3_i2v", image_url="https://e.com/u.jpg", idempotency_key="my-key-1"
    )
    assert first.id == second.id == "task_9" and second.reused and not first.reused
    assert hostile.count("POST") == 1
    assert hostile.posts()[0].headers["idempotency-key"] == "my-key-1"
    assert client.ledger is not None and client.ledger.by_key("my-key-1").task_id == "task_9"
