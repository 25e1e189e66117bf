"""Reading a batch: JSONL (one object per line) or CSV (a header row), from a file or stdin.

JSONL lines are ``{"model": "...", "params": {...}, "key": "optional-id"}``; with a default
model, a line may be the params alone. CSV columns are parameters (coerced by the model's
spec, as ``--param`` values are), except ``model`` and ``key``. Blank lines and JSONL lines
starting with ``#`` are skipped.

A line is known by its model and parameters, with its ``key`` field when it has one (the
n-th of several identical unkeyed lines by that and n) — never by the file's bytes, its name
or its line number: an edited, reordered, appended-to, moved or re-encoded file run again
submits only lines never submitted. A ``key`` tells apart lines that are otherwise the same;
it never makes other content the same line: keys ``1``, ``2`` in two files with other
parameters are other lines, and a line whose key stayed but whose parameters changed is a new
line (its old task is left as it was). The line's idempotency key derives from that identity
(:func:`line_keys`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from typing import Any

from vtrix.base.record import field, record
from vtrix.errors import UsageError


@record
class Line:
    """One input line, before its model's spec is applied."""

    number: int
    model: str
    params: dict[str, Any] = field(default_factory=dict)  # JSON values (JSONL)
    texts: list[str] = field(default_factory=list)  # "name=value" to coerce (CSV)
    key: str | None = None
    problem: str | None = None


def read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}; nothing was sent") from None


def batch_id(data: bytes) -> str:
    """A label for one input (its digest): shown and kept with the rows, never used to
    decide what was submitted."""
    return hashlib.sha256(data).hexdigest()


def line_identity(line: Line) -> str:
    """What makes a line the same line: its model and parameters, and its key if it has one."""
    what: Any = line.params if not line.texts else sorted(line.texts)
    text = json.dumps([line.model, what], sort_keys=True, ensure_ascii=False, default=str)
    if line.key is not None:
        return "key:" + json.dumps(line.key) + ":" + text
    return "params:" + text


def legacy_key(line: Line) -> str | None:
    """The idempotency key vtrix 0.x gave a keyed line (by its key alone): a batch sent by an
    earlier version resumes its lines whose content is still the same."""
    if line.key is None:
        return None
    return "vtrix-line-" + hashlib.sha256(("key:" + line.key).encode("utf-8")).hexdigest()[:40]


def line_keys(lines: list[Line]) -> dict[int, str]:
    """The idempotency key of each line (by line number): from its identity, and for the
    n-th of identical unkeyed lines, n (five identical lines are five tasks)."""
    seen: dict[str, int] = {}
    out: dict[int, str] = {}
    for line in lines:
        ident = line_identity(line)
        n = seen[ident] = seen.get(ident, 0) + 1
        digest = hashlib.sha256(ident.encode("utf-8")).hexdigest()[:40]
        repeat = n > 1 and line.key is None  # a repeated key is the same task
        out[line.number] = f"vtrix-line-{digest}" + (f"-{n}" if repeat else "")
    return out


def parse(data: bytes, *, name: str, model: str | None) -> list[Line]:
    """The lines of a batch input (``name`` picks the format by its ending, else sniffed)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(f"{name} is not UTF-8 text (byte {exc.start}); nothing was sent") from None
    lower = name.lower()
    first = text.lstrip()[:1]
    is_csv = lower.endswith((".csv", ".tsv")) or (
        not lower.endswith((".jsonl", ".json", ".ndjson")) and first not in ("{", "#", "")
    )
    lines = (
        _csv(text, model, "\t" if lower.endswith(".tsv") else ",")
        if is_csv
        else _jsonl(text, model)
    )
    if not lines:
        raise UsageError(f"{name} holds no lines to run; nothing was sent")
    return lines


def _jsonl(text: str, model: str | None) -> list[Line]:
    out = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as exc:
            out.append(Line(number, model or "", problem=f"not valid JSON: {exc.msg}"))
            continue
        if not isinstance(obj, dict):
            out.append(Line(number, model or "", problem="a line must be a JSON object"))
            continue
        out.append(_json_line(number, obj, model))
    return out


def _json_line(number: int, obj: dict[str, Any], model: str | None) -> Line:
    wrapped = "model" in obj or "params" in obj
    line_model = obj.get("model") if wrapped else None
    params = obj.get("params", {}) if wrapped else obj
    key = obj.get("key") if wrapped else None
    chosen = line_model or model
    if not isinstance(chosen, str) or not chosen:
        return Line(number, "", problem='no model: give "model" on the line, or --model')
    if not isinstance(params, dict):
        return Line(number, chosen, problem='"params" must be a JSON object')
    if key is not None and not isinstance(key, (str, int)):
        return Line(number, chosen, problem='"key" must be a string')
    if wrapped and set(obj) - {"model", "params", "key"}:
        extra = ", ".join(sorted(set(obj) - {"model", "params", "key"}))
        return Line(
            number, chosen, problem=f'unknown field(s) {extra} (put parameters in "params")'
        )
    return Line(number, chosen, params=params, key=None if key is None else str(key))


def _csv(text: str, model: str | None, delimiter: str) -> list[Line]:
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames:
        return []
    columns = [c.strip() for c in reader.fieldnames]
    if "model" not in columns and not model:
        raise UsageError("the CSV has no 'model' column; give --model ID; nothing was sent")
    out = []
    for row in reader:
        number = reader.line_num
        cells = {k.strip(): (v or "") for k, v in row.items() if k is not None}
        if None in row:
            out.append(Line(number, model or "", problem="more cells than header columns"))
            continue
        if not any(v.strip() for v in cells.values()):
            continue
        chosen = cells.pop("model", "").strip() or model or ""
        key = cells.pop("key", "").strip() or None
        texts = [f"{k}={v}" for k, v in cells.items() if v != ""]
        problem = None if chosen else "no model on this row"
        out.append(Line(number, chosen, texts=texts, key=key, problem=problem))
    return out
