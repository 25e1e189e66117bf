"""A team's shared ledger: four `vtrix batch FILE --worker` processes splitting one 1,000-line
batch through a PostgreSQL ledger (a throwaway server from pgserver's wheel), against the
sandbox: wall, submits counted at the sandbox, status requests per task, ledger statements per
line."""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

from bench.batching import _keys, _lines
from bench.common import home_env, sandbox, vtrix_cmd

STATEMENTS = re.compile(r"\((\d+) ledger statements\)")


def workers(
    lines: int = 1000, count: int = 4, concurrency: int = 50, task_seconds: float = 2.0
) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

    work = Path(tempfile.mkdtemp(prefix="vtrix-bench-teams-"))
    _lines(work / "in.jsonl", lines)
    server = pgserver.get_server(work / "pg", cleanup_mode="delete")  # type: ignore[attr-defined]
    try:
        env = home_env()
        env["VTRIX_LEDGER_URL"] = server.get_uri()
        with sandbox(env, "--task-seconds", str(task_seconds)) as sb:
            _keys(env, sb.url)
            cmd = [*vtrix_cmd(), "batch", str(work / "in.jsonl"), "--worker", "-y"]
            cmd += ["--concurrency", str(concurrency), "-o", "json"]
            start = time.perf_counter()
            procs = [
                subprocess.Popen(
                    cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
                )
                for _ in range(count)
            ]
            outs = [p.communicate() for p in procs]
            wall = time.perf_counter() - start
            stats = sb.stats()
    finally:
        server.cleanup()
    ran = [len(out.splitlines()) for out, _ in outs]
    statements = sum(int(m.group(1)) for _, err in outs for m in STATEMENTS.finditer(err))
    return {
        "lines": lines,
        "workers": count,
        "concurrency": concurrency,
        "task_seconds": task_seconds,
        "wall_s": round(wall, 1),
        "exits": [p.returncode for p in procs],
        "lines_per_worker": ran,
        "submits": stats["tasks_created"],
        "status_per_task": round(stats["routes"].get("vtrix.task", 0) / lines, 2),
        "statements_per_line": round(statements / lines, 1),
    }
