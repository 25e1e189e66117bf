"""`make specs generate` round-trips against the sandbox; a failed fetch changes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from codegen.generate import OUTPUT_DIRS
from codegen.report import compare, format_report
from codegen.specfiles import read_tree
from vtrix.spec.normalise import ModelSpec

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen", *args],
        cwd=ROOT,
        text=True,
        capture_output=True,
        env={**os.environ, **env},
    )


def test_fetch_then_generate_round_trips(sandbox, tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    env = {"VTRIX_BASE_URL": sandbox.url, "MODELLIX_BASE_URL": sandbox.url}
    r = run(["fetch", "--specs", str(specs)], env)
    assert r.returncode == 0, r.stderr
    assert "No changes" in r.stdout
    assert read_tree(specs) == read_tree(ROOT / "specs")
    out = tmp_path / "out"
    assert run(["generate", "--specs", str(specs), "--root", str(out)], env).returncode == 0
    for d in OUTPUT_DIRS:
        assert read_tree(out / d) == read_tree(ROOT / d)


def test_failed_fetch_leaves_specs_alone(sandbox, tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    sandbox.faults(modellix_schema={"error_rate": 1.0})
    r = run(
        ["fetch", "--specs", str(specs)],
        {"VTRIX_BASE_URL": sandbox.url, "MODELLIX_BASE_URL": sandbox.url},
    )
    assert r.returncode == 1
    assert "spec of alibaba/ai-try-on: http://127.0.0.1:" in r.stderr
    assert "/models/alibaba/ai-try-on/api_schema" in r.stderr
    assert read_tree(specs) == read_tree(ROOT / "specs")


def _spec(schema: dict) -> ModelSpec:
    return ModelSpec(
        id="m",
        provider="vtrix",
        name="m",
        type="video",
        endpoint="e",
        summary="",
        schema={"type": "object", **schema},
    )


def test_change_report_marks_breaking_changes():
    old = _spec(
        {
            "properties": {
                "a": {"type": "string", "enum": ["x", "y"]},
                "b": {"type": "integer", "maximum": 10},
                "gone": {"type": "string"},
            }
        }
    )
    new = _spec(
        {
            "properties": {
                "a": {"type": "string", "enum": ["x"]},
                "b": {"type": "number", "maximum": 5},
                "c": {"type": "string"},
            },
            "required": ["c"],
        }
    )
    text = format_report(compare({"m": old}, {"m": new}, {"m", "old"}, {"m", "new"}))
    for line in (
        "BREAKING m: enum of a narrowed: removed ['y']",
        "BREAKING m: parameter b retyped integer -> number",
        "BREAKING m: maximum of b: 10 -> 5",
        "BREAKING m: parameter gone removed",
        "BREAKING m: parameter c added (required)",
        "BREAKING old: model removed from the catalog",
        "new: model added to the catalog",
    ):
        assert line in text, text
