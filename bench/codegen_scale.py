"""Code generation at catalog scale: a cold run over thousands of synthetic specs (wall time,
peak memory of the whole process tree), one changed spec, and `check` with nothing changed."""

from __future__ import annotations

import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import PY, ROOT, run_measured
from bench.synthetic import write_specs


def generate(specs: Path, out: Path) -> list[str]:
    return [PY, "-m", "codegen", "generate", "--specs", str(specs), "--root", str(out)]


def seconds(cmd: list[str], expect: int = 0) -> float:
    """How long ``cmd`` took (it must exit with ``expect``)."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    took = time.perf_counter() - start
    if proc.returncode != expect:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}, not {expect}")
    return took


def real_catalog(reps: int = 3) -> float:
    """Cold generations of the committed snapshot, each into a fresh tree (median)."""
    runs = []
    for _ in range(reps):
        out = Path(tempfile.mkdtemp(prefix="vtrix-bench-gen-"))
        runs.append(seconds(generate(ROOT / "specs", out)))
    return round(statistics.median(runs), 2)


def synthetic(count: int) -> tuple[dict[str, Any], Path]:
    """(figures, the generated tree) for ``count`` synthetic specs."""
    base = Path(tempfile.mkdtemp(prefix=f"vtrix-bench-{count}-"))
    specs, out = base / "specs", base / "out"
    write_specs(specs, count)
    proc, wall, memory = run_measured(generate(specs, out), cwd=ROOT)
    if proc.returncode != 0:
        raise RuntimeError(f"codegen generate failed: {proc.stderr[-2000:]}")
    figures: dict[str, Any] = {"count": count, "cold_s": round(wall, 1), **memory}
    figures["files"] = sum(1 for p in out.rglob("*") if p.is_file())
    return figures, out


def incremental(figures: dict[str, Any], out: Path, reps: int = 3) -> dict[str, Any]:
    """One changed spec at a time, then `check` with nothing changed (medians)."""
    specs = out.parent / "specs"
    paths = sorted((specs / "vtrix").glob("*.json"))[:reps]
    changed = []
    for path in paths:
        data = json.loads(path.read_text())
        data["description"] = str(data.get("description", "")) + " (changed)"
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        changed.append(seconds(generate(specs, out)))
    check = [PY, "-m", "codegen", "check", "--specs", str(specs), "--root", str(out)]
    checks = [seconds(check) for _ in range(reps)]
    # One spec changed and not generated: check renders it to list exactly what would change.
    path = paths[0]
    data = json.loads(path.read_text())
    data["description"] = str(data.get("description", "")) + " (changed again)"
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    stale_checks = [seconds(check, expect=1) for _ in range(reps)]
    generate(specs, out)
    return {
        **figures,
        "one_changed_s": round(statistics.median(changed), 2),
        "check_s": round(statistics.median(checks), 2),
        "check_one_stale_s": round(statistics.median(stale_checks), 2),
    }
