"""Start-up: help, a model's help, completion and a dry run against `import click`, for the
real catalog and for a synthetic one of thousands of models; `models list` offline."""

from __future__ import annotations

import os
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench.common import FLOOR, PY, launch, timed, versus, vtrix_cmd

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
    }


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
