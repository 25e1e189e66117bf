"""Every example of both seed pages, run as written against the sandbox."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import CANARY, SEEDS, env_for
from virtual_time import CLOCK

from vtrix import __version__

VTRIX_PAGE = (SEEDS / "vtrix_run_page.txt").read_text(encoding="utf-8")
MODELLIX_PAGE = (SEEDS / "modellix_cli_readme.txt").read_text(encoding="utf-8")
URL = re.compile(r"^http://127\.0\.0\.1:\d+/files/task_[0-9a-f]+/output\.mp4\?expires=\d+$")


def seed_block(start: str, end: str) -> str:
    i = VTRIX_PAGE.index(start)
    j = VTRIX_PAGE.index(end, i) + len(end)
    return VTRIX_PAGE[i:j]


def test_models_spec_matches_the_seed_page_layout(vtrix, sandbox):
    expected = seed_block("Model: kirin_v3_i2v", "Default: -1")
    r = vtrix("models", "spec", "kirin_v3_i2v", env=env_for(sandbox, key=None))
    assert r.code == 0, r.err
    assert r.out.rstrip("\n") == expected


def test_models_spec_offline_falls_back_to_generated_and_says_so(vtrix):
    r = vtrix("models", "spec", "kirin_v3_i2v", env={"VTRIX_MODELS_URL": "http://127.0.0.1:9"})
    assert r.code == 0
    assert r.out.rstrip("\n") == seed_block("Model: kirin_v3_i2v", "Default: -1")
    assert "generated" in r.err


def test_dry_run_body_is_byte_for_byte_the_seed(vtrix, sandbox):
    expected = seed_block("[dry-run] POST /model/v1/generation", "}\n}")
    r = vtrix(
        "--dry-run",
        "run",
        "kirin_v3_i2v",
        "--param",
        "image_url=https://example.com/landscape.jpg",
        "--param",
        "prompt=gentle wind, grass swaying slowly",
        "--param",
        "duration=6",
        "--param",
        "resolution=1080p",
        env={"VTRIX_BASE_URL": sandbox.url},
    )
    assert r.code == 0, r.err
    assert r.out == expected + "\n"
    assert sandbox.stats()["tasks_created"] == 0


def test_dry_run_needs_no_key_and_sends_nothing(vtrix, sandbox):
    r = vtrix(
        "--dry-run",
        "run",
        "spark_dance_v2_0",
        "--param",
        "prompt=neon city",
        env={"VTRIX_BASE_URL": sandbox.url},
    )
    assert r.code == 0, r.err
    assert r.out.startswith("[dry-run] POST /model/v1/generation\n")
    assert json.loads(r.out.split("\n", 1)[1]) == {
        "model": "spark_dance_v2_0",
        "params": {"prompt": "neon city"},
    }
    assert sandbox.stats()["routes"].get("vtrix.submit", 0) == 0


def test_dry_run_is_also_accepted_after_run(vtrix, sandbox):
    a = vtrix("run", "--dry-run", "spark_dance_v2_0", "--param", "prompt=x")
    b = vtrix("run", "spark_dance_v2_0", "--param", "prompt=x", "--dry-run")
    assert a.code == b.code == 0
    assert a.out == b.out


@pytest.mark.parametrize(
    "args",
    [
        [
            "spark_dance_v2_0",
            "--param",
            "prompt=neon cityscape timelapse",
            "--param",
            "duration=5",
            "--output",
            "url",
        ],
        ["kirin_v2_6_i2v", "--param", "image=https://example.com/cat.jpg", "--output", "url"],
        [
            "kirin_v2_6_i2v",
            "--param",
            "camera_control.type=simple",
            "--param",
            "camera_control.config.horizontal=5",
            "--output",
            "url",
        ],
        [
            "spark_dance_v2_0",
            "--param",
            'content=[{"type":"text","text":"a cat running in rain"}]',
            "--output",
            "url",
        ],
        [
            "kirin_v3_i2v",
            "--param",
            "image_url=https://example.com/landscape.jpg",
            "--param",
            "prompt=gentle wind, grass swaying slowly",
            "--param",
            "duration=6",
            "--param",
            "resolution=1080p",
            "--output",
            "url",
        ],
    ],
)
def test_seed_run_examples_print_the_result_url(vtrix, sandbox, args):
    r = vtrix("run", *args, env=env_for(sandbox))
    assert r.code == 0, r.err
    assert URL.match(r.out.strip()), r.out
    assert "Submitting task...\n✓ Task created: task_" in r.err
    assert "Waiting for result..." in r.err and "✓ Done" in r.err
    assert sandbox.stats()["tasks_created"] == 1


def test_nested_dot_notation_reaches_the_wire(vtrix, sandbox):
    r = vtrix(
        "--dry-run",
        "run",
        "kirin_v2_6_i2v",
        "--param",
        "camera_control.type=simple",
        "--param",
        "camera_control.config.horizontal=5",
    )
    body = json.loads(r.out.split("\n", 1)[1])
    assert body["params"] == {"camera_control": {"type": "simple", "config": {"horizontal": 5}}}


def test_url_capture_in_a_script(sandbox, home, tmp_path):
    import os
    import subprocess
    import sys

    script = tmp_path / "capture.sh"
    script.write_text(
        'VIDEO_URL=$("$PY" -m vtrix run kirin_v3_i2v \\\n'
        '  --param image_url="https://example.com/landscape.jpg" \\\n'
        '  --param prompt="gentle wind, grass swaying slowly" \\\n'
        "  --output url)\n"
        'echo "Result: $VIDEO_URL"\n'
    )
    env = {**os.environ, **env_for(sandbox), "PY": sys.executable}
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip()
    assert line.startswith("Result: ") and URL.match(line[len("Result: ") :])


# ------------------------------------------------------------------ modellix-cli README


def test_modellix_invoke_inline_body_then_task_get(vtrix, sandbox):
    env = {"MODELLIX_BASE_URL": sandbox.url, "MODELLIX_API_KEY": CANARY}
    r = vtrix(
        "model",
        "invoke",
        "--model-slug",
        "bytedance/seedream-4.5-t2i",
        "--body",
        '{"prompt":"A cute cat playing in a garden on a sunny day"}',
        env=env,
    )
    assert r.code == 0, r.err
    task_id = r.out.strip()
    assert re.fullmatch(r"task-[0-9a-f]+", task_id)
    CLOCK.sleep(0.8)
    g = vtrix("task", "get", task_id, "--output", "json", env=env)
    assert g.code == 0, g.err
    body = json.loads(g.out)  # vtrix's task shape, the gateway's answer under "raw"
    assert body["id"] == task_id and body["status"] == "succeeded"
    assert body["provider"] == "modellix" and body["error"] is None
    assert ".png?expires=" in body["urls"][0]
    assert body["raw"]["data"]["status"] == "success"


def test_modellix_invoke_body_file_for_a_catalog_only_model(vtrix, sandbox, tmp_path: Path):
    payload = tmp_path / "payload.json"
    payload.write_text('{"prompt": "make the sky purple", "image": "https://example.com/a.png"}')
    r = vtrix(
        "model",
        "invoke",
        "--model-slug",
        "alibaba/qwen-image-edit",
        "--body-file",
        str(payload),
        "--api-key",
        CANARY,
        env={"MODELLIX_BASE_URL": sandbox.url},
    )
    assert r.code == 0, r.err
    assert r.out.strip().startswith("task-")
    assert "alibaba/qwen-image-edit: the gateway publishes no parameter spec" in r.err
    assert sandbox.stats()["tasks_created"] == 1


def test_modellix_invoke_validates_before_sending(vtrix, sandbox):
    r = vtrix(
        "model",
        "invoke",
        "--model-slug",
        "bytedance/seedream-4.5-t2i",
        "--body",
        '{"promt": "typo", "sequential_image_generation": "maybe"}',
        env={"MODELLIX_BASE_URL": sandbox.url, "MODELLIX_API_KEY": CANARY},
    )
    assert r.code == 2
    assert "promt: unknown parameter; did you mean 'prompt'?" in r.err
    assert "prompt: required, but not given" in r.err
    assert "sequential_image_generation: expected one of auto | disabled" in r.err
    assert sandbox.stats()["tasks_created"] == 0


def test_modellix_help_commands(vtrix):
    assert vtrix("--help").code == 0
    for sub in (["model", "invoke", "--help"], ["task", "get", "--help"]):
        r = vtrix(*sub)
        assert r.code == 0 and "Usage:" in r.out
    assert vtrix("--version").out.strip() == f"vtrix, version {__version__}"
