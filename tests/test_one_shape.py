"""One task, one shape: `run`, `task get`, `task wait`, `task list`, a batch results line and
the SDK's ``Result.to_dict()`` agree field by field on the same task, over real HTTP against
the sandbox, on both gateways; and ``-o json`` prints exactly one object however a command
ends, with the documented ``error.code``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import CANARY, env_for

FIELDS = [
    "id",
    "model",
    "provider",
    "status",
    "urls",
    "files",
    "cost",
    "error",
    "created_at",
    "expires_at",
    "idempotency_key",
    "submitted_by",
    "raw",
]
KIRIN = ["run", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg"]


def one_object(text: str) -> dict:
    """stdout holds exactly one JSON object."""
    doc = json.loads(text)
    assert isinstance(doc, dict), text
    return doc


@pytest.mark.parametrize(
    ("written", "catalog_id", "params"),
    [
        ("kirin_v3_i2v", "kirin_v3_i2v", {"image_url": "https://example.com/a.jpg"}),
        # A Modellix model by its last part: named by its catalog id everywhere.
        ("seedream-4.5-t2i", "bytedance/seedream-4.5-t2i", {"prompt": "a lighthouse"}),
    ],
)
def test_every_view_of_a_task_agrees_field_by_field(
    vtrix, home, sandbox, tmp_path, written, catalog_id, params
):
    env = env_for(sandbox)
    lines = tmp_path / "in.jsonl"
    lines.write_text(json.dumps({"model": written, "params": params}) + "\n")
    b = vtrix("batch", str(lines), "-q", "-o", "json", env=env)
    assert b.code == 0, b.err
    line = one_object(b.out)
    assert list(line) == ["line", "key", "outcome", *FIELDS]
    batch_view = {k: line[k] for k in FIELDS}
    task_id, key = batch_view["id"], batch_view["idempotency_key"]
    assert batch_view["model"] == catalog_id and batch_view["status"] == "succeeded"
    assert task_id and key and batch_view["urls"] and batch_view["created_at"]

    # `run` with the line's key: the ledger has its task, so nothing is sent again.
    run_args = ["run", written, *(f"--{k.replace('_', '-')}={v}" for k, v in params.items())]
    run = vtrix(*run_args, "--idempotency-key", key, "-o", "json", env=env)
    assert run.code == 0, run.err
    get = vtrix("task", "get", task_id, "-o", "json", env=env)
    wait = vtrix("task", "wait", task_id, "-o", "json", env=env)
    listed = vtrix("task", "list", "-o", "json", env=env)
    assert get.code == wait.code == listed.code == 0, get.err + wait.err + listed.err
    list_view = next(t for t in json.loads(listed.out) if t["id"] == task_id)

    from vtrix import Client

    client = Client(api_key=CANARY, base_url=sandbox.url)
    sdk = client.get_task(task_id).wait(timeout=30)
    assert sdk.id == task_id and sdk.model == catalog_id and sdk.status == "succeeded"

    views = {
        "batch": batch_view,
        "run": one_object(run.out),
        "task get": one_object(get.out),
        "task wait": one_object(wait.out),
        "task list": list_view,
        "Result.to_dict()": sdk.to_dict(),
    }
    for name, view in views.items():
        assert list(view) == FIELDS, name
        for field in FIELDS:
            assert view[field] == batch_view[field], (name, field, view[field], batch_view[field])
    assert sandbox.stats()["tasks_created"] == 1


def test_the_sdk_speaks_the_json_words(home, sandbox):
    from vtrix import Client, Result

    client = Client(api_key=CANARY, base_url=sandbox.url)
    task = client.submit("bytedance/seedream-4.5-t2i", prompt="a cat")
    assert task.status in ("queued", "running") and task.model == "bytedance/seedream-4.5-t2i"
    result = task.wait(timeout=30)
    assert result.status == "succeeded" and result.raw["data"]["status"] == "success"
    assert result.created_at is not None and result.created_at.tzinfo is not None
    assert Result.from_dict(result.to_dict()) == result


# --------------------------------------------------------------- -o json on every ending


def test_exit_1_task_failed(vtrix, sandbox):
    r = vtrix(*KIRIN, "--param", "prompt=[fail] please", "-o", "json", env=env_for(sandbox))
    assert r.code == 1
    doc = one_object(r.out)
    assert doc["status"] == "failed" and doc["id"] and doc["model"] == "kirin_v3_i2v"
    assert doc["error"]["code"] == "task_failed" and "moderation" in doc["error"]["message"]


def test_exit_1_unauthorized(vtrix, make_sandbox):
    sb = make_sandbox(accepted_keys={"sk-the-only-good-key"})
    r = vtrix(*KIRIN, "-o", "json", env=env_for(sb))
    assert r.code == 1
    doc = one_object(r.out)
    assert doc["id"] is None and doc["error"]["code"] == "unauthorized"
    assert "VTRIX_API_KEY" in doc["error"]["hint"] and CANARY not in r.out


def test_exit_2_invalid_params_names_each_field(vtrix, sandbox):
    r = vtrix("run", "kirin_v3_i2v", "--duration", "99", "-o", "json", env=env_for(sandbox))
    assert r.code == 2
    doc = one_object(r.out)
    assert doc["id"] is None and doc["model"] == "kirin_v3_i2v" and doc["provider"] == "vtrix"
    assert doc["error"]["code"] == "invalid_params"
    fields = {p["field"] for p in doc["error"]["problems"]}
    assert fields == {"image_url", "duration"}
    # A value click refuses before vtrix sees it names its field too.
    r = vtrix("run", "kirin_v3_i2v", "--duration", "abc", "-o", "json", env=env_for(sandbox))
    assert r.code == 2
    doc = one_object(r.out)
    assert doc["error"]["code"] == "invalid_params"
    assert "duration" in [p["field"] for p in doc["error"]["problems"]]
    assert sandbox.stats()["tasks_created"] == 0


def test_exit_3_outcome_unknown_carries_the_key(vtrix, sandbox):
    sandbox.faults(vtrix_submit={"drop_rate": 1.0})
    r = vtrix(*KIRIN, "-o", "json", env=env_for(sandbox))
    assert r.code == 3
    doc = one_object(r.out)
    assert doc["status"] == "unknown" and doc["error"]["code"] == "outcome_unknown"
    assert doc["idempotency_key"].startswith("vtrix-")


def test_exit_75_nothing_sent(vtrix, make_sandbox):
    sb = make_sandbox(rate_limit=1)
    env = env_for(sb)
    vtrix("task", "get", "task_x", "--provider", "vtrix", env=env)  # spend the one request
    r = vtrix(*KIRIN, "-o", "json", env=env)
    assert r.code == 75
    doc = one_object(r.out)
    assert doc["id"] is None and doc["error"]["code"] == "not_sent"
    assert sb.stats()["tasks_created"] == 0


def test_exit_124_wait_timeout_with_the_id(vtrix, make_sandbox):
    sb = make_sandbox(task_seconds=30)
    r = vtrix(*KIRIN, "--timeout", "1.5", "-o", "json", env=env_for(sb))
    assert r.code == 124
    doc = one_object(r.out)
    assert doc["id"] == sb.stats()["tasks"][0] and doc["status"] in ("queued", "running")
    assert doc["error"]["code"] == "wait_timeout"


def test_exit_130_interrupted(home, make_sandbox):
    sb = make_sandbox(task_seconds=30)
    env = {**os.environ, **env_for(sb)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vtrix", *KIRIN, "-o", "json"],
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
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    doc = one_object(out)
    assert doc["id"] == sb.stats()["tasks"][0] and doc["error"]["code"] == "interrupted"


def test_a_download_failure_prints_the_task_with_its_error(vtrix, sandbox, tmp_path: Path):
    sandbox.faults(files={"cut_after": 3000})
    r = vtrix(*KIRIN, "--save", str(tmp_path / "out"), "-o", "json", env=env_for(sandbox))
    assert r.code == 75
    doc = one_object(r.out)
    assert doc["status"] == "succeeded" and doc["urls"] and doc["id"]
    assert doc["error"]["code"] == "download_failed"
