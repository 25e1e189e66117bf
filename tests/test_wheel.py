"""The package installs whole: build the wheel, install it (not editable) into a fresh venv,
run the seed dry-run, serve the full catalog from the installed sandbox and run the seed
example against it, and have mypy --strict reject misuse of the typed functions.

The fresh venv borrows the dev venv's third-party packages through a .pth line (so the test
needs no network); vtrix itself comes only from the wheel, which the test checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest
from conftest import offline_defaults

ROOT = Path(__file__).resolve().parent.parent
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
SEED_DRY_RUN = """[dry-run] POST /model/v1/generation
{
  "model": "kirin_v3_i2v",
  "params": {
    "image_url": "https://example.com/landscape.jpg",
    "prompt": "gentle wind, grass swaying slowly",
    "duration": 6,
    "resolution": "1080p"
  }
}
"""
MISUSE = """
from vtrix.models import kirin_v2_6_i2v, kirin_v3_i2v

ok = kirin_v3_i2v.run(image_url="https://example.com/a.jpg", duration=6, resolution="1080p")
kirin_v3_i2v.run(image_url="https://example.com/a.jpg", duration="6")
kirin_v3_i2v.run(image_url="https://example.com/a.jpg", bogus=1)
kirin_v3_i2v.run(image_url="https://example.com/a.jpg", resolution="4k")
kirin_v2_6_i2v.submit(camera_control={"type": 1, "bogus": True})
kirin_v2_6_i2v.submit(camera_control={"type": "simple", "config": {"horizontal": 5}})
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with vtrix installed from its wheel; returns the venv directory."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src-copy"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "src", src / "src", ignore=shutil.ignore_patterns("*.egg-info", "__pycache__")
    )
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Third-party packages (pip and setuptools among them) from the dev venv; vtrix is not
    # found there (its editable finder is a .pth hook of the dev venv, which a path added this
    # way does not run).
    Path(site, "_dev_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # pip builds the wheel from the copy and installs it, in the venv's own interpreter.
    pip = [str(py), "-m", "pip", "--disable-pip-version-check", "-q", "install", "--no-deps"]
    subprocess.run(
        [*pip, "--no-build-isolation", "--no-index", str(src)], check=True, capture_output=True
    )
    return venv


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VTRIX_", "MODELLIX_"))}
    env.update(
        VTRIX_CONFIG_DIR=str(tmp / "config"),
        VTRIX_DATA_DIR=str(tmp / "data"),
        VTRIX_CACHE_DIR=str(tmp / "cache"),
    )
    return env


def test_installed_vtrix_comes_from_the_wheel_with_its_data(installed, tmp_path):
    py = installed / "bin" / "python"
    code = (
        "import json, vtrix, vtrix.models, vtrix.engine.registry as r;"
        "print(json.dumps([vtrix.__file__, r.count(), r.generated_spec_data('kirin_v3_i2v')"
        " is not None]))"
    )
    out = subprocess.run(
        [str(py), "-c", code], cwd=tmp_path, capture_output=True, text=True, env=_env(tmp_path)
    )
    assert out.returncode == 0, out.stderr
    path, (generated, known), has_spec = json.loads(out.stdout)
    assert path.startswith(str(installed)) and "site-packages" in path
    assert generated == 94 and known > 300 and has_spec


def test_seed_dry_run_and_example_against_the_installed_sandbox(installed, tmp_path):
    vtrix = str(installed / "bin" / "vtrix")
    env = _env(tmp_path)
    dry = subprocess.run(  # no gateway set: nothing may reach a real one
        [vtrix, "--dry-run", "run", "kirin_v3_i2v", *SEED_PARAMS],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**offline_defaults(env), **env},
    )
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout == SEED_DRY_RUN
    sandbox = subprocess.Popen(
        [vtrix, "sandbox", "--port", "0", "--task-seconds", "1"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert sandbox.stdout is not None
        url = sandbox.stdout.readline().strip()
        with urllib.request.urlopen(f"{url}/api/v1/skill/models?page_size=100") as resp:
            assert json.load(resp)["data"]["total"] == 60  # the whole snapshot catalog
        req = urllib.request.Request(
            f"{url}/api/v1/models", headers={"Authorization": "Bearer sk-wheel-check-key"}
        )
        with urllib.request.urlopen(req) as resp:
            assert len(json.load(resp)["models"]) == 245
        run = subprocess.run(
            [vtrix, "run", "kirin_v3_i2v", *SEED_PARAMS, "--output", "url"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env={**env, "VTRIX_BASE_URL": url, "VTRIX_API_KEY": "sk-wheel-check-key"},
        )
        assert run.returncode == 0, run.stderr
        assert run.stdout.strip().startswith(f"{url}/files/")
        with urllib.request.urlopen(run.stdout.strip()) as resp:
            assert resp.read(12)[4:8] == b"ftyp"  # an MP4
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def test_mypy_strict_rejects_misuse_of_typed_functions(installed, tmp_path, mypy_cache):
    snippet = tmp_path / "snippet.py"
    snippet.write_text(MISUSE)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            mypy_cache,
            "--python-executable",
            str(installed / "bin" / "python"),
            str(snippet),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    lines = {int(line.split(":")[1]) for line in errors}
    assert proc.returncode == 1, proc.stdout
    assert lines == {5, 6, 7, 8}, proc.stdout  # wrong type, unknown keyword, literal, nested
    text = proc.stdout
    assert 'Argument "duration"' in text and 'keyword argument "bogus"' in text
    assert "Literal['4k']" in text
    assert "CameraControlDict" in text
