"""The change report of ``codegen fetch``: what changed between two snapshots, and what of
it breaks callers (a removed model or parameter, a new type, fewer enum values, a new
required parameter, a tighter range)."""

from __future__ import annotations

from vtrix.spec.changes import Change, spec_changes
from vtrix.spec.normalise import ModelSpec

__all__ = ["Change", "catalog_changes", "compare", "format_report", "spec_changes"]


def catalog_changes(old_catalog: set[str], new_catalog: set[str]) -> list[Change]:
    """Models that came or went from the catalogs."""
    added = [
        Change(m, "model added to the catalog", False) for m in sorted(new_catalog - old_catalog)
    ]
    gone = [
        Change(m, "model removed from the catalog", True) for m in sorted(old_catalog - new_catalog)
    ]
    return added + gone


def compare(
    old: dict[str, ModelSpec],
    new: dict[str, ModelSpec],
    old_catalog: set[str],
    new_catalog: set[str],
) -> list[Change]:
    """Every change between two snapshots: the catalogs, then model by model."""
    changes = catalog_changes(old_catalog, new_catalog)
    for mid in sorted(set(old) | set(new)):
        changes += spec_changes(mid, old.get(mid), new.get(mid))
    return changes


def format_report(changes: list[Change], *, limit: int | None = None) -> str:
    """The report: every breaking change, then the others (at most ``limit`` lines of them;
    the rest counted)."""
    if not changes:
        return "No changes: specs/ already matches the gateways."
    breaking = [c for c in changes if c.breaking]
    other = [c for c in changes if not c.breaking]
    lines = [f"{len(changes)} change(s), {len(breaking)} breaking:"]
    lines += [f"  {c}" for c in breaking]
    shown = other if limit is None else other[:limit]
    lines += [f"  {c}" for c in shown]
    if len(shown) < len(other):
        lines.append(f"  … and {len(other) - len(shown)} more non-breaking (see --report FILE)")
    return "\n".join(lines)
