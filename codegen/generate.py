"""``python -m codegen generate``: specs/ -> the generated package and docs.

Layers: specs/ is read and normalised by the runtime's normaliser (parse); each model gets a
:class:`~codegen.model.GenModel` from the one namer and the model description (model);
datamodel-code-generator writes the pydantic classes and Jinja2 templates, one per output
file, write the rest (render); ruff formats every Python file and each is compiled before
anything is swapped in (format).

At scale (:func:`generate`): a content-hash manifest says which models changed; only those
are rendered, in chunks spread over worker processes that write straight into a staging
tree; unchanged files are hard-linked from the current tree; the staging trees replace the
current ones only when everything succeeded, so a failed or interrupted run leaves the
previous output in place. The main process holds an index row per model, never the specs.

Output, relative to the repository root::

    src/vtrix/models/__init__.py           lazy attribute access to the model modules
    src/vtrix/models/<module>.py           Params, TypedDicts, typed submit/run/asubmit/arun
    src/vtrix/models/_specs/<module>.json  the normalised spec (read by the registry)
    src/vtrix/models/_index.tsv            every known model, one row a line
    src/vtrix/models/_snapshot.json        the wire snapshot, for `vtrix sandbox` when installed
    src/vtrix/models/_manifest.json        content hashes (what changed since last time)
    docs/models/index.md, <module>.md      the catalog
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen import manifest as mf
from codegen.format import check_compiles, format_in_place, format_python
from codegen.model import build_model
from codegen.pipeline import (
    DOCS_DIR,
    GENERATOR,
    MODELS_DIR,
    OUTPUT_DIRS,
    Job,
    Rendered,
    model_files,
    render_chunk,
)
from codegen.pydantic_gen import ParamsCode, batches, generate_batch
from codegen.render import environment
from vtrix.base.text import clean_text
from vtrix.spec.clean import SpecError
from vtrix.spec.names import assign_module_names
from vtrix.spec.normalise import ModelSpec, modality_of, summary_line
from vtrix.spec.snapshot import Snapshot, load_snapshot, spec_files

__all__ = ["MODELS_DIR", "OUTPUT_DIRS", "generate", "generate_tree", "output_files", "render"]
LOCK_FILE = "module-names.json"
GLOBAL_FILES = (
    f"{MODELS_DIR}/__init__.py",
    f"{MODELS_DIR}/__init__.pyi",
    f"{MODELS_DIR}/_index.tsv",
    f"{MODELS_DIR}/_snapshot.json",
    f"{MODELS_DIR}/py.typed",
    f"{DOCS_DIR}/index.md",
)
CHUNK = 40  # models per worker job: big enough for one generator call to pay off


def read_lock(specs_dir: Path) -> dict[str, str]:
    path = specs_dir / LOCK_FILE
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise SpecError(str(path), "$", "expected {model id: module name}")
    return {str(k): v for k, v in data.items()}


def lock_text(lock: dict[str, str]) -> str:
    return json.dumps(lock, indent=2, sort_keys=True) + "\n"


# ---------------------------------------------------------------------------- the inputs


@dataclass
class Inputs:
    """What a generation starts from: spec files, catalogs, module names (no spec bodies)."""

    specs_dir: Path
    vtrix_catalog: list[dict[str, Any]]
    modellix_catalog: list[dict[str, Any]]
    files: list[tuple[str, str, Path]]  # (provider, id, path)
    lock: dict[str, str]
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def jobs(self, seen: mf.StatCache | None = None) -> Iterator[Job]:
        """One job per spec file, with its input hash (spec digests remembered in ``seen``)."""
        for provider, model_id, path in self.files:
            entry = self.entries.get(model_id)
            module = self.lock[model_id]
            name = str(path)
            raw = seen.digest(name) if seen is not None else None
            if raw is None:
                raw = mf.sha(path.read_bytes())
            digest = mf.input_hash(provider, model_id, module, raw, entry)
            yield Job(provider, model_id, name, entry, module, digest)

    def globals_input(self, inputs: dict[str, str]) -> str:
        return mf.globals_input(inputs, [self.vtrix_catalog, self.modellix_catalog, self.lock])


def read_inputs(specs_dir: Path, *, update_lock: bool) -> Inputs:
    snap = load_snapshot(specs_dir, catalogs_only=True)
    files = spec_files(specs_dir)
    old = read_lock(specs_dir)
    lock = assign_module_names([f[1] for f in files], old)
    if not update_lock and lock != old:
        missing = sorted(set(lock) - set(old))
        raise SpecError(
            str(specs_dir / LOCK_FILE),
            "$",
            f"no module name locked for {missing}; run `make generate`",
        )
    entries = {str(e.get("id")): e for e in snap.vtrix_catalog}
    entries.update({str(e.get("slug")): e for e in snap.modellix_catalog})
    return Inputs(specs_dir, snap.vtrix_catalog, snap.modellix_catalog, files, lock, entries)


# ------------------------------------------------------------------------- global files


def index_rows(inputs: Inputs, rows: dict[str, list[str]]) -> list[tuple[str, tuple[str, ...]]]:
    """(id, (module, provider, type, name, summary, task)) for every generated and catalog
    model; ``type`` is the output modality, ``task`` what the catalog calls it (Modellix)."""
    out: dict[str, tuple[str, ...]] = {}
    for e in inputs.vtrix_catalog:
        out[str(e["id"])] = (
            "",
            "vtrix",
            modality_of(str(e.get("type", ""))),
            str(e.get("name", "")),
            summary_line(str(e.get("description") or e.get("name") or "")),
            "",
        )
    for e in inputs.modellix_catalog:
        kind = str(e.get("type", ""))
        task = kind if kind != modality_of(kind) else ""
        out[str(e["slug"])] = (
            "",
            "modellix",
            modality_of(kind),
            str(e["slug"]),
            summary_line(str(e.get("description") or "")),
            task,
        )
    for model_id, row in rows.items():
        task = out[model_id][5] if model_id in out else ""
        out[model_id] = (*row[:5], task)
    return [(clean_text(k), tuple(clean_text(c) for c in v)) for k, v in sorted(out.items())]


def global_files(inputs: Inputs, rows: dict[str, list[str]]) -> dict[str, str]:
    """The files made from every model at once (all but ``_snapshot.json``: streamed)."""
    env = environment()
    modules = sorted((r[0] for r in rows.values()), key=lambda m: m)
    models = [{"module": m} for m in _in_spec_order(inputs, rows)]
    index = index_rows(inputs, rows)
    common = {
        "models": models,
        "index": index,
        "index_lines": ["\t".join((k, *row)) for k, row in index],  # cells are clean already
        "generator": GENERATOR,
        "count": len(modules),
    }
    return {
        f"{MODELS_DIR}/__init__.py": env.get_template("models_init.py.j2").render(common),
        f"{MODELS_DIR}/__init__.pyi": env.get_template("models_init.pyi.j2").render(common),
        f"{MODELS_DIR}/_index.tsv": env.get_template("index.tsv.j2").render(common),
        f"{MODELS_DIR}/py.typed": "",
        f"{DOCS_DIR}/index.md": env.get_template("catalog.md.j2").render(common),
    }


def _in_spec_order(inputs: Inputs, rows: dict[str, list[str]]) -> list[str]:
    return [rows[f[1]][0] for f in inputs.files if f[1] in rows]


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def write_snapshot(inputs: Inputs, path: Path, reuse: dict[str, str] | None = None) -> None:
    """The wire snapshot as one JSON document with one spec a line, written spec by spec;
    ``reuse`` holds the lines of unchanged specs from the previous snapshot (not re-read)."""
    reuse = reuse or {}
    with open(path, "w", encoding="utf-8") as out:
        head = f"Code generated by {GENERATOR} from specs/. DO NOT EDIT."
        out.write('{"_generated":' + _dump(head))
        out.write(',\n"modellix_catalog":' + _dump(inputs.modellix_catalog))
        for provider in ("modellix", "vtrix"):
            out.write(f',\n"{provider}_specs":{{')
            first = True
            for p, model_id, spec_path in sorted(inputs.files, key=lambda f: f[1]):
                if p != provider:
                    continue
                line = reuse.get(model_id)
                if line is None:
                    line = _dump(model_id) + ":" + _one_line(spec_path)
                out.write(("\n" if first else ",\n") + line)
                first = False
            out.write("\n}")
            if provider == "modellix":
                out.write(',\n"vtrix_catalog":' + _dump(inputs.vtrix_catalog))
        out.write("}\n")


_LAYOUT = re.compile(r"[\r\n]\s*")


def _one_line(path: Path) -> str:
    """A JSON file's value on one line, without parsing it: a raw line break in JSON is
    always layout (inside strings it is escaped), so it goes with the indentation after it.
    (Every spec is parsed anyway where it is normalised.)"""
    return _LAYOUT.sub("", path.read_text(encoding="utf-8").strip())


def snapshot_lines(path: Path, keep: set[str]) -> dict[str, str]:
    """The spec lines of a snapshot written by :func:`write_snapshot`, for the ids in ``keep``
    (an unreadable or older snapshot gives none: everything is then read again)."""
    out: dict[str, str] = {}
    decoder = json.JSONDecoder()
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.startswith('"') or line.startswith(('"modellix_', '"vtrix_')):
                    continue
                try:
                    key, end = decoder.raw_decode(line)
                except ValueError:
                    continue
                if isinstance(key, str) and key in keep and line[end : end + 1] == ":":
                    out[key] = line.rstrip("\n").removesuffix(",")
    except OSError:
        return {}
    return out


# --------------------------------------------------------------------------- generating


@dataclass
class Outcome:
    models: int
    rendered: int
    reused: int
    removed: int
    changes: list[Any] = field(default_factory=list)  # for callers, as fetch reports them


def _spec_of(root: Path, module: str) -> Any:
    """The normalised spec a generated module was made from (None: not readable)."""
    from vtrix.spec.normalise import ModelSpec

    try:
        path = root / MODELS_DIR / "_specs" / f"{module}.json"
        return ModelSpec.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def generate(
    specs_dir: Path, root: Path, *, jobs: int | None = None, incremental: bool = True
) -> tuple[Outcome, dict[str, str]]:
    """Generate into ``root`` (see the module docstring); returns what was done and the lock.

    With a current manifest from the same generator only the changed models are rendered and
    their files (and the files made from every model) replace the old ones in place once all
    of them are written and compiled; otherwise whole new trees are built and swapped in."""
    inputs = read_inputs(specs_dir, update_lock=True)
    old = mf.read(root / MODELS_DIR) if incremental else mf.Manifest()
    new = mf.Manifest(generator=mf.generator_hash())
    seen = mf.StatCache(root)
    in_place = bool(old.models) and old.generator == new.generator
    todo: list[Job] = []
    reuse: list[tuple[Job, mf.ModelRecord]] = []
    base = str(root)
    for job in inputs.jobs(seen):
        record = old.models.get(job.model_id) if in_place else None
        if record is not None and record.input == job.input and _files_intact(base, record, seen):
            reuse.append((job, record))
        else:
            todo.append(job)
    kept = {job.model_id for job, _ in reuse}
    # What the code said before, for the report: read for the changed models only, before
    # anything is replaced (one changed model of 10,000 costs one read).
    before = {
        j.model_id: _spec_of(root, old.models[j.model_id].module)
        for j in todo
        if j.model_id in old.models
    }
    with Staging(root, in_place=in_place) as staging, ThreadPoolExecutor(1) as side:
        # The snapshot needs only the inputs: written while the workers render.
        lines = snapshot_lines(root / MODELS_DIR / "_snapshot.json", kept) if in_place else {}
        snapshot = side.submit(
            write_snapshot, inputs, staging.root / MODELS_DIR / "_snapshot.json", lines
        )
        for job, record in reuse:
            if not in_place:
                for rel in record.files:
                    _link(os.path.join(base, rel), os.path.join(str(staging.root), rel))
            new.models[job.model_id] = record
        wanted = {j.model_id: j.input for j in todo}
        for result in _render_all(todo, staging.root, jobs):
            new.models[result.model_id] = mf.ModelRecord(
                result.module, wanted[result.model_id], result.row, result.files
            )
            for line in result.warnings:  # each coercion or drop, naming file and field
                print(f"warning: {line}", file=sys.stderr)
        snapshot.result()
        _write_globals(inputs, new, staging.root)
        stale = _unexpected(root, new) if in_place else []
        staging.commit(remove=stale)
    rendered = {rel: d for j in todo for rel, d in new.models[j.model_id].files.items()}
    if in_place:
        seen.remember(base, rendered, forget=stale)
    else:
        outputs = tuple(os.path.join(base, d) + os.sep for d in OUTPUT_DIRS)
        seen.known = {k: v for k, v in seen.known.items() if not k.startswith(outputs)}
        seen.remember(base, {r: d for m in new.models.values() for r, d in m.files.items()})
    seen.save()
    removed = len(set(old.models) - set(new.models))
    from codegen.report import compare

    # A model new to the code needs no reading: "added" is all there is to say of it.
    after: dict[str, Any] = {
        j.model_id: _spec_of(root, new.models[j.model_id].module) if j.model_id in before else j
        for j in todo
    }
    changes = compare(
        {k: v for k, v in before.items() if v is not None},
        {k: v for k, v in after.items() if v is not None},
        set(old.models),
        set(new.models),
    )
    outcome = Outcome(len(new.models), len(todo), len(reuse), removed, changes)
    return outcome, inputs.lock


def _render_all(todo: list[Job], stage: Path, jobs: int | None) -> Iterator[Rendered]:
    """Render ``todo`` into the stage: in this process for a few models, else in chunks over
    worker processes (each writes its files itself and sends back only hashes and rows)."""
    chunks = [todo[i : i + CHUNK] for i in range(0, len(todo), CHUNK)]
    workers = min(jobs or os.cpu_count() or 1, len(chunks))
    if workers <= 1:
        for chunk in chunks:
            yield from render_chunk(chunk, str(stage))
        return
    import multiprocessing

    fork = os.name == "posix"
    if fork:
        _preload_generator()
    context = multiprocessing.get_context("fork" if fork else "spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        futures = [pool.submit(render_chunk, chunk, str(stage)) for chunk in chunks]
        try:
            for future in futures:
                yield from future.result()
        except BaseException:
            for f in futures:
                f.cancel()
            raise


def _preload_generator() -> None:
    """Import the generator's parser and model modules (they are imported on its first call)
    once here, before the workers are forked, not once in each worker: about 0.4 s of CPU
    each. Only a saving: a module that moved is left to the workers."""
    import importlib

    for name in (
        "datamodel_code_generator.parser.jsonschema",
        "datamodel_code_generator.model.pydantic_v2",
    ):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


def _write_globals(inputs: Inputs, new: mf.Manifest, stage: Path) -> None:
    """The files made from every model, then the manifest (with their hashes)."""
    rows = {k: m.row for k, m in new.models.items()}
    for rel, text in global_files(inputs, rows).items():
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage / rel).write_text(text, encoding="utf-8")
    inits = [stage / f"{MODELS_DIR}/__init__.py", stage / f"{MODELS_DIR}/__init__.pyi"]
    format_in_place(inits)
    check_compiles({f"{MODELS_DIR}/{p.name}": p.read_text(encoding="utf-8") for p in inits})
    new.globals_input = inputs.globals_input({k: m.input for k, m in new.models.items()})
    new.globals = {rel: mf.sha((stage / rel).read_bytes()) for rel in GLOBAL_FILES}
    (stage / f"{MODELS_DIR}/{mf.NAME}").write_text(new.dumps(), encoding="utf-8")


# ------------------------------------------------------------------------ staging trees


class Staging:
    """New output built beside the current trees and put in place by ``commit``; on any
    failure (or Ctrl-C) before that the stage is removed and the current trees stay as
    they were.

    ``root`` is a temp dir shaped like the repository (``root / "src/vtrix/models"`` links to
    the staged models tree), so every writer uses the same relative paths. A full stage
    replaces each tree whole (two renames); an ``in_place`` stage holds only changed files,
    which are moved over the old ones, the manifest last (Ctrl-C waits for the moves)."""

    def __init__(self, repo: Path, *, in_place: bool = False) -> None:
        self.in_place = in_place
        self.committed = False
        self.targets = {d: (repo / d).resolve() for d in OUTPUT_DIRS}
        self.stages: dict[str, Path] = {}
        self.made: list[Path] = []  # directories created here, removed again on failure
        self.root = Path(tempfile.mkdtemp(prefix="vtrix-stage-"))
        for d, target in self.targets.items():
            missing = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
            target.parent.mkdir(parents=True, exist_ok=True)
            self.made += missing
            _remove_leftovers(target)
            self.stages[d] = Path(
                tempfile.mkdtemp(prefix=f".{target.name}-new-{os.getpid()}-", dir=target.parent)
            )
            (self.root / d).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(self.stages[d], self.root / d)

    def __enter__(self) -> Staging:
        return self

    def commit(self, remove: Sequence[str] = ()) -> None:
        """Put the staged output in place; ``remove`` (paths from the repository root) are
        files of the old output that no longer belong (in-place stages only)."""
        with _signals_deferred():
            if self.in_place:
                self._move_files(remove)
            else:
                for d, target in self.targets.items():
                    old = target.with_name(f".{target.name}-old-{os.getpid()}")
                    if target.exists():
                        target.rename(old)
                    self.stages[d].rename(target)
                    if old.exists():
                        shutil.rmtree(old)
            self.committed = True

    def _move_files(self, remove: Sequence[str]) -> None:
        last: list[tuple[str, str]] = []
        for d, stage in self.stages.items():
            target = str(self.targets[d])
            for dirpath, _dirs, names in os.walk(stage):
                rel_dir = os.path.relpath(dirpath, stage)
                dest_dir = os.path.normpath(os.path.join(target, rel_dir))
                os.makedirs(dest_dir, exist_ok=True)
                for name in names:
                    move = (os.path.join(dirpath, name), os.path.join(dest_dir, name))
                    if name == mf.NAME and rel_dir == ".":
                        last.append(move)
                    else:
                        os.replace(*move)
        for rel in remove:
            d = next(d for d in OUTPUT_DIRS if rel.startswith(d + "/"))
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(str(self.targets[d]), rel[len(d) + 1 :]))
        for move in last:
            os.replace(*move)

    def __exit__(self, *exc: object) -> None:
        for stage in self.stages.values():
            shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)
        if not self.committed:
            for path in sorted(self.made, key=lambda p: len(p.parts), reverse=True):
                with contextlib.suppress(OSError):
                    path.rmdir()


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ctrl-C (SIGINT/SIGTERM) waits until the block is done: a swap is never left half made."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread() or not hasattr(
        signal, "pthread_sigmask"
    ):
        yield
        return
    wanted = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _remove_leftovers(target: Path) -> None:
    """Staging trees of runs that were killed (their process is gone) are removed."""
    for path in target.parent.glob(f".{target.name}-*-*"):
        pid = path.name.split("-")[2] if path.name.count("-") >= 3 else ""
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            pass


def _unexpected(root: Path, new: mf.Manifest) -> list[str]:
    """Files in the output trees that the new output does not have (a removed model's, or
    put there by hand): an in-place update removes them, as a full one would."""
    expected = {f"{MODELS_DIR}/{mf.NAME}", *GLOBAL_FILES}
    for record in new.models.values():
        expected.update(record.files)
    return sorted(output_files(root) - expected)


def output_files(root: Path) -> set[str]:
    """Every file of the output trees under ``root``, by path from it (no bytecode)."""
    base = str(root)
    out: set[str] = set()
    for d in OUTPUT_DIRS:
        for dirpath, dirs, names in os.walk(os.path.join(base, d)):
            dirs[:] = [x for x in dirs if x != "__pycache__"]
            rel_dir = os.path.relpath(dirpath, base)
            out.update(f"{rel_dir}/{n}" for n in names)
    return out


def _link(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        os.link(src, dst)
    except OSError:  # no hard links on this file system
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(src, dst)


def _files_intact(root: str, record: mf.ModelRecord, seen: mf.StatCache) -> bool:
    """Whether every file of a model is there as it was written (no hand edits)."""
    return all(
        seen.digest(os.path.join(root, rel)) == digest for rel, digest in record.files.items()
    )


# ------------------------------------------------------------------ all of it in memory


def render(snap: Snapshot, specs: list[ModelSpec], lock: dict[str, str]) -> dict[str, str]:
    """Every generated file for an in-memory snapshot (tests, the golden record), by path
    from the repository root: the same per-model and global renderers, no staging."""
    models = [build_model(s, lock[s.id]) for s in specs]
    params: dict[str, ParamsCode] = {}
    for group in batches(models):
        params.update(generate_batch(group))
    files: dict[str, str] = {}
    rows: dict[str, list[str]] = {}
    for m in models:
        if m.module not in params:
            raise SpecError(m.source, "$", "datamodel-code-generator produced no module")
        files.update(model_files(m, params[m.module]))
        rows[m.spec.id] = [m.module, m.spec.provider, m.spec.type, m.spec.name, m.spec.summary]
    inputs = Inputs(
        Path("."),
        snap.vtrix_catalog,
        snap.modellix_catalog,
        [(s.provider, s.id, Path(s.id)) for s in specs],
        lock,
    )
    files.update(global_files(inputs, rows))
    files = format_python(files)
    check_compiles(files)
    return files


def generate_tree(
    specs_dir: Path, *, update_lock: bool = True
) -> tuple[dict[str, str], dict[str, str]]:
    """(files, lock): a full generation of ``specs_dir`` into a temp root, read back (the
    manifest and snapshot included)."""
    from codegen.specfiles import read_tree

    lock = read_inputs(specs_dir, update_lock=update_lock).lock
    tmp = Path(tempfile.mkdtemp(prefix="vtrix-gen-"))
    try:
        lock_copy = tmp / "specs"
        shutil.copytree(specs_dir, lock_copy)
        (lock_copy / LOCK_FILE).write_text(lock_text(lock), encoding="utf-8")
        generate(lock_copy, tmp / "out", incremental=False)
        files = {f"{d}/{p}": t for d in OUTPUT_DIRS for p, t in read_tree(tmp / "out" / d).items()}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return files, lock
