"""The generate and check commands."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from codegen.generate import (
    LOCK_FILE,
    generate,
    lock_text,
)
from codegen.specfiles import write_atomic


def generate_command(specs: Path, root: Path, jobs: int | None = None) -> int:
    from codegen.report import format_report

    start = time.perf_counter()
    outcome, lock = generate(specs, root, jobs=jobs)
    lock_path = specs / LOCK_FILE
    if not lock_path.exists() or lock_path.read_text(encoding="utf-8") != lock_text(lock):
        write_atomic(lock_path, lock_text(lock))
    print(
        f"generated {outcome.models} models into {root} in {time.perf_counter() - start:.1f}s: "
        f"{outcome.rendered} rendered, {outcome.reused} unchanged, {outcome.removed} removed"
    )
    # What this generation changed for callers, breaking changes first (fetch's report).
    if outcome.changes:
        print(format_report(outcome.changes, limit=200))
    elif outcome.rendered or outcome.removed:
        print("No parameter or model changed for callers (the files were rendered again).")
    else:
        print("No changes: the generated code already matched specs/.")
    return 0


def check_command(specs: Path, root: Path) -> int:
    from codegen.stale import stale_files

    found = stale_files(specs, root)
    if found.fresh:
        print("generated code is up to date")
        return 0
    print("the generated code is out of date with specs/; run `make generate`:", file=sys.stderr)
    if found.generator_changed:
        print("  the generator changed since it was generated", file=sys.stderr)
    if found.predicted:
        print(
            "  (too many models to render here: every file of each changed model is listed)",
            file=sys.stderr,
        )
    for p in found.stale[:50]:
        print(f"  stale:   {p}", file=sys.stderr)
    if len(found.stale) > 50:
        print(f"  … and {len(found.stale) - 50} more stale files", file=sys.stderr)
    for p in found.extra:
        print(f"  extra:   {p}", file=sys.stderr)
    if not found.stale and not found.extra:
        print("  (nothing would change)", file=sys.stderr)
    return 1
