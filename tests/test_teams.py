"""A team's shared ledger on a real PostgreSQL: `vtrix ledger use|status`, the team's tasks in
`task list|get` and `spend` with who submitted each, a key sent once whichever machine asks,
and the key's limits shared between processes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CANARY, env_for

from vtrix.store.ledger import Ledger


def other_machine(url: str, key: str, owner: str) -> None:
    """Make the row of ``key`` look submitted from another machine (hostname, pid)."""
    book = Ledger(url)
    book.database.open()
    book.database.execute("UPDATE tasks SET owner = ?, profile = 'ci' WHERE key = ?", (owner, key))
    book.close()


def test_ledger_use_status_and_the_password_shown_nowhere(
    vtrix: Any, pg_url: str, home: Path
) -> None:
    url = pg_url.replace("postgresql://postgres:@", "postgresql://postgres:pw-team-s3cret@")
    r = vtrix("ledger", "use", url)
    assert r.code == 0, r.err
    assert "pw-team-s3cret" not in r.out + r.err and "***" in r.out
    status = vtrix("ledger", "status", "-o", "json")
    doc = json.loads(status.out)
    assert doc["backend"] == "postgresql" and doc["schema_version"] == doc["schema_expected"]
    assert doc["tasks"] == 0 and "pw-team-s3cret" not in status.out + status.err
    human = vtrix("ledger", "status")
    assert "postgresql" in human.out and "pw-team-s3cret" not in human.out + human.err
    doctor = vtrix("doctor", "-o", "json")
    assert "pw-team-s3cret" not in doctor.out + doctor.err
    asked = vtrix("ledger", "use", pg_url, "--ask-password", input="pw-typed-9999\n")
    assert asked.code == 0 and "pw-typed-9999" not in asked.out + asked.err, asked.err
    assert "postgres:***@" in asked.out
    assert vtrix("ledger", "use", "mysql://x").code == 2
    assert vtrix("ledger", "use", "--local").code == 0
    assert json.loads(vtrix("ledger", "status", "-o", "json").out)["backend"] == "sqlite"


def test_an_unreachable_shared_ledger_sends_nothing(vtrix: Any, sandbox: Any) -> None:
    env = {**env_for(sandbox), "VTRIX_LEDGER_URL": "postgresql://u:pw-nope-9@127.0.0.1:1/db"}
    r = vtrix("run", "kirin_v3_i2v", "--image-url", "https://e.com/a.jpg", "-o", "json", env=env)
    assert r.code == 2, r.err
    assert "nothing was sent" in r.err and "pw-nope-9" not in r.out + r.err
    assert json.loads(r.out)["error"]["code"] == "ledger_unavailable"
    assert sandbox.stats()["tasks_created"] == 0


KEYED_RUN = (
    "run",
    "kirin_v3_i2v",
    "--image-url",
    "https://e.com/a.jpg",
    "--idempotency-key",
    "team-k1",
    "-o",
    "json",
)


def test_the_team_sees_every_machines_tasks_and_a_key_is_sent_once(
    vtrix: Any, sandbox: Any, pg_url: str
) -> None:
    env = {**env_for(sandbox), "VTRIX_LEDGER_URL": pg_url}
    run = vtrix(*KEYED_RUN, env=env)
    assert run.code == 0, run.err
    task_id = json.loads(run.out)["id"]
    other_machine(pg_url, "team-k1", "ci-runner-7:4242")
    # Another machine asking for the same key gets the task, and nothing is sent.
    again = vtrix(*KEYED_RUN, env=env)
    assert again.code == 0 and json.loads(again.out)["id"] == task_id, again.err
    assert sandbox.stats()["tasks_created"] == 1
    listed = vtrix("task", "list", env=env)
    assert task_id in listed.out and "ci-runner-7/ci" in listed.out and " BY " in listed.out
    got = vtrix("task", "get", task_id, "-o", "json", env=env)
    assert got.code == 0 and json.loads(got.out)["idempotency_key"] == "team-k1"
    by = {"machine": "ci-runner-7", "profile": "ci"}
    assert json.loads(got.out)["submitted_by"] == by
    assert json.loads(vtrix("task", "list", "-o", "json", env=env).out)[0]["submitted_by"] == by
    spend = json.loads(vtrix("spend", "--by", "machine", "-o", "json", env=env).out)
    assert spend["groups"]["ci-runner-7"]["tasks"] == 1
    status = json.loads(vtrix("ledger", "status", "-o", "json", env=env).out)
    assert status["machines"] == {"ci-runner-7": 1} and status["profiles"] == {"ci": 1}


@pytest.mark.real_time  # waits out a hold kept by the database's clock
def test_a_429_seen_by_one_process_holds_the_others(
    vtrix: Any, make_sandbox: Any, pg_url: str
) -> None:
    from vtrix.store.limits import SharedLimits, key_id

    sb = make_sandbox()
    env = {**env_for(sb), "VTRIX_LEDGER_URL": pg_url}
    SharedLimits(Ledger(pg_url), key_id("vtrix", CANARY), None).hold(2.0)  # "another worker"
    r = vtrix("task", "list", env=env)  # reads only the ledger: not held
    assert r.code == 0
    import time

    start = time.monotonic()
    run = vtrix("run", "kirin_v3_i2v", "--image-url", "https://e.com/a.jpg", "-o", "json", env=env)
    assert run.code == 0, run.err
    assert time.monotonic() - start >= 1.5  # the submit waited for the team's hold


def test_the_running_task_limit_is_the_teams(vtrix: Any, make_sandbox: Any, pg_url: str) -> None:
    sb = make_sandbox(task_seconds=30)
    env = {**env_for(sb), "VTRIX_LEDGER_URL": pg_url, "VTRIX_MAX_RUNNING": "1"}
    first = vtrix("run", "kirin_v3_i2v", "--image-url", "https://e.com/a.jpg", "--no-wait", env=env)
    assert first.code == 0, first.err
    second = vtrix(
        "run",
        "kirin_v3_i2v",
        "--image-url",
        "https://e.com/b.jpg",
        "--no-wait",
        "--timeout",
        "2",
        "-o",
        "json",
        env=env,
    )
    # It looked the running task up, waited for a slot within its deadline, saying so.
    assert second.code == 75, second.err
    assert json.loads(second.out)["error"]["code"] == "at_capacity"
    assert "waiting for one to end" in second.err and "nothing was sent" in second.err
    assert sb.stats()["tasks_created"] == 1


def test_a_ledger_url_of_another_kind_is_refused_and_a_path_is_a_file(
    vtrix: Any, sandbox: Any, tmp_path: Path
) -> None:
    env = {**env_for(sandbox), "VTRIX_LEDGER_URL": "mysql://u:pw-mysql-77@db/x"}
    r = vtrix("run", "kirin_v3_i2v", "--image-url", "https://e.com/a.jpg", env=env)
    assert r.code == 2 and "mysql://" in r.err and "pw-mysql-77" not in r.err
    assert sandbox.stats()["tasks_created"] == 0
    path = tmp_path / "team" / "ledger.sqlite3"
    for value in (str(path), f"sqlite://{path}"):
        env["VTRIX_LEDGER_URL"] = value
        status = json.loads(vtrix("ledger", "status", "-o", "json", env=env).out)
        assert status["backend"] == "sqlite" and status["where"] == str(path)
