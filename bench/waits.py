"""How soon `vtrix run` ends after the task does, on both protocols: the vtrix protocol (which
reports progress) and Modellix's (which does not: polls follow the model's learned duration,
or a dense early schedule for a model never seen)."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
from typing import Any

from bench.common import home_env, sandbox, vtrix_cmd
from bench.startup import SEED_PARAMS

MODELLIX_MODEL = "bytedance/seedream-4.5-t2i"
MODELLIX_PARAMS = ["--param", "prompt=a lighthouse at dusk"]


def _one_run(env: dict[str, str], args: list[str]) -> tuple[str, float, float]:
    """(task id, exit time, peak RSS MB) of one `vtrix -q run … --output json`."""
    proc = subprocess.Popen(
        [*vtrix_cmd(), "-q", "run", *args, "--output", "json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    out = proc.stdout.read() if proc.stdout else b""
    _, _status, usage = os.wait4(proc.pid, 0)
    return json.loads(out)["id"], time.time(), usage.ru_maxrss / 1024


def waits(
    protocol: str, task_seconds: float = 3.0, runs: int = 5, *, history: bool = True
) -> dict[str, Any]:
    """Exit minus completion and status requests per task; ``history=False`` gives every run
    a fresh ledger (a model never seen), else runs share one (after a first, unmeasured run)."""
    env = home_env()
    if protocol == "vtrix":
        args, route = ["kirin_v3_i2v", *SEED_PARAMS], "vtrix.task"
    else:
        args, route = [MODELLIX_MODEL, *MODELLIX_PARAMS], "modellix.task"
    with sandbox(env, "--task-seconds", str(task_seconds)) as sb:
        env.update(VTRIX_BASE_URL=sb.url, MODELLIX_BASE_URL=sb.url)
        env.update(VTRIX_API_KEY="sk-bench-key-123", MODELLIX_API_KEY="sk-bench-key-456")
        if history:
            for _ in range(2):  # the ledger needs two completed tasks to trust a duration
                _one_run(env, args)
        lat, polls, rss = [], [], []
        for _ in range(runs):
            if not history:
                shutil.rmtree(env["VTRIX_DATA_DIR"], ignore_errors=True)
            before = sb.stats()["routes"].get(route, 0)
            task_id, ended, peak = _one_run(env, args)
            s = sb.stats()
            lat.append(ended - s["task_times"][task_id]["completes"])
            polls.append(s["routes"].get(route, 0) - before)
            rss.append(peak)
    return {
        "protocol": protocol,
        "task_seconds": task_seconds,
        "history": history,
        "exit_after_completion_s": round(statistics.median(lat), 3),
        "status_requests": max(polls),
        "peak_rss_mb": round(max(rss), 1),
    }


def instant_modellix(runs: int = 5) -> dict[str, Any]:
    """Issue 20: a Modellix task that ends at once (`--task-seconds 0`): exit − completion
    with an empty ledger, and after the ledger has learned 3-s tasks of the same model."""
    args = [MODELLIX_MODEL, *MODELLIX_PARAMS]
    out: dict[str, Any] = {}
    for case in ("cold", "learned_3s"):
        env = home_env()
        env.update(VTRIX_API_KEY="sk-bench-key-123", MODELLIX_API_KEY="sk-bench-key-456")
        if case == "learned_3s":
            with sandbox(env, "--task-seconds", "3") as slow:
                env.update(MODELLIX_BASE_URL=slow.url)
                for _ in range(2):
                    _one_run(env, args)
        with sandbox(env, "--task-seconds", "0") as sb:
            env.update(VTRIX_BASE_URL=sb.url, MODELLIX_BASE_URL=sb.url)
            lat, polls = [], []
            for _ in range(runs):
                before = sb.stats()["routes"].get("modellix.task", 0)
                task_id, ended, _ = _one_run(env, args)
                s = sb.stats()
                lat.append(ended - s["task_times"][task_id]["completes"])
                polls.append(s["routes"].get("modellix.task", 0) - before)
        out[case] = {
            "exit_after_completion_s": round(statistics.median(lat), 3),
            "status_requests": max(polls),
        }
    return out
