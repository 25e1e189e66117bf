"""Local history of submitted tasks (``vtrix task list``): id, model, provider, time, status.

Kept as JSON lines in the user data dir; holds no keys and no parameters.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

MAX_ENTRIES = 1000


@dataclass
class HistoryEntry:
    id: str
    model: str
    provider: str
    created_at: float
    status: str
    endpoint: str = ""
    updated_at: float = 0.0


def history_path() -> Path:
    from vtrix.config import data_dir

    return data_dir() / "history.jsonl"


def load() -> list[HistoryEntry]:
    try:
        lines = history_path().read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        try:
            out.append(HistoryEntry(**json.loads(line)))
        except (ValueError, TypeError):
            continue
    return out


def _save(entries: list[HistoryEntry]) -> None:
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(
        "".join(json.dumps(asdict(e)) + "\n" for e in entries[-MAX_ENTRIES:]), encoding="utf-8"
    )
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def record(task_id: str, model: str, provider: str, status: str, endpoint: str = "") -> None:
    """Add or update a task."""
    try:
        loaded = load()
        entries = [e for e in loaded if not (e.id == task_id and e.provider == provider)]
        old = next((e for e in loaded if e.id == task_id and e.provider == provider), None)
        now = time.time()
        entries.append(
            HistoryEntry(
                id=task_id,
                model=model or (old.model if old else ""),
                provider=provider,
                created_at=old.created_at if old else now,
                status=status,
                endpoint=endpoint or (old.endpoint if old else ""),
                updated_at=now,
            )
        )
        entries.sort(key=lambda e: e.created_at)
        _save(entries)
    except OSError:
        pass  # history is a convenience; never fail a run over it


def find(task_id: str) -> HistoryEntry | None:
    matches = [e for e in load() if e.id == task_id]
    return matches[-1] if matches else None
