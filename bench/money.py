"""The money kernel's model-based test run long: many more examples of concurrent callers
(threads, asyncio tasks, two machines on one PostgreSQL ledger) against a gateway that loses
answers, refuses, overcharges, reports zero or absurd costs and dies mid-submit; every
invariant checked after every step (tests/test_money_kernel.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT


def model_based(examples: int = 300) -> dict[str, Any]:
    report = Path(tempfile.mkdtemp(prefix="vtrix-bench-money-")) / "seen.jsonl"
    env = {**os.environ, "VTRIX_MONEY_EXAMPLES": str(examples), "VTRIX_MONEY_REPORT": str(report)}
    start = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:xdist",
            "-p",
            "no:cacheprovider",
            "tests/test_money_kernel.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - start
    runs = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    total = {  # (what the examples reached, summed over both ledgers)
        k: sum(int(r.get(k, 0)) for r in runs)
        for k in (
            "sent",
            "budget_reached",
            "outcome_unknown",
            "request_rejected",
            "processes",
            "sigkill",
        )
    }
    return {
        "passed": proc.returncode == 0,
        "examples": sum(int(r["examples"]) for r in runs),
        "machines": [r["machine"] for r in runs],
        "wall_s": round(wall, 1),
        **total,
        "tail": proc.stdout.strip().splitlines()[-1:] if proc.returncode else [],
    }
