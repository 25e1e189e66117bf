"""What every bench section shares: paired timings against a floor, a sandbox in its own
process, an isolated home, and peak memory and threads of a process tree."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
REPS = int(os.environ.get("BENCH_REPS", "21"))
FLOOR = [PY, "-c", "import click"]
# Runs vtrix with vtrix.models pointing at another generated tree (a synthetic catalog).
LAUNCH = """
import sys
import vtrix.engine.registry, vtrix.models
vtrix.models.__path__[:] = [sys.argv[1]]
vtrix.engine.registry._DIR = sys.argv.pop(1)
from vtrix.cli.main import main
main()
"""

# Installed packages have their bytecode compiled; measure that, not compiling on every run.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def vtrix_cmd() -> list[str]:
    exe = Path(PY).parent / "vtrix"
    return [str(exe)] if exe.exists() else [PY, "-m", "vtrix"]


def launch(models_dir: Path) -> list[str]:
    return [PY, "-c", LAUNCH, str(models_dir)]


def compile_tree(*paths: Path) -> None:
    subprocess.run([PY, "-m", "compileall", "-q", *map(str, paths)], check=True)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - start


def versus(cmd: list[str], floor: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Median of ``cmd`` and of ``floor``, run alternately (A B A B …) after a warm-up."""
    timed(cmd, env)
    timed(floor, env)
    a, b = [], []
    for _ in range(REPS):
        a.append(timed(cmd, env))
        b.append(timed(floor, env))
    med_a, med_b = statistics.median(a), statistics.median(b)
    return {
        "median_s": round(med_a, 4),
        "floor_s": round(med_b, 4),
        "ratio": round(med_a / med_b, 3),
    }


def home_env() -> dict[str, str]:
    home = tempfile.mkdtemp(prefix="vtrix-bench-home-")
    return {
        **os.environ,
        "VTRIX_CONFIG_DIR": f"{home}/c",
        "VTRIX_DATA_DIR": f"{home}/d",
        "VTRIX_CACHE_DIR": f"{home}/x",
    }


class Sandbox:
    """``vtrix sandbox`` in its own process."""

    def __init__(self, env: dict[str, str], *args: str) -> None:
        self.proc = subprocess.Popen(
            [*vtrix_cmd(), "sandbox", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None
        self.url = self.proc.stdout.readline().strip()

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/__sandbox/stats") as resp:
            data: dict[str, Any] = json.load(resp)
            return data

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait()


@contextmanager
def sandbox(env: dict[str, str], *args: str) -> Iterator[Sandbox]:
    sb = Sandbox(env, *args)
    try:
        yield sb
    finally:
        sb.stop()


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo += [int(c) for c in fh.read().split()]
        except OSError:
            pass
    return out


def _status(pid: int) -> tuple[int, int]:
    """(RSS in kB, threads) of one process (0, 0 once it is gone)."""
    rss = threads = 0
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
    except OSError:
        pass
    return rss, threads


class Peak:
    """Samples a process and its descendants every 20 ms: the peak of their summed RSS, the
    peak RSS of any one of them, and the peak thread count of the root."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.total_kb = self.single_kb = self.threads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for p in _tree(self.pid):
                rss, threads = _status(p)
                total += rss
                self.single_kb = max(self.single_kb, rss)
                if p == self.pid:
                    self.threads = max(self.threads, threads)
            self.total_kb = max(self.total_kb, total)
            self._stop.wait(0.02)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {
            "peak_rss_mb": round(self.total_kb / 1024, 1),
            "largest_process_mb": round(self.single_kb / 1024, 1),
            "peak_threads": self.threads,
        }


def run_measured(
    cmd: list[str], **kwargs: Any
) -> tuple[subprocess.CompletedProcess[str], float, dict[str, float]]:
    """Run ``cmd``: (its result, wall seconds, peak memory and threads of its process tree)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs
    )
    peak = Peak(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    memory = peak.stop()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), wall, memory
