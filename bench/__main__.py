"""``make bench``: start-up, dry-run, codegen and end-to-end figures against their floors.

Every timing is a median over whole-process runs, alternating the measured command with its
floor (A B A B …) on this shared, noisy machine; results go to bench/results.json and
bench/RESULTS.md.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.synthetic import write_specs

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
REPS = int(os.environ.get("BENCH_REPS", "21"))
FLOOR = [PY, "-c", "import click"]
DRY_FLOOR = [
    PY,
    "-c",
    """
import json, click
from typing import Literal
from pydantic import BaseModel, Field
class P(BaseModel):
    image_url: str
    prompt: str = ""
    negative_prompt: str = ""
    resolution: Literal["480p", "720p", "1080p"] = "720p"
    duration: int = Field(5, ge=3, le=10)
    seed: int = -1
d = {"image_url": "https://example.com/landscape.jpg", "prompt": "gentle wind", "duration": 6,
     "resolution": "1080p"}
P.model_validate(d, strict=True)
print(json.dumps({"model": "kirin_v3_i2v", "params": d}, indent=2))
""",
]
SEED_PARAMS = [
    "--param",
    "image_url=https://example.com/landscape.jpg",
    "--param",
    "prompt=gentle wind, grass swaying slowly",
    "--param",
    "duration=6",
    "--param",
    "resolution=1080p",
]
# Runs vtrix with vtrix.models pointing at another generated tree (the 1,000-model catalog).
LAUNCH = """
import sys
import vtrix.models
vtrix.models.__path__[:] = [sys.argv.pop(1)]
from vtrix.cli.main import main
main()
"""


# Installed packages have their bytecode compiled; measure that, not compiling on every run.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def compile_tree(*paths: Path) -> None:
    subprocess.run([PY, "-m", "compileall", "-q", *map(str, paths)], check=True)


def timed(cmd: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=False)
    return time.perf_counter() - start


def versus(
    cmd: list[str],
    floor: list[str],
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
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


def codegen_seconds(specs: Path, reps: int = 3) -> float:
    out = Path(tempfile.mkdtemp())
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        subprocess.run(
            [PY, "-m", "codegen", "generate", "--specs", str(specs), "--root", str(out)],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - start)
    return round(statistics.median(times), 2)


def e2e(task_seconds: float, runs: int = 5) -> dict[str, Any]:
    """vtrix run against a sandbox: exit minus task completion, status requests, peak RSS."""
    home = tempfile.mkdtemp()
    env = {
        **os.environ,
        "VTRIX_CONFIG_DIR": f"{home}/c",
        "VTRIX_DATA_DIR": f"{home}/d",
        "VTRIX_CACHE_DIR": f"{home}/x",
    }
    sb = subprocess.Popen(
        [PY, "-m", "vtrix", "sandbox", "--port", "0", "--task-seconds", str(task_seconds)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    assert sb.stdout is not None
    url = sb.stdout.readline().strip()
    env.update(VTRIX_BASE_URL=url, MODELLIX_BASE_URL=url, VTRIX_API_KEY="sk-bench-key-123")
    lat, polls, rss = [], [], []
    import urllib.request

    def stats() -> dict[str, Any]:
        with urllib.request.urlopen(f"{url}/__sandbox/stats") as r:
            data: dict[str, Any] = json.load(r)
            return data

    try:
        for _ in range(runs):
            before = stats()["routes"].get("vtrix.task", 0)
            proc = subprocess.Popen(
                [PY, "-m", "vtrix", "-q", "run", "kirin_v3_i2v", "--output", "json", *SEED_PARAMS],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=env,
            )
            out = proc.stdout.read() if proc.stdout else b""
            _, _status, usage = os.wait4(proc.pid, 0)
            ended = time.time()
            task_id = json.loads(out)["id"]
            s = stats()
            lat.append(ended - s["task_times"][task_id]["completes"])
            polls.append(s["routes"].get("vtrix.task", 0) - before)
            rss.append(usage.ru_maxrss / 1024)
    finally:
        sb.terminate()
        sb.wait()
    return {
        "task_seconds": task_seconds,
        "exit_after_completion_s": round(statistics.median(lat), 3),
        "status_requests": max(polls),
        "peak_rss_mb": round(max(rss), 1),
    }


def main() -> int:
    vt = [PY, "-m", "vtrix"]
    bin_vtrix = str(Path(PY).parent / "vtrix")
    if os.path.exists(bin_vtrix):
        vt = [bin_vtrix]
    results: dict[str, Any] = {
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "reps": REPS,
        "cpus": os.cpu_count(),
    }
    compile_tree(ROOT / "src")
    print("start-up against `python -c 'import click'`…", file=sys.stderr)
    results["help"] = versus([*vt, "--help"], FLOOR)
    results["run_help"] = versus([*vt, "run", "--help"], FLOOR)
    results["model_help"] = versus([*vt, "run", "kirin_v3_i2v", "--help"], FLOOR)
    results["dry_run"] = versus([*vt, "--dry-run", "run", "kirin_v3_i2v", *SEED_PARAMS], DRY_FLOOR)
    print("codegen…", file=sys.stderr)
    results["codegen_real_s"] = codegen_seconds(ROOT / "specs")
    synth = Path(tempfile.mkdtemp()) / "specs"
    write_specs(synth, 1000)
    results["codegen_1000_s"] = codegen_seconds(synth, reps=1)
    big = Path(tempfile.mkdtemp())
    subprocess.run(
        [PY, "-m", "codegen", "generate", "--specs", str(synth), "--root", str(big)],
        check=True,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    compile_tree(big)
    launch = [PY, "-c", LAUNCH, str(big / "src" / "vtrix" / "models")]
    results["help_1000"] = versus([*launch, "--help"], FLOOR)
    results["run_help_1000"] = versus([*launch, "run", "--help"], FLOOR)
    results["model_help_1000"] = versus([*launch, "run", "synth_model_0000", "--help"], FLOOR)
    print("end to end against the sandbox…", file=sys.stderr)
    results["e2e"] = e2e(3.0)
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (ROOT / "bench" / "RESULTS.md").write_text(render(results))
    print(render(results))
    return 0


def render(r: dict[str, Any]) -> str:
    def row(name: str, key: str, floor: str, target: str = "≤ 1.3×") -> str:
        f = r[key]
        ok = "✓" if f["ratio"] <= 1.3 else "✗"
        return (
            f"| {name} | {floor} | {target} | {f['median_s'] * 1000:.0f} ms vs "
            f"{f['floor_s'] * 1000:.0f} ms = **{f['ratio']:.2f}×** {ok} |"
        )

    e = r["e2e"]
    lines = [
        "# Benchmarks",
        "",
        f"Measured on {r['date']} on this project's machine ({r['cpus']} cores, Python "
        f"{r['python']}), medians of {r['reps']} whole-process runs alternating with the floor.",
        "Reproduce with `make bench` (writes bench/results.json and this file).",
        "",
        "| figure | floor | target | result |",
        "|---|---|---|---|",
        row("`vtrix --help`", "help", "`python -c 'import click'`"),
        row("`vtrix run --help` (lists every model)", "run_help", "same"),
        row("`vtrix run kirin_v3_i2v --help`", "model_help", "same"),
        row("`vtrix --help`, 1,000-model catalog", "help_1000", "same"),
        row("`vtrix run --help`, 1,000-model catalog", "run_help_1000", "same"),
        row("`vtrix run synth_model_0000 --help`, 1,000-model catalog", "model_help_1000", "same"),
        row(
            "`vtrix --dry-run run kirin_v3_i2v --param …` (seed example)",
            "dry_run",
            "click + pydantic script validating a 6-field model, printing JSON",
        ),
        f"| `python -m codegen generate`, real snapshot (68 models) | — | report | "
        f"{r['codegen_real_s']} s |",
        f"| `python -m codegen generate`, 1,000 synthetic specs | — | ≤ 30 s | "
        f"{r['codegen_1000_s']} s {'✓' if r['codegen_1000_s'] <= 30 else '✗'} |",
        f"| `vtrix run` on the sandbox, task of {e['task_seconds']:g} s: exit − completion | 0 | "
        f"median ≤ 0.5 s | {e['exit_after_completion_s']} s "
        f"{'✓' if e['exit_after_completion_s'] <= 0.5 else '✗'} |",
        f"| status requests per task of {e['task_seconds']:g} s | — | ≤ T + 2 = "
        f"{e['task_seconds'] + 2:g} | {e['status_requests']} "
        f"{'✓' if e['status_requests'] <= e['task_seconds'] + 2 else '✗'} |",
        f"| peak RSS of `vtrix run` | — | report | {e['peak_rss_mb']} MB |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
