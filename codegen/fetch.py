"""``python -m codegen fetch``: both catalogs and every spec, over HTTP, into specs/.

Base URLs come from the same environment variables the runtime uses (VTRIX_BASE_URL,
VTRIX_MODELS_URL, MODELLIX_BASE_URL, …). At scale:

- specs are fetched by a bounded pool of threads (``--concurrency``, default 8) sharing one
  connection pool;
- each request is conditional when specs/ holds the spec and its validators
  (``specs/validators.json``: the ETag and Last-Modified the gateway sent with it); a 304
  keeps the file as it is, without reading or parsing it;
- every spec is written into a new tree beside specs/ as it arrives (memory does not grow
  with the catalog), changed specs are normalised (and so checked) and compared with the
  old ones one by one for the change report;
- specs are read leniently (see :mod:`vtrix.spec.normalise`): what was coerced or dropped is
  listed as a warning naming the spec and field; a spec that still cannot be used keeps the
  model's old file (or, for a new model, no spec) and is reported, never stopping the rest;
- the new tree replaces specs/ only when every spec could be fetched: a network or gateway
  failure leaves specs/ as it was and names every model that failed.

A catalog model whose spec endpoint answers 404 is kept as a catalog entry without a spec.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codegen.manifest import sha
from codegen.report import Change, catalog_changes, format_report, spec_changes
from codegen.specfiles import stage_tree, swap_tree
from vtrix.base.gateways import MODELLIX_CATALOG_PATH, VTRIX_CATALOG_PATH
from vtrix.errors import NotFound, VtrixError
from vtrix.spec.clean import SpecError
from vtrix.spec.normalise import check_model_id
from vtrix.spec.snapshot import dumps, load_snapshot, read_json
from vtrix.store.config import Settings
from vtrix.wire.adapters import normalise as normalise_one
from vtrix.wire.base import Provider
from vtrix.wire.modellix.adapter import ModellixProvider
from vtrix.wire.modellix.dialect import check_slug
from vtrix.wire.vtrix.adapter import VtrixProvider

LEGACY_VALIDATORS = "validators.json"  # where an earlier fetch kept them, inside specs/
KEEP = ("provenance.json", "module-names.json")
DEFAULT_CONCURRENCY = 8
MAX_FAILURES = 20  # then the rest is not tried: the gateway is down, or the URL wrong
# A gateway whose first specs all fail is down (or the URL is wrong): its other specs are
# not tried. (Any failure leaves specs/ alone, so trying them would only take time.)
DOWN_AFTER = 3


class FetchError(Exception):
    pass


@dataclass(frozen=True)
class SpecJob:
    provider: str
    model_id: str
    rel: str  # path in specs/
    entry: dict[str, Any]
    old_entry: dict[str, Any] | None


@dataclass
class Tally:
    """What a fetch did (shared by the worker threads, under ``lock``)."""

    downloaded: int = 0
    not_modified: int = 0
    no_spec: int = 0
    changes: list[Change] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # unusable new specs: the old file kept
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0  # not tried: too many had failed already
    answered: set[str] = field(default_factory=set)  # gateways that served a spec
    failed: dict[str, int] = field(default_factory=dict)  # failures by gateway
    down: set[str] = field(default_factory=set)  # gateways that failed DOWN_AFTER with none
    validators: dict[str, dict[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _catalog(what: str, url: str, call: Any) -> list[dict[str, Any]]:
    try:
        return list(call() or [])
    except NotFound:
        return []
    except VtrixError as exc:
        raise FetchError(f"{what}: {url}: {exc.message}") from None


def fetch_catalogs(settings: Settings) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    vurl = settings.models_url + VTRIX_CATALOG_PATH
    vtrix = _catalog("vtrix catalog", vurl, VtrixProvider(settings).raw_catalog_pages)
    murl = settings.modellix_url + MODELLIX_CATALOG_PATH
    modellix = _catalog("Modellix catalog", murl, ModellixProvider(settings).raw_catalog)
    for i, entry in enumerate(vtrix):
        check_model_id(entry.get("id"), vurl, f"$.data.models[{i}].id")
    for i, entry in enumerate(modellix):
        check_slug(entry.get("slug"), murl, f"$.models[{i}].slug")
    return (
        sorted(vtrix, key=lambda m: str(m["id"])),
        sorted(modellix, key=lambda m: str(m["slug"])),
    )


class Fetcher:
    """Fetches every spec of the new catalogs into ``stage`` (a tree shaped like specs/)."""

    def __init__(self, settings: Settings, old_dir: Path, stage: Path) -> None:
        self.providers: dict[str, Provider] = {
            "vtrix": VtrixProvider(settings),
            "modellix": ModellixProvider(settings),
        }
        self.old_dir, self.stage = old_dir, stage
        self.old_validators = _read_validators(validators_path(old_dir)) or _read_validators(
            old_dir / LEGACY_VALIDATORS
        )
        self.tally = Tally()

    def run(self, jobs: list[SpecJob], concurrency: int) -> Tally:
        with ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="fetch") as pool:
            list(pool.map(self.one, jobs))
        return self.tally

    def one(self, job: SpecJob) -> None:
        if len(self.tally.failures) >= MAX_FAILURES or job.provider in self.tally.down:
            with self.tally.lock:
                self.tally.skipped += 1
            return
        try:
            self._fetch(job)
        except VtrixError as exc:
            self._failed(job, exc.message)
        else:
            with self.tally.lock:
                self.tally.answered.add(job.provider)

    def _failed(self, job: SpecJob, why: str) -> None:
        provider = self.providers[job.provider]
        with self.tally.lock:
            url = provider.spec_url(job.model_id)
            self.tally.failures.append(f"spec of {job.model_id}: {url}: {why}")
            mine = self.tally.failed[job.provider] = self.tally.failed.get(job.provider, 0) + 1
            if job.provider not in self.tally.answered and mine >= DOWN_AFTER:
                self.tally.down.add(job.provider)

    def _fetch(self, job: SpecJob) -> None:
        old_path = self.old_dir / job.rel
        known = self.old_validators.get(job.rel, {}) if old_path.is_file() else {}
        if known.get("sha") and known["sha"] != _sha(old_path):
            known = {}  # the file is not what the validators were sent with
        asked = {k: v for k, v in known.items() if k in ("etag", "last_modified")}
        try:
            raw, got = self.providers[job.provider].conditional_spec(job.model_id, asked)
        except NotFound:
            old = self._old_spec(job, old_path)
            with self.tally.lock:
                self.tally.no_spec += 1
                self.tally.changes += spec_changes(job.model_id, old, None)
            return
        dest = self.stage / job.rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        if raw is None:  # 304: the file we have is current
            shutil.copyfile(old_path, dest)
            text = None
        else:
            text = dumps(raw)
            dest.write_text(text, encoding="utf-8")
        try:
            changes = self._compare(job, old_path, text)
        except SpecError as exc:
            self._keep_old(job, old_path, dest, str(exc))
            return
        with self.tally.lock:
            if raw is None:
                self.tally.not_modified += 1
            else:
                self.tally.downloaded += 1
            if got:
                self.tally.validators[job.rel] = {**got, "sha": _sha(dest)}
            self.tally.changes += changes

    def _keep_old(self, job: SpecJob, old_path: Path, dest: Path, why: str) -> None:
        """A new spec that cannot be used: the old file stays (a new model gets none)."""
        if old_path.is_file():
            shutil.copyfile(old_path, dest)
            line = f"{job.model_id}: the new spec cannot be used ({why}); kept the old file"
        else:
            dest.unlink(missing_ok=True)
            line = f"{job.model_id}: the spec cannot be used ({why}); left without a spec"
        with self.tally.lock:
            self.tally.kept.append(line)
            if old_path.is_file():
                known = self.old_validators.get(job.rel)
                if known:
                    self.tally.validators[job.rel] = known

    def _compare(self, job: SpecJob, old_path: Path, text: str | None) -> list[Change]:
        """The changes of one model; unchanged bytes and catalog entry need no parsing."""
        same_entry = job.entry == job.old_entry
        if same_entry and (text is None or _read_text(old_path) == text):
            return []
        source = str(self.stage / job.rel)
        new_raw = json.loads(text) if text is not None else read_json(old_path)
        new = normalise_one(job.provider, job.model_id, new_raw, job.entry, source)
        if new.warnings:
            with self.tally.lock:
                self.tally.warnings.extend(new.warnings)
        old = self._old_spec(job, old_path)
        return endpoint_changes(job.model_id, old, new) + spec_changes(job.model_id, old, new)

    def _old_spec(self, job: SpecJob, old_path: Path) -> Any:
        if not old_path.is_file():
            return None
        try:
            raw = read_json(old_path)
            return normalise_one(job.provider, job.model_id, raw, job.old_entry, str(old_path))
        except SpecError:
            return None  # an old spec the normaliser no longer takes: reported as added


def endpoint_changes(model_id: str, old: Any, new: Any) -> list[Change]:
    """A submit endpoint that moved host, or points at loopback or a private address (a
    sandbox's spec about to be committed): breaking, at the top of the report."""
    import ipaddress
    from urllib.parse import urlsplit

    out = []
    host = (urlsplit(new.endpoint).hostname or "").lower()
    before = (urlsplit(old.endpoint).hostname or "").lower() if old is not None else host
    if before != host:
        out.append(Change(model_id, f"endpoint host changed {before} -> {host}", True))
    try:
        private = not ipaddress.ip_address(host).is_global
    except ValueError:
        private = host == "localhost" or host.endswith((".localhost", ".local", ".internal"))
    if private:
        out.append(Change(model_id, f"endpoint on a loopback or private host ({host})", True))
    return out


def shrinkage(old_dir: Path, vtrix: list[Any], modellix: list[Any]) -> list[str]:
    """Catalogs that would lose more than a tenth of their models (each named)."""
    if not old_dir.exists():
        return []
    old = load_snapshot(old_dir, catalogs_only=True)
    out = []
    for label, before, after, key in (
        ("vtrix", old.vtrix_catalog, vtrix, "id"),
        ("Modellix", old.modellix_catalog, modellix, "slug"),
    ):
        gone = {str(e.get(key)) for e in before} - {str(e.get(key)) for e in after}
        if before and len(gone) > len(before) / 10:
            out.append(f"the {label} catalog would lose {len(gone)} of {len(before)} models")
    return out


def _sha(path: Path) -> str:
    return sha(path.read_bytes())


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


def validators_path(specs_dir: Path) -> Path:
    """Where the ETag/Last-Modified of a specs folder's files are kept: in the user cache,
    one file per folder, never in the folder itself (a fetch leaves ``git status`` clean)."""
    import hashlib

    from vtrix.base.dirs import cache_dir

    digest = hashlib.sha256(str(specs_dir.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "fetch-validators" / f"{digest}.json"


def write_validators(specs_dir: Path, validators: dict[str, dict[str, str]]) -> None:
    from vtrix.base.atomic import write_text_atomic

    path = validators_path(specs_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(validators, indent=1, sort_keys=True) + "\n")


def _read_validators(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        str(k): {str(a): str(b) for a, b in v.items()}
        for k, v in data.items()
        if isinstance(v, dict)
    }


def spec_jobs(
    vtrix: list[dict[str, Any]], modellix: list[dict[str, Any]], old_dir: Path
) -> tuple[list[SpecJob], set[str]]:
    """(one job per spec of the new catalogs, the ids of the old catalogs)."""
    old = load_snapshot(old_dir, catalogs_only=True) if old_dir.exists() else None
    old_v = {str(e.get("id")): e for e in (old.vtrix_catalog if old else [])}
    old_m = {str(e.get("slug")): e for e in (old.modellix_catalog if old else [])}
    jobs = [
        SpecJob("vtrix", e["id"], f"vtrix/{e['id']}.json", e, old_v.get(e["id"])) for e in vtrix
    ]
    jobs += [
        SpecJob("modellix", e["slug"], f"modellix/{e['slug']}.json", e, old_m.get(e["slug"]))
        for e in modellix
    ]
    return jobs, set(old_v) | set(old_m)


def removed_specs(old_dir: Path, jobs: list[SpecJob]) -> list[Change]:
    """Spec files of specs/ whose model left the catalog."""
    wanted = {j.rel for j in jobs}
    out: list[Change] = []
    for sub, pattern in (("vtrix", "*.json"), ("modellix", "*/*.json")):
        for path in sorted((old_dir / sub).glob(pattern)):
            rel = path.relative_to(old_dir).as_posix()
            if rel not in wanted:
                out.append(Change(rel[len(sub) + 1 : -len(".json")], "spec removed", True))
    return out


def fetch_command(
    specs_dir: Path,
    concurrency: int = DEFAULT_CONCURRENCY,
    report: Path | None = None,
    allow_shrink: bool = False,
) -> int:
    settings = Settings.resolve()
    print(
        f"fetching from {settings.models_url} (vtrix models), {settings.modellix_url} (Modellix)",
        file=sys.stderr,
    )
    start = time.perf_counter()
    try:
        vtrix, modellix = fetch_catalogs(settings)
    except (FetchError, SpecError) as exc:
        print(f"error: {exc}\nspecs/ was left as it was.", file=sys.stderr)
        return 1
    shrunk = shrinkage(specs_dir, vtrix, modellix)
    if shrunk and not allow_shrink:
        print(
            f"error: {'; '.join(shrunk)} (more than a tenth): the wrong URL, or a gateway "
            "that lost its catalog?\nspecs/ was left as it was; pass --allow-shrink if this "
            "is meant.",
            file=sys.stderr,
        )
        return 1
    jobs, old_ids = spec_jobs(vtrix, modellix, specs_dir)
    catalogs = {
        "vtrix.catalog.json": dumps({"models": vtrix}),
        "modellix.catalog.json": dumps({"models": modellix}),
    }
    with stage_tree(specs_dir, catalogs, KEEP) as stage:
        tally = Fetcher(settings, specs_dir, stage).run(jobs, concurrency)
        if tally.failures:
            print(f"error: {len(tally.failures)} spec(s) could not be fetched:", file=sys.stderr)
            for line in sorted(tally.failures):
                print(f"  {line}", file=sys.stderr)
            if tally.skipped:
                print(f"  ({tally.skipped} more not tried after that)", file=sys.stderr)
            print("specs/ was left as it was.", file=sys.stderr)
            return 1
        for line in sorted(tally.kept):
            print(f"warning: {line}", file=sys.stderr)
        for line in sorted(tally.warnings):
            print(f"warning: {line}", file=sys.stderr)
        changes = catalog_changes(old_ids, {j.model_id for j in jobs})
        changes += sorted(tally.changes + removed_specs(specs_dir, jobs), key=lambda c: c.model)
        swap_tree(specs_dir, stage)
    if tally.validators:
        write_validators(specs_dir, tally.validators)
    took = time.perf_counter() - start
    print(
        f"fetched {len(jobs)} catalog models in {took:.1f}s: {tally.downloaded} specs downloaded, "
        f"{tally.not_modified} not modified, {tally.no_spec} without a spec"
    )
    print(format_report(changes, limit=200))
    if report is not None:
        report.write_text(format_report(changes) + "\n", encoding="utf-8")
    return 0


def fetch_fal(specs_dir: Path, endpoints: list[str]) -> int:
    """``fetch --fal ENDPOINT…``: the OpenAPI documents of the chosen fal endpoints into
    ``specs/fal/`` (each normalised first: a document that cannot be used is reported and
    leaves its old file), with the change report; the vtrix and Modellix snapshot is left
    as it is. fal's catalog is too large to mirror whole."""
    from vtrix.base.atomic import write_text_atomic
    from vtrix.wire.adapters import make_provider, normalise

    settings = Settings.resolve()
    provider = make_provider("fal", settings)
    failed, changes = 0, []
    for endpoint in dict.fromkeys(e.removeprefix("fal:") for e in endpoints):
        model_id = f"fal:{endpoint}"
        path = specs_dir / "fal" / (endpoint.replace("/", "__") + ".json")
        try:
            raw = provider.raw_spec(model_id)
            new = normalise("fal", model_id, raw, None, str(path))
        except (VtrixError, SpecError) as exc:
            print(f"error: {model_id}: {exc}", file=sys.stderr)
            failed += 1
            continue
        for warning in new.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        old_text = _read_text(path)
        if old_text is not None:
            old = normalise("fal", model_id, json.loads(old_text), None, str(path))
            changes += spec_changes(model_id, old, new)
        else:
            changes += catalog_changes(set(), {model_id})
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(raw, indent=1, ensure_ascii=False) + "\n")
    print(format_report(changes, limit=200))
    return 1 if failed else 0
