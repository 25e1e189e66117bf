"""A paid task's id written to its ledger row, never dropped: tried again while the ledger is
locked or out of reach, then journaled (:mod:`vtrix.store.journal`) and written by the next
command that opens a ledger. A base of :class:`vtrix.store.ledger.Ledger`."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

from vtrix.base.constants import ID_WRITE_WAIT
from vtrix.base.secrets import redact
from vtrix.errors import LedgerUnavailable
from vtrix.store.entry import SUBMITTED

if TYPE_CHECKING:
    from vtrix.store.backend import Database


class TaskIds:
    """Writing a submit's task id (see the module docstring)."""

    _lock: threading.RLock
    disabled: bool
    why: str
    where: str
    database: Database

    def _db(self) -> Database:
        raise NotImplementedError

    def _unavailable(self, why: str, fix: str = "") -> LedgerUnavailable:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _replay_journal(self) -> None:
        """Write the task ids an earlier command journaled (:mod:`.journal`)."""
        from vtrix.store import journal

        entries = journal.claim()
        if not entries:
            return
        with self.database.write():
            for e in entries:
                self._write_id(
                    str(e["key"]),
                    str(e["task_id"]),
                    str(e.get("status") or SUBMITTED),
                    str(e.get("remote_status") or ""),
                    e.get("created_at") if isinstance(e.get("created_at"), (int, float)) else None,
                    e.get("raw") if isinstance(e.get("raw"), dict) else {},
                )
        journal.done()

    def submitted(
        self,
        key: str,
        task_id: str,
        status: str,
        remote_status: str = "",
        created_at: float | None = None,
        raw: dict[str, Any] | None = None,
        *,
        wait: float = ID_WRITE_WAIT,
    ) -> None:
        """Write a paid task's id to its row. Never dropped: a ledger that is locked or out of
        reach is tried again for ``wait`` seconds, then the id goes to the journal that the
        next command replays (:mod:`.journal`), with one line on stderr."""
        until = time.monotonic() + wait
        pause = 0.05
        why = ""
        while True:
            with self._lock:
                try:
                    if self.disabled:
                        raise self._unavailable(self.why or "it failed earlier in this run")
                    self._write_id(key, task_id, status, remote_status, created_at, raw)
                    return
                except LedgerUnavailable as exc:
                    why = exc.message
                except self.database.errors() as exc:
                    why = self.database.plain_reason(exc)
                    self.close()  # reopened on the next try
                    self.disabled = False
            if time.monotonic() + pause > until:
                break
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
        from vtrix.store import journal

        entry = {
            "key": key,
            "task_id": task_id,
            "status": status,
            "remote_status": remote_status,
            "created_at": created_at,
            "raw": raw or {},
        }
        try:
            where = str(journal.append(json.loads(redact(json.dumps(entry, default=str)))))
        except OSError as exc:
            where = f"nowhere ({exc.strerror}): note task {task_id}, idempotency key {key}"
        print(
            f"! the task ledger {self.where} could not take task {task_id}'s id ({why}); "
            f"it is kept in {where} and written to the ledger by the next vtrix command",
            file=sys.stderr,
        )

    def _write_id(
        self,
        key: str,
        task_id: str,
        status: str,
        remote_status: str,
        created_at: float | None,
        raw: dict[str, Any] | None,
    ) -> None:
        answer = redact(json.dumps(raw or {}, default=str))
        self._db().execute(
            "UPDATE tasks SET task_id = ?, state = ?, remote_status = ?, updated_at = ?,"
            " task_created_at = ?, raw = ? WHERE key = ?",
            (task_id, status or SUBMITTED, remote_status, time.time(), created_at, answer, key),
        )
