"""Batches sent by vtrix 0.x, whose keyed lines were known by their key alone: a line whose
model and request are still the same keeps that row (it is resumed, never sent again); any
other content is a new line (see :mod:`vtrix.batch.input`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtrix.batch.checking import Checked


def adopt_legacy_keys(ledger: Any, lines: list[Checked], keys: dict[int, str]) -> None:
    """Point ``keys`` (line number -> idempotency key) at the old rows that still fit."""
    from vtrix.batch.input import legacy_key
    from vtrix.store.entry import digest

    old = {c.line.number: legacy_key(c.line) for c in lines if c.prepared is not None}
    wanted = [k for k in old.values() if k is not None]
    if ledger is None or not wanted:
        return
    rows = ledger.by_keys(wanted) or {}
    for c in lines:
        key, prepared = old.get(c.line.number), c.prepared
        row = rows.get(key or "")
        if row is None or prepared is None or row.params_digest:
            continue
        body = digest(prepared.spec.provider, prepared.model_id, prepared.request.body)
        if row.model == prepared.model_id and row.digest == body:
            keys[c.line.number] = row.key
