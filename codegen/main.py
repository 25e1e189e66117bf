"""The generate and check commands."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from codegen.generate import generate_tree
from codegen.specfiles import read_tree, replace_tree


def generate_command(specs: Path, out: Path) -> int:
    start = time.perf_counter()
    files = generate_tree(specs)
    before = read_tree(out)
    replace_tree(out, files)
    changed = sorted(p for p in files if before.get(p) != files[p])
    removed = sorted(set(before) - set(files))
    n_models = sum(
        1 for p in files if p.startswith("models/_cli/") and not p.endswith("__init__.py")
    )
    print(
        f"generated {n_models} models into {out} in {time.perf_counter() - start:.1f}s: "
        f"{len(changed)} files written, {len(removed)} removed"
    )
    return 0


def check_command(specs: Path, out: Path) -> int:
    files = generate_tree(specs)
    current = read_tree(out)
    stale = sorted(p for p in files if current.get(p) != files[p])
    extra = sorted(set(current) - set(files))
    if stale or extra:
        print("generated/ is out of date with specs/; run `make generate`:", file=sys.stderr)
        for p in stale:
            print(f"  stale:   generated/{p}", file=sys.stderr)
        for p in extra:
            print(f"  extra:   generated/{p}", file=sys.stderr)
        return 1
    print(f"generated/ is up to date ({len(files)} files)")
    return 0


def render_to_temp(specs: Path) -> Path:
    tmp = Path(tempfile.mkdtemp(prefix="vtrix-gen-"))
    replace_tree(tmp / "generated", generate_tree(specs))
    return tmp / "generated"
