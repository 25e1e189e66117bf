"""Incremental, parallel codegen: only changed specs are rendered, the result is byte for byte
what a full generation gives, and a failed or interrupted run leaves the previous output."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import codegen_run as codegen

from codegen.generate import OUTPUT_DIRS
from codegen.specfiles import read_tree

ROOT = Path(__file__).resolve().parent.parent


def tree(root: Path) -> dict[str, str]:
    return {f"{d}/{p}": t for d in OUTPUT_DIRS for p, t in read_tree(root / d).items()}


def codegen_process(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "codegen", *args], cwd=ROOT, capture_output=True, text=True
    )


def generated(specs: Path, out: Path) -> None:
    """``specs`` and ``out`` as a generation from the committed snapshot leaves them: the
    repository's own output is exactly that (``codegen check`` holds it so), copied."""
    shutil.copytree(ROOT / "specs", specs)
    ignore = shutil.ignore_patterns("__pycache__")
    for d in OUTPUT_DIRS:
        shutil.copytree(ROOT / d, out / d, ignore=ignore)


def edit_one_spec(specs: Path) -> None:
    path = specs / "modellix" / "bytedance" / "seedream-4.5-t2i.json"
    data = json.loads(path.read_text())
    data["post"]["description"] = "Changed: a new description."
    schema = data["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema["properties"]["style"] = {"type": "string", "enum": ["a", "b"]}
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def test_incremental_is_byte_identical_to_full(tmp_path):
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    inc = tmp_path / "inc"
    # A process of its own: its two render workers are forked from it.
    first = codegen_process("generate", "--specs", str(specs), "--root", str(inc), "--jobs", "2")
    assert first.returncode == 0, first.stderr
    assert "94 rendered, 0 unchanged" in first.stdout
    edit_one_spec(specs)
    shutil.copy(specs / "vtrix" / "kirin_v3_i2v.json", specs / "vtrix" / "kirin_v9_new.json")
    new = json.loads((specs / "vtrix" / "kirin_v9_new.json").read_text())
    new["model_id"] = "kirin_v9_new"
    (specs / "vtrix" / "kirin_v9_new.json").write_text(
        json.dumps(new, indent=2, sort_keys=True) + "\n"
    )
    (specs / "vtrix" / "spark_dance_v2_0.json").unlink()  # a model gone from the gateway
    hand_edited = inc / "src/vtrix/models/alibaba_qwen_image.py"
    hand_edited.write_text(hand_edited.read_text() + "# patched by hand\n")
    (inc / "docs/models/stray.md").write_text("a file nobody generated\n")
    second = codegen("generate", "--specs", str(specs), "--root", str(inc))
    assert second.returncode == 0, second.stderr
    assert "94 models" in second.stdout
    assert "3 rendered, 91 unchanged, 1 removed" in second.stdout
    assert not (inc / "src/vtrix/models/spark_dance_v2_0.py").exists()
    assert "patched by hand" not in hand_edited.read_text()
    assert not (inc / "docs/models/stray.md").exists()
    from codegen.generate import generate_tree

    full, _ = generate_tree(specs, update_lock=False)  # from scratch, in one process
    assert tree(inc) == full
    assert "style" in tree(inc)["src/vtrix/models/bytedance_seedream_4_5_t2i.py"]
    check = codegen("check", "--specs", str(specs), "--root", str(inc))
    assert check.returncode == 0, check.stderr


def test_a_failed_generation_leaves_the_previous_output(tmp_path):
    specs, out = tmp_path / "specs", tmp_path / "out"
    generated(specs, out)
    before = tree(out)
    edit_one_spec(specs)  # a change that would be rendered…
    (specs / "vtrix" / "kirin_v2_6_i2v.json").write_text('{"model_id": 3}')  # …and a broken one
    r = codegen("generate", "--specs", str(specs), "--root", str(out))
    assert r.returncode == 1 and "kirin_v2_6_i2v.json" in r.stderr
    assert tree(out) == before
    assert not [p for p in out.rglob(".*-new-*")]


def test_an_interrupted_generation_leaves_the_previous_output(tmp_path):
    """Ctrl-C while the models are being rendered: the output is the one it was before."""
    from bench.synthetic import write_specs

    specs, out = tmp_path / "specs", tmp_path / "out"
    generated(tmp_path / "snapshot", out)  # the previous output: the snapshot's
    write_specs(specs, 300)  # a catalog of 300 other models: rendered for seconds
    before = tree(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "codegen", "generate", "--specs", str(specs), "--root", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    # Interrupted once the first of the 300 modules is rendered in the stage, before the rest.
    while not list(out.glob("src/vtrix/.models-new-*/*synth*.py")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert tree(out) == before
    assert not list(out.rglob(".*-new-*"))


def test_check_sees_a_changed_generator_or_spec_without_rendering(tmp_path):
    specs, out = tmp_path / "specs", tmp_path / "out"
    generated(specs, out)
    manifest = out / "src/vtrix/models/_manifest.json"
    fresh = manifest.read_text()
    data = json.loads(fresh)
    data["generator"] = "an older generator"
    manifest.write_text(json.dumps(data))
    r = codegen("check", "--specs", str(specs), "--root", str(out))
    assert r.returncode == 1 and "the generator changed since it was generated" in r.stderr
    manifest.write_text(fresh)
    edit_one_spec(specs)
    r = codegen("check", "--specs", str(specs), "--root", str(out))
    assert r.returncode == 1
    assert "stale:   src/vtrix/models/bytedance_seedream_4_5_t2i.py" in r.stderr
    assert "kirin_v3_i2v" not in r.stderr


def test_the_generator_hash_covers_every_module_generation_runs():
    """A module that shapes generated code but is not hashed would leave stale output
    looking fresh; modules that do not (fetch, seed, report) stay out of the hash."""
    from codegen.manifest import GENERATOR_SOURCES

    probe = (
        "import sys, json; import codegen.generate, codegen.pipeline;"
        "print(json.dumps(sorted(m.__file__ for m in list(sys.modules.values())"
        " if getattr(m, '__file__', None))))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    loaded = {
        str(Path(f).resolve().relative_to(ROOT))
        for f in json.loads(proc.stdout)
        if any(Path(f).resolve().is_relative_to(ROOT / d) for d in ("codegen", "src/vtrix"))
        and "/models/" not in f
    }
    hashed = {
        *GENERATOR_SOURCES,
        *(f"src/vtrix/spec/{p.name}" for p in (ROOT / "src/vtrix/spec").glob("*.py")),
    }
    assert (
        loaded - {"codegen/__init__.py", "src/vtrix/__init__.py", "src/vtrix/_version.py"} <= hashed
    )
    assert "codegen/fetch.py" not in hashed and "codegen/seed.py" not in hashed


def _tree_digests(root: Path) -> dict[str, str]:
    import hashlib

    out = {}
    for d in ("src/vtrix/models", "docs/models"):
        for p in sorted((root / d).rglob("*")):
            if p.is_file() and "__pycache__" not in p.parts:
                out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.mark.parametrize(
    ("edit", "at_least"),
    [
        # A parameter's description: the module's docstrings, its spec data and doc page.
        (lambda d: d["parameters"][1].update(description="How it moves"), 3),
        # A new optional parameter changes the same three (and nothing global).
        (
            lambda d: d["parameters"].append(
                {"name": "fps", "path": "fps", "type": "integer", "required": False}
            ),
            3,
        ),
        # The model's name: its files and the catalog's index and page too.
        (lambda d: d.update(name="Kirin Three"), 5),
    ],
)
def test_check_lists_exactly_the_files_generate_changes(tmp_path, edit, at_least):
    specs, out = tmp_path / "specs", tmp_path / "out"
    generated(specs, out)
    where = ("--specs", str(specs), "--root", str(out))
    path = specs / "vtrix" / "kirin_v3_i2v.json"
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data, indent=2))
    before = _tree_digests(out)
    r = codegen("check", *where)
    assert r.returncode == 1, r.stderr
    listed = {
        line.split("stale:", 1)[1].strip() for line in r.stderr.splitlines() if "stale:" in line
    }
    assert codegen("generate", *where).returncode == 0
    after = _tree_digests(out)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert listed == changed and len(changed) >= at_least, (listed, changed)
    r = codegen("check", *where)
    assert r.returncode == 0 and "up to date" in r.stdout
