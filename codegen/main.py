"""The generate and check commands."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from codegen.generate import LOCK_FILE, OUTPUT_DIRS, generate_tree, lock_text
from codegen.specfiles import read_tree, replace_trees, write_atomic


def generate_command(specs: Path, root: Path) -> int:
    start = time.perf_counter()
    files, lock = generate_tree(specs)
    before = {d: read_tree(root / d) for d in OUTPUT_DIRS}
    replace_trees(root, OUTPUT_DIRS, files)
    lock_path = specs / LOCK_FILE
    if not lock_path.exists() or lock_path.read_text(encoding="utf-8") != lock_text(lock):
        write_atomic(lock_path, lock_text(lock))
    old = {f"{d}/{p}": t for d, tree in before.items() for p, t in tree.items()}
    changed = sorted(p for p in files if old.get(p) != files[p])
    removed = sorted(set(old) - set(files))
    n_models = sum(1 for p in files if "/_specs/" in p)
    print(
        f"generated {n_models} models into {root} in {time.perf_counter() - start:.1f}s: "
        f"{len(changed)} files written, {len(removed)} removed"
    )
    return 0


def check_command(specs: Path, root: Path) -> int:
    files, _ = generate_tree(specs, update_lock=False)
    current = {f"{d}/{p}": t for d in OUTPUT_DIRS for p, t in read_tree(root / d).items()}
    stale = sorted(p for p in files if current.get(p) != files[p])
    extra = sorted(set(current) - set(files))
    if stale or extra:
        print(
            "the generated code is out of date with specs/; run `make generate`:", file=sys.stderr
        )
        for p in stale:
            print(f"  stale:   {p}", file=sys.stderr)
        for p in extra:
            print(f"  extra:   {p}", file=sys.stderr)
        return 1
    print(f"generated code is up to date ({len(files)} files)")
    return 0
