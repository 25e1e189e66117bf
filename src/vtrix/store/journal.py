"""The journal of paid task ids the ledger could not take in time: a submit's task id is never
dropped. When the ledger stays locked or unreachable past the write's deadline, the id goes
to ``pending-ids.jsonl`` in the user data dir (appended, flushed to disk, 0600) and the next
command that opens a ledger writes it there. A replaying process first claims the file by
renaming it (only one process can), so an id is applied by one process; applying one twice
would be harmless anyway (the same UPDATE).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

NAME = "pending-ids.jsonl"


def journal_path() -> Path:
    from vtrix.base.dirs import data_dir

    return data_dir() / NAME


def append(entry: dict[str, Any]) -> Path:
    """Add one task id (with its key and what the ledger row needs) to the journal, durably."""
    from vtrix.base.dirs import private_dir

    path = journal_path()
    private_dir(path.parent)
    line = json.dumps(entry, sort_keys=True, default=str) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def claim() -> list[dict[str, Any]]:
    """Take the journal's entries for replay (the file is gone once they are read), and any
    left by a process that died while replaying."""
    path = journal_path()
    out: list[dict[str, Any]] = []
    if path.exists():
        mine = path.with_name(f"{NAME}.{os.getpid()}")
        with contextlib.suppress(OSError):
            os.rename(path, mine)
    for taken in sorted(path.parent.glob(f"{NAME}.*")) if path.parent.exists() else []:
        pid = taken.name.rsplit(".", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue  # another process is replaying it now
        out.extend(_read(taken))
    return out


def done() -> None:
    """The claimed entries are in the ledger: remove what this process claimed."""
    path = journal_path()
    for taken in path.parent.glob(f"{NAME}.*") if path.parent.exists() else []:
        pid = taken.name.rsplit(".", 1)[-1]
        if pid.isdigit() and (int(pid) == os.getpid() or not _alive(int(pid))):
            with contextlib.suppress(OSError):
                taken.unlink()


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        try:
            item = json.loads(line)
        except ValueError:
            continue  # a line cut by a crash mid-write
        if isinstance(item, dict) and isinstance(item.get("key"), str) and item.get("task_id"):
            out.append(item)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True
