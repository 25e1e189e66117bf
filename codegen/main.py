"""The generate and check commands."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from codegen import manifest as mf
from codegen.generate import (
    GLOBAL_FILES,
    LOCK_FILE,
    MODELS_DIR,
    generate,
    lock_text,
    output_files,
    read_inputs,
)
from codegen.pipeline import MODEL_FILES
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
    changes = outcome.changes
    print(
        format_report(changes, limit=200).replace(
            "specs/ already matches the gateways", ("the generated code already matched specs/")
        )
    )
    return 0


def stale_files(specs: Path, root: Path) -> tuple[list[str], list[str]]:
    """(stale, extra) paths of the generated code, from hashes alone: the manifest says what
    each file was made from and what it held; files unchanged since they were last hashed
    are not read again."""
    inputs = read_inputs(specs, update_lock=False)
    man = mf.read(root / MODELS_DIR)
    fresh = man.generator == mf.generator_hash()
    seen = mf.StatCache(root)
    base = str(root)
    stale: list[str] = []
    expected: set[str] = {f"{MODELS_DIR}/{mf.NAME}", *GLOBAL_FILES}
    now: dict[str, str] = {}
    for job in inputs.jobs(seen):
        now[job.model_id] = job.input
        record = man.models.get(job.model_id)
        if record is None or record.input != job.input or not fresh:
            predicted = [rel.format(m=job.module) for rel in MODEL_FILES]
            stale += predicted
            expected.update(predicted)
            continue
        expected.update(record.files)
        stale += [r for r, d in record.files.items() if seen.digest(os.path.join(base, r)) != d]
    if not fresh or man.globals_input != inputs.globals_input(now):
        stale += GLOBAL_FILES
    else:
        stale += [r for r, d in man.globals.items() if seen.digest(os.path.join(base, r)) != d]
    seen.save()
    return sorted(set(stale)), sorted(output_files(root) - expected)


def check_command(specs: Path, root: Path) -> int:
    stale, extra = stale_files(specs, root)
    if stale or extra:
        print(
            "the generated code is out of date with specs/; run `make generate`:", file=sys.stderr
        )
        if mf.read(root / MODELS_DIR).generator != mf.generator_hash():
            print(
                "  the generator changed since it was generated: every model is stale",
                file=sys.stderr,
            )
        for p in stale[:50]:
            print(f"  stale:   {p}", file=sys.stderr)
        if len(stale) > 50:
            print(f"  … and {len(stale) - 50} more stale files", file=sys.stderr)
        for p in extra:
            print(f"  extra:   {p}", file=sys.stderr)
        return 1
    print("generated code is up to date")
    return 0
