"""What changed between two specs of one model, and what of it breaks callers (a removed
parameter, a new type, fewer enum values, a new required parameter, a tighter range). Shared
by ``codegen fetch``'s report and ``vtrix models spec`` (a live spec that drifted from the
one built in)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from vtrix.base.record import record
from vtrix.spec.normalise import ModelSpec
from vtrix.spec.walk import walk


@record(frozen=True)
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
    return {".".join(n.path): (n.schema, n.required) for n in walk(spec.schema)}


def spec_changes(mid: str, old: ModelSpec | None, new: ModelSpec | None) -> list[Change]:
    """What changed in one model's spec (added, removed, or field by field)."""
    if old is None:
        return [] if new is None else [Change(mid, "spec added", False)]
    if new is None:
        return [Change(mid, "spec removed", True)]
    changes: list[Change] = []
    a, b = _fields(old), _fields(new)
    for name in sorted(set(b) - set(a)):
        req = b[name][1]
        changes.append(Change(mid, f"parameter {name} added" + (" (required)" if req else ""), req))
    for name in sorted(set(a) - set(b)):
        changes.append(Change(mid, f"parameter {name} removed", True))
    for name in sorted(set(a) & set(b)):
        changes += _field_changes(mid, name, a[name], b[name])
    return changes


def _field_changes(
    mid: str, name: str, old: tuple[dict[str, Any], bool], new: tuple[dict[str, Any], bool]
) -> list[Change]:
    (sa, ra), (sb, rb) = old, new
    changes: list[Change] = []
    if sa["type"] != sb["type"]:
        changes.append(Change(mid, f"parameter {name} retyped {sa['type']} -> {sb['type']}", True))
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
        what = f"default of {name}: {sa.get('default')!r} -> {sb.get('default')!r}"
        changes.append(Change(mid, what, False))
    return changes
