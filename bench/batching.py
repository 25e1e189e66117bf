"""Many tasks: a 1,000-line batch at concurrency 200, 1,000 concurrent async runs in one
process, and a 500-line batch killed at a random point and run again (submits counted at the
sandbox)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import PY, home_env, run_measured, sandbox, vtrix_cmd


def _lines(path: Path, count: int) -> None:
    rows = (
        {"model": "kirin_v3_i2v", "params": {"image_url": f"https://example.com/{i}.jpg"}}
        for i in range(count)
    )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _keys(env: dict[str, str], url: str) -> None:
    env.update(VTRIX_BASE_URL=url, MODELLIX_BASE_URL=url, VTRIX_API_KEY="sk-bench-batch-key")


def batch_1000(
    lines: int = 1000, concurrency: int = 200, task_seconds: float = 2.0
) -> dict[str, Any]:
    env = home_env()
    work = Path(tempfile.mkdtemp(prefix="vtrix-bench-batch-"))
    _lines(work / "in.jsonl", lines)
    with sandbox(env, "--task-seconds", str(task_seconds)) as sb:
        _keys(env, sb.url)
        cmd = [*vtrix_cmd(), "batch", str(work / "in.jsonl"), "--concurrency", str(concurrency)]
        cmd += ["-q", "-y", "--results", str(work / "results.jsonl")]
        proc, wall, memory = run_measured(cmd, env=env)
        stats = sb.stats()
    results = [json.loads(x) for x in (work / "results.jsonl").read_text().splitlines()]
    return {
        "lines": lines,
        "concurrency": concurrency,
        "task_seconds": task_seconds,
        "wall_s": round(wall, 1),
        "exit": proc.returncode,
        "errors": sum(1 for r in results if r["status"] != "succeeded"),
        "submits": stats["tasks_created"],
        "status_per_task": round(stats["routes"].get("vtrix.task", 0) / lines, 2),
        **memory,
    }


ASYNC_SCRIPT = """
import asyncio, sys
from vtrix import AsyncClient

async def main(n):
    async with AsyncClient() as client:
        results = await asyncio.gather(*(
            client.run("kirin_v3_i2v", image_url=f"https://example.com/{i}.jpg") for i in range(n)
        ))
    print(sum(1 for r in results if r.urls))

asyncio.run(main(int(sys.argv[1])))
"""


def async_1000(runs: int = 1000, task_seconds: float = 2.0) -> dict[str, Any]:
    env = home_env()
    with sandbox(env, "--task-seconds", str(task_seconds)) as sb:
        _keys(env, sb.url)
        proc, wall, memory = run_measured([PY, "-c", ASYNC_SCRIPT, str(runs)], env=env)
        stats = sb.stats()
    ok = int(proc.stdout.strip() or 0) if proc.returncode == 0 else 0
    return {
        "runs": runs,
        "succeeded": ok,
        "wall_s": round(wall, 1),
        "submits": stats["tasks_created"],
        **memory,
    }


def kill_and_resume(lines: int = 500, seed: int = 11) -> dict[str, Any]:
    env = home_env()
    work = Path(tempfile.mkdtemp(prefix="vtrix-bench-kill-"))
    _lines(work / "in.jsonl", lines)
    kill_after = random.Random(seed).uniform(1.0, 4.0)
    with sandbox(env, "--task-seconds", "2") as sb:
        _keys(env, sb.url)
        cmd = [*vtrix_cmd(), "batch", str(work / "in.jsonl"), "--concurrency", "50", "-q", "-y"]
        first = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(kill_after)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        before = sb.stats()["tasks_created"]
        second = subprocess.run(cmd, env=env, capture_output=True, text=True)
        reruns = [second.returncode]
        if second.returncode == 3:  # submits cut mid-flight: sent again with the same key
            third = subprocess.run([*cmd, "--resubmit-unknown"], env=env, capture_output=True)
            reruns.append(third.returncode)
        after = sb.stats()["tasks_created"]
    return {
        "lines": lines,
        "killed_after_s": round(kill_after, 2),
        "submits_before_kill": before,
        "submits_total": after,
        "rerun_exits": reruns,
    }
