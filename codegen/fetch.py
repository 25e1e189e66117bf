"""``python -m codegen fetch``: both catalogs and every spec, over HTTP, into specs/.

Base URLs come from the same environment variables the runtime uses (VTRIX_BASE_URL,
VTRIX_MODELS_URL, MODELLIX_BASE_URL, …). The new tree is written to a temp dir and swapped
in only when everything was fetched and every spec normalised, so a failed fetch leaves
specs/ as it was. A catalog model whose spec endpoint answers 404 is kept as a catalog
entry without a spec file.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from codegen.report import compare, format_report
from codegen.specfiles import replace_tree
from vtrix.config import Settings
from vtrix.errors import NotFound, VtrixError
from vtrix.providers.modellix import ModellixProvider
from vtrix.providers.vtrix import VtrixProvider
from vtrix.spec.normalise import ModelSpec, SpecError, check_model_id, check_slug
from vtrix.spec.snapshot import Snapshot, dumps, load_snapshot, normalise_snapshot


class FetchError(Exception):
    pass


def _fetch(what: str, url: str, call: Any) -> Any:
    try:
        return call()
    except NotFound:
        return None
    except VtrixError as exc:
        raise FetchError(f"{what}: {url}: {exc.message}") from None


def fetch_snapshot(settings: Settings) -> tuple[Snapshot, dict[str, str]]:
    vtrix = VtrixProvider(settings)
    modellix = ModellixProvider(settings)
    snap = Snapshot()
    vurl = f"{settings.models_url}/api/v1/skill/models"
    snap.vtrix_catalog = sorted(
        _fetch("vtrix catalog", vurl, vtrix.raw_catalog_pages) or [], key=lambda m: str(m.get("id"))
    )
    for i, entry in enumerate(snap.vtrix_catalog):
        mid = check_model_id(entry.get("id"), vurl, f"$.data.models[{i}].id")
        url = f"{vurl}/{mid}/spec"
        raw = _fetch(f"spec of {mid}", url, lambda mid=mid: vtrix.raw_spec(mid))
        if raw is not None:
            snap.vtrix_specs[mid] = raw
    murl = f"{settings.modellix_url}/api/v1/models"
    snap.modellix_catalog = sorted(
        _fetch("Modellix catalog", murl, modellix.raw_catalog) or [],
        key=lambda m: str(m.get("slug")),
    )
    for i, entry in enumerate(snap.modellix_catalog):
        slug = check_slug(entry.get("slug"), murl, f"$.models[{i}].slug")
        url = f"{settings.modellix_schema_url}/models/{slug}/api_schema"
        raw = _fetch(f"spec of {slug}", url, lambda slug=slug: modellix.raw_spec(slug))
        if raw is not None:
            snap.modellix_specs[slug] = raw
    files = {
        "vtrix.catalog.json": dumps({"models": snap.vtrix_catalog}),
        "modellix.catalog.json": dumps({"models": snap.modellix_catalog}),
    }
    files.update({f"vtrix/{k}.json": dumps(v) for k, v in snap.vtrix_specs.items()})
    files.update({f"modellix/{k}.json": dumps(v) for k, v in snap.modellix_specs.items()})
    return snap, files


def _by_id(specs: list[ModelSpec]) -> dict[str, ModelSpec]:
    return {s.id: s for s in specs}


def fetch_command(specs_dir: Path) -> int:
    settings = Settings.resolve()
    print(
        f"fetching from {settings.models_url} (vtrix models), {settings.modellix_url} (Modellix)",
        file=sys.stderr,
    )
    try:
        snap, files = fetch_snapshot(settings)
        new_specs = normalise_snapshot(snap)
    except (FetchError, SpecError) as exc:
        print(f"error: {exc}\nspecs/ was left as it was.", file=sys.stderr)
        return 1
    old = load_snapshot(specs_dir) if specs_dir.exists() else Snapshot()
    old_specs = normalise_snapshot(old) if specs_dir.exists() else []
    changes = compare(
        _by_id(old_specs),
        _by_id(new_specs),
        {str(m.get("id")) for m in old.vtrix_catalog}
        | {str(m.get("slug")) for m in old.modellix_catalog},
        {str(m.get("id")) for m in snap.vtrix_catalog}
        | {str(m.get("slug")) for m in snap.modellix_catalog},
    )
    replace_tree(specs_dir, files, keep=("provenance.json", "module-names.json"))
    print(f"wrote {len(files)} files to {specs_dir}")
    print(format_report(changes))
    return 0
