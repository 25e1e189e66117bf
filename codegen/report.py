"""The change report of ``codegen fetch``: what changed between two snapshots, and what of
it breaks callers (a removed model or parameter, a new type, fewer enum values, a new
required parameter, a tighter range)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from vtrix.spec.normalise import ModelSpec, iter_fields


@dataclass(frozen=True)
class Change:
    model: str
    what: str
    breaking: bool

    def __str__(self) -> str:
        return f"{'BREAKING ' if self.breaking else ''}{self.model}: {self.what}"


def _raised(old: float, new: float) -> bool:
    return new > old


def _lowered(old: float, new: float) -> bool:
    return new < old


# For each bound: is the new value tighter (so that inputs valid before may now fail)?
_TIGHTER: dict[str, Callable[[float, float], bool]] = {
    "minimum": _raised,
    "maximum": _lowered,
    "maxLength": _lowered,
    "maxItems": _lowered,
}


def _fields(spec: ModelSpec) -> dict[str, tuple[dict[str, Any], bool]]:
    return {".".join(p): (s, r) for p, s, r in iter_fields(spec.schema)}


def compare(
    old: dict[str, ModelSpec],
    new: dict[str, ModelSpec],
    old_catalog: set[str],
    new_catalog: set[str],
) -> list[Change]:
    changes: list[Change] = []
    for mid in sorted(new_catalog - old_catalog):
        changes.append(Change(mid, "model added to the catalog", False))
    for mid in sorted(old_catalog - new_catalog):
        changes.append(Change(mid, "model removed from the catalog", True))
    for mid in sorted(set(new) - set(old)):
        changes.append(Change(mid, "spec added", False))
    for mid in sorted(set(old) - set(new)):
        changes.append(Change(mid, "spec removed", True))
    for mid in sorted(set(old) & set(new)):
        a, b = _fields(old[mid]), _fields(new[mid])
        for name in sorted(set(b) - set(a)):
            req = b[name][1]
            changes.append(
                Change(mid, f"parameter {name} added" + (" (required)" if req else ""), req)
            )
        for name in sorted(set(a) - set(b)):
            changes.append(Change(mid, f"parameter {name} removed", True))
        for name in sorted(set(a) & set(b)):
            (sa, ra), (sb, rb) = a[name], b[name]
            if sa["type"] != sb["type"]:
                changes.append(
                    Change(mid, f"parameter {name} retyped {sa['type']} -> {sb['type']}", True)
                )
            ea, eb = sa.get("enum"), sb.get("enum")
            if ea is not None and eb is not None:
                gone = [v for v in ea if v not in eb]
                added = [v for v in eb if v not in ea]
                if gone:
                    changes.append(Change(mid, f"enum of {name} narrowed: removed {gone}", True))
                if added:
                    changes.append(Change(mid, f"enum of {name} widened: added {added}", False))
            elif eb is not None and ea is None:
                changes.append(Change(mid, f"{name} now limited to {eb}", True))
            if rb and not ra:
                changes.append(Change(mid, f"parameter {name} is now required", True))
            elif ra and not rb:
                changes.append(Change(mid, f"parameter {name} is no longer required", False))
            for key, tighter in _TIGHTER.items():
                va, vb = sa.get(key), sb.get(key)
                if va != vb:
                    breaking = vb is not None and (va is None or tighter(va, vb))
                    changes.append(Change(mid, f"{key} of {name}: {va} -> {vb}", breaking))
            if sa.get("default") != sb.get("default"):
                changes.append(
                    Change(
                        mid,
                        f"default of {name}: {sa.get('default')!r} -> {sb.get('default')!r}",
                        False,
                    )
                )
    return changes


def format_report(changes: list[Change]) -> str:
    if not changes:
        return "No changes: specs/ already matches the gateways."
    n_break = sum(c.breaking for c in changes)
    lines = [f"{len(changes)} change(s), {n_break} breaking:"]
    lines += [f"  {c}" for c in changes]
    return "\n".join(lines)
