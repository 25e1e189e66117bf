"""bench/RESULTS.md is its own record (issue 25): measuring one section again rewrites that
section and keeps every other one as committed; a section older than its code is marked."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from bench.report import SECTIONS, code_digest, previous_blocks, render

ROOT = Path(__file__).resolve().parent.parent
CAPACITY = {
    "submit_rate": 4321,
    "submit_p50_ms": 5.0,
    "submit_p99_ms": 50.0,
    "submit_errors": 0,
    "read_rate": 4000,
    "read_p50_ms": 6.0,
    "read_p99_ms": 40.0,
    "read_errors": 0,
}
META = {"date": "2026-12-04", "cpus": 2, "python": "3.11.7", "machine": "x86_64"}


def committed_report(tmp_path: Path) -> str:
    """RESULTS.md as a fresh clone of main has it (no results.json beside it)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    assert not (clone / "bench" / "results.json").exists()
    return (clone / "bench" / "RESULTS.md").read_text()


def test_one_section_measured_again_keeps_every_other_section(tmp_path):
    before = committed_report(tmp_path)
    old, _ = previous_blocks(before)
    after = render({"capacity": CAPACITY}, before, meta={"capacity": META})
    new, _ = previous_blocks(after)
    assert set(new) == {key for _, key, _, _ in SECTIONS}
    for key in new:
        if key == "capacity" or key not in old:  # a section the clone's report predates
            continue
        kept = [line for line in new[key] if line and not line.startswith("Measured ")]
        was = [line for line in old[key] if line and not line.startswith("Measured ")]
        assert kept == was, key  # every figure of every other section, as committed
    assert "4,321 (5.0 / 50.0 ms)" in "\n".join(new["capacity"])
    assert "Measured 2026-12-04 (2 cores, x86_64, Python 3.11.7)." in new["capacity"]
    # Rendering again with nothing new measured changes nothing.
    assert render({}, after) == after


def test_a_section_older_than_its_code_is_marked(tmp_path):
    root = tmp_path / "tree"
    for top in ("src/vtrix/sandbox", "bench"):
        shutil.copytree(ROOT / top, root / top, ignore=shutil.ignore_patterns("__pycache__"))
    meta = {"capacity": {**META, "code": code_digest(root, "capacity")}}
    text = render({"capacity": CAPACITY}, "", root=root, meta=meta)
    capacity = text.split("## Sandbox capacity", 1)[1]
    assert "Older than the code" not in capacity
    assert "not measured yet: `BENCH=startup make bench`" in text
    (root / "src/vtrix/sandbox/state.py").write_text("# changed\n")
    marked = render({}, text, root=root)
    assert (
        "> ⚠ Older than the code it measures (src/vtrix/sandbox"
        in marked.split("## Sandbox capacity", 1)[1]
    )
    assert "4,321" in marked  # marked, not dropped
