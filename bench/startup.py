"""Start-up: help, a model's help, completion and a dry run against `import click`, for the
real catalog and for a synthetic one of thousands of models; `models list` offline."""

from __future__ import annotations

import os
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench.common import FLOOR, PY, launch, timed, versus, vtrix_cmd

# The seed example's parameters as a floor script validates them (one 6-field model).
SEED_MODEL = """
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
"""
DRY_FLOOR = [
    PY,
    "-c",
    "import json, click\n"
    + SEED_MODEL
    + 'print(json.dumps({"model": "kirin_v3_i2v", "params": d}, indent=2))\n',
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


def completion_env(words: str, cword: int) -> dict[str, str]:
    return {
        **os.environ,
        "_VTRIX_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }


def real_catalog() -> dict[str, Any]:
    vt = vtrix_cmd()
    return {
        "help": versus([*vt, "--help"], FLOOR),
        "run_help": versus([*vt, "run", "--help"], FLOOR),
        "model_help": versus([*vt, "run", "kirin_v3_i2v", "--help"], FLOOR),
        "dry_run": versus([*vt, "--dry-run", "run", "kirin_v3_i2v", *SEED_PARAMS], DRY_FLOOR),
        "dry_run_silent": silent_service_dry_run(),
    }


def silent_service_dry_run() -> dict[str, Any]:
    """The seed's dry run against a models service that accepts connections and never
    answers: the first run in a fresh home makes one look, bounded; later runs do not ask
    again (for ten minutes) and take their usual time."""
    import socket
    import threading

    from bench.common import home_env

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    env = {**home_env(), "VTRIX_BASE_URL": f"http://127.0.0.1:{server.getsockname()[1]}"}
    cmd = [*vtrix_cmd(), "--dry-run", "run", "kirin_v3_i2v", *SEED_PARAMS]
    try:
        first = timed(cmd, env)
        later = versus(cmd, DRY_FLOOR, env)
    finally:
        server.close()
        for conn in held:
            conn.close()
    return {"first_s": round(first, 3), "later": later, "looks": len(held)}


def big_catalog(models_dir: Path, model_id: str, prefix: str) -> dict[str, Any]:
    cmd = launch(models_dir)
    listing = [*cmd, "models", "list", "--offline", "--output", "id"]
    proc = subprocess.run(listing, capture_output=True, text=True, check=False)
    listed = len(proc.stdout.split())
    times = [timed(listing) for _ in range(7)]
    return {
        "help": versus([*cmd, "--help"], FLOOR),
        "run_help": versus([*cmd, "run", "--help"], FLOOR),
        "model_help": versus([*cmd, "run", model_id, "--help"], FLOOR),
        "complete": versus(cmd, FLOOR, env=completion_env(f"vtrix run {prefix}", 2)),
        "models_list_offline_s": round(statistics.median(times), 3),
        "models_listed": listed,
    }


TASK_GET_FLOOR = """
import json, sys, click, requests
url, key = sys.argv[1], sys.argv[2]
r = requests.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
print(json.dumps(r.json(), indent=2))
"""
RUN_FLOOR = (
    "import json, sys, click, requests\n"
    + SEED_MODEL
    + """base, key = sys.argv[1], sys.argv[2]
h = {"Authorization": f"Bearer {key}"}
t = requests.post(base + "/model/v1/generation", json={"model": "kirin_v3_i2v", "params": d},
                  headers=h, timeout=30).json()
r = requests.get(base + "/model/v1/generation/task/" + t["id"], headers=h, timeout=30)
print(json.dumps(r.json(), indent=2))
"""
)


def network_commands(env: dict[str, str], url: str, key: str) -> dict[str, Any]:
    """`vtrix task get` and `vtrix run` (a 0-s task) against floor scripts doing the same
    requests with click, pydantic and requests; and the import time of `vtrix run`."""
    import json

    vt = vtrix_cmd()
    run = [*vt, "-q", "run", "kirin_v3_i2v", *SEED_PARAMS, "-o", "json"]
    out = subprocess.run(run, capture_output=True, text=True, env=env, check=True).stdout
    task_id = json.loads(out)["id"]
    task_url = f"{url}/model/v1/generation/task/{task_id}"
    figures = {
        "task_get": versus(
            [*vt, "task", "get", task_id, "-o", "json"],
            [PY, "-c", TASK_GET_FLOOR, task_url, key],
            env=env,
        ),
        "run": versus(run, [PY, "-c", RUN_FLOOR, url, key], env=env),
    }
    figures["imports_ms"] = _import_ms([PY, "-X", "importtime", "-m", "vtrix", *run[1:]], env)
    return figures


def _import_ms(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Total import time of a command, and vtrix's own share (ms, median of 5)."""
    totals, ours = [], []
    for _ in range(5):
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        total = own = 0
        for line in proc.stderr.splitlines():
            if not line.startswith("import time:") or "|" not in line:
                continue
            parts = line.split("|")
            try:
                self_us = int(parts[0].split(":")[1])
            except ValueError:
                continue
            name = parts[2].strip()
            total += self_us
            if name.startswith("vtrix"):
                own += self_us
        totals.append(total / 1000)
        ours.append(own / 1000)
    return {
        "total": round(statistics.median(totals), 1),
        "vtrix": round(statistics.median(ours), 1),
    }
