"""Each documented exit code, produced for real against the sandbox."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from conftest import CANARY, env_for

from vtrix.sandbox.state import Faults

RUN = ["run", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg"]


def test_0_success_human_output(vtrix, sandbox):
    r = vtrix(*RUN, env=env_for(sandbox))
    assert r.code == 0, r.err
    assert r.out.startswith("Status:  succeeded\nTask:    task_")
    assert "Cost:    0.30" in r.out and "Output:\n  http://" in r.out


def test_1_remote_task_failed(vtrix, sandbox):
    r = vtrix(*RUN, "--param", "prompt=[fail] please", env=env_for(sandbox))
    assert r.code == 1
    assert "content moderation" in r.err and "failed" in r.err
    assert r.out == ""


def test_1_unauthorized_names_the_fix(vtrix, make_sandbox):
    sb = make_sandbox(accepted_keys={"sk-the-only-good-key"})
    r = vtrix(*RUN, env=env_for(sb))
    assert r.code == 1
    assert "missing, invalid or expired (HTTP 401)" in r.err
    assert "VTRIX_API_KEY" in r.err and "vtrix auth login" in r.err


def test_1_payment_required(vtrix, make_sandbox):
    sb = make_sandbox(broke_keys={CANARY})
    r = vtrix(*RUN, env=env_for(sb))
    assert r.code == 1
    assert "balance is insufficient (HTTP 402)" in r.err and "Recharge" in r.err


def test_1_unknown_task(vtrix, sandbox):
    r = vtrix("task", "get", "task_doesnotexist", env=env_for(sandbox))
    assert r.code == 1
    assert "no gateway knows task 'task_doesnotexist' (asked vtrix, modellix)" in r.err
    r = vtrix("task", "get", "task_doesnotexist", "--provider", "vtrix", env=env_for(sandbox))
    assert r.code == 1 and "HTTP 404" in r.err


def test_2_validation_nothing_sent(vtrix, sandbox):
    r = vtrix(
        "run",
        "kirin_v3_i2v",
        "--param",
        "duration=12",
        "--param",
        "resolution=4k",
        "--param",
        "seed=abc",
        "--param",
        "negative_promt=x",
        env=env_for(sandbox),
    )
    assert r.code == 2
    for line in (
        "duration: expected an integer in range 3–10, got 12",
        'resolution: expected one of 480p | 720p | 1080p, got "4k"',
        "seed: expected an integer, got 'abc'",
        "negative_promt: unknown parameter; did you mean 'negative_prompt'?",
        "image_url: required, but not given",
        "vtrix models spec kirin_v3_i2v",
    ):
        assert line in r.err, (line, r.err)
    assert "5 problems" in r.err
    assert sandbox.stats()["routes"].get("vtrix.submit", 0) == 0


def test_2_missing_key(vtrix, sandbox):
    r = vtrix(*RUN, env=env_for(sandbox, key=None))
    assert r.code == 2
    assert "no API key" in r.err and sandbox.stats()["tasks_created"] == 0


def test_2_bad_usage(vtrix):
    assert vtrix("run", "kirin_v3_i2v", "--output", "xml").code == 2
    assert vtrix(
        "run", "no_such_model_anywhere", env={"VTRIX_MODELS_URL": "http://127.0.0.1:9"}
    ).code in (2, 75)


def test_3_submit_accepted_but_500_is_never_resubmitted(vtrix, sandbox):
    sandbox.faults(vtrix_submit={"submit_500": True})
    r = vtrix(*RUN, env=env_for(sandbox))
    assert r.code == 3
    assert "Do not resubmit" in r.err
    stats = sandbox.stats()
    assert stats["tasks_created"] == 1 and stats["routes"]["vtrix.submit"] == 1


def test_3_dropped_submit_is_outcome_unknown(vtrix, sandbox):
    sandbox.faults(vtrix_submit={"drop_rate": 1.0})
    r = vtrix(*RUN, env=env_for(sandbox))
    assert r.code == 3
    assert sandbox.stats()["routes"]["vtrix.submit"] == 1


def test_75_rate_limited_submit(vtrix, make_sandbox):
    sb = make_sandbox(rate_limit=1)
    env = env_for(sb)
    assert vtrix("models", "spec", "kirin_v3_i2v", env=env).code == 0  # no key: not limited
    first = vtrix("task", "get", "task_x", "--provider", "vtrix", env=env)
    assert first.code == 1
    r = vtrix(*RUN, env=env)
    assert r.code == 75
    assert "HTTP 429" in r.err and "retry in" in r.err
    assert sb.stats()["tasks_created"] == 0


def test_75_reads_retry_then_give_up(vtrix, sandbox):
    sandbox.faults(vtrix_task={"unavailable_rate": 1.0})
    t0 = time.monotonic()
    r = vtrix("task", "get", "task_abc", env=env_for(sandbox))
    assert r.code == 75
    assert sandbox.stats()["routes"]["vtrix.task"] >= 3
    assert time.monotonic() - t0 < 40


def test_124_wait_timeout_names_the_resume_command(vtrix, make_sandbox):
    sb = make_sandbox(task_seconds=30)
    r = vtrix(*RUN, "--timeout", "1.5", env=env_for(sb))
    assert r.code == 124
    task_id = sb.stats()["tasks"][0]
    assert f"vtrix task wait {task_id}" in r.err


def test_130_ctrl_c_names_the_task_and_does_not_cancel(home, make_sandbox):
    import os

    sb = make_sandbox(task_seconds=30)
    env = {**os.environ, **env_for(sb)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vtrix", *RUN],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while not sb.stats()["tasks"] and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    task_id = sb.stats()["tasks"][0]
    assert f"vtrix task wait {task_id}" in err
    assert "Traceback" not in err


def test_task_wait_resumes_after_timeout(vtrix, make_sandbox):
    sb = make_sandbox(task_seconds=2.5)
    r = vtrix(*RUN, "--timeout", "0.5", env=env_for(sb))
    assert r.code == 124
    task_id = sb.stats()["tasks"][0]
    w = vtrix("task", "wait", task_id, "--output", "url", env=env_for(sb))
    assert w.code == 0, w.err
    assert f"/files/{task_id}/output.mp4" in w.out
    listed = json.loads(vtrix("task", "list", "--output", "json").out)
    assert [e["id"] for e in listed] == [task_id]
    assert sb.stats()["tasks_created"] == 1


def test_help_lists_exit_codes(vtrix):
    r = vtrix("help", "exit-codes")
    for code in ("0", "1", "2", "3", "75", "124", "130"):
        assert f"  {code:>3}  " in r.out
    assert "124" in vtrix("--help").out


def test_no_wait_prints_task_id(vtrix, sandbox):
    r = vtrix(*RUN, "--no-wait", env=env_for(sandbox))
    assert r.code == 0
    assert r.out.strip() == sandbox.stats()["tasks"][0]


def test_fault_settings_refuse_unknown_keys_and_wrong_types():
    import pytest

    assert Faults.from_dict({"error_rate": 0.5}).error_rate == 0.5
    with pytest.raises(ValueError, match="unknown fault fail_rate"):
        Faults.from_dict({"fail_rate": 0.5})
    with pytest.raises(ValueError, match="must be a number"):
        Faults.from_dict({"error_rate": "lots"})
