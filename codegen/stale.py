"""What ``codegen check`` reports: exactly the generated files that ``make generate`` would
change, and the files it would remove.

Unchanged models are judged by hashes alone (the manifest says what each file was made from
and held; files whose size and mtime did not change are not read again). Models whose input
changed are rendered in memory (in a temp stage) and their files compared with what is on
disk, so a spec edit that changes one docstring lists that module and its doc page, not
every file of the model. The files made from every model are rendered the same way when
their input changed. When more than :data:`EXACT_LIMIT` models would need rendering (the
generator itself changed, say), the list is the prediction — every file of those models —
and the report says so.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from codegen import manifest as mf
from codegen.format import format_python
from codegen.generate import (
    GLOBAL_FILES,
    MODELS_DIR,
    Inputs,
    global_files,
    output_files,
    read_inputs,
    write_snapshot,
)
from codegen.pipeline import MODEL_FILES, Job, render_chunk

EXACT_LIMIT = 400  # models rendered in memory to list their stale files exactly
SNAPSHOT = f"{MODELS_DIR}/_snapshot.json"


@dataclass
class Staleness:
    stale: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    predicted: bool = False  # too many models to render: every file of those listed
    generator_changed: bool = False

    @property
    def fresh(self) -> bool:
        return not self.stale and not self.extra


def stale_files(specs: Path, root: Path) -> Staleness:
    """The generated files under ``root`` that generating ``specs`` would change."""
    inputs = read_inputs(specs, update_lock=False)
    man = mf.read(root / MODELS_DIR)
    out = Staleness(generator_changed=man.generator != mf.generator_hash())
    seen = mf.StatCache(root)
    on_disk = _digests(root, seen)
    expected: set[str] = {f"{MODELS_DIR}/{mf.NAME}", *GLOBAL_FILES}
    todo: list[Job] = []
    now: dict[str, str] = {}
    rows: dict[str, list[str]] = {}
    for job in inputs.jobs(seen):
        now[job.model_id] = job.input
        record = man.models.get(job.model_id)
        if record is None or record.input != job.input or out.generator_changed:
            todo.append(job)
            continue
        rows[job.model_id] = record.row
        expected.update(record.files)
        out.stale += [r for r, d in record.files.items() if on_disk(r) != d]
    if len(todo) > EXACT_LIMIT:
        out.predicted = True
        for job in todo:
            predicted = [rel.format(m=job.module) for rel in MODEL_FILES]
            out.stale += predicted
            expected.update(predicted)
        out.stale += GLOBAL_FILES
    else:
        with tempfile.TemporaryDirectory(prefix="vtrix-check-") as stage:
            for rendered in render_chunk(todo, stage) if todo else []:
                rows[rendered.model_id] = rendered.row
                expected.update(rendered.files)
                out.stale += [r for r, d in rendered.files.items() if on_disk(r) != d]
            globals_changed = out.generator_changed or man.globals_input != inputs.globals_input(
                now
            )
            if globals_changed or todo:
                out.stale += _stale_globals(inputs, rows, Path(stage), on_disk)
            else:
                out.stale += [r for r, d in man.globals.items() if on_disk(r) != d]
    if out.generator_changed or todo or set(man.models) != set(now):
        out.stale.append(f"{MODELS_DIR}/{mf.NAME}")  # what it was made from changed
    seen.save()
    out.stale = sorted(set(out.stale))
    out.extra = sorted(output_files(root) - expected)
    return out


def _digests(root: Path, seen: mf.StatCache) -> mf.Digest:
    base = str(root)
    return lambda rel: seen.digest(os.path.join(base, rel))


def _stale_globals(
    inputs: Inputs, rows: dict[str, list[str]], stage: Path, on_disk: mf.Digest
) -> list[str]:
    """The files made from every model that would change, rendered in memory."""
    files = format_python(global_files(inputs, rows))
    stale = [rel for rel, text in files.items() if on_disk(rel) != mf.sha(text)]
    snapshot = stage / "_snapshot.json"
    write_snapshot(inputs, snapshot)
    if on_disk(SNAPSHOT) != mf.sha(snapshot.read_bytes()):
        stale.append(SNAPSHOT)
    shutil.rmtree(stage / "src", ignore_errors=True)
    return stale
