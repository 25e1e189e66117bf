"""Saving a finished task's outputs into a directory: safely, atomically, resumably (see
:mod:`vtrix.files.download`); the ledger keeps the paths and checksums, so files it already
holds there are not fetched again."""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, TypedDict

from vtrix.errors import DownloadRefused

if TYPE_CHECKING:
    from vtrix.engine.session import Session
    from vtrix.files.download import Progress
    from vtrix.task import Result


class SaveOptions(TypedDict, total=False):
    """How outputs are saved: ``overwrite`` a file of the same name (else a numbered one),
    ``max_bytes`` per file, ``allow_private_network`` (result URLs on private addresses),
    ``progress`` (called as bytes arrive), ``deadline`` (a monotonic time for them all)."""

    overwrite: bool
    max_bytes: int | None
    allow_private_network: bool
    progress: Progress | None
    deadline: float | None


def save(
    session: Session,
    result: Result,
    directory: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    max_bytes: int | None = None,
    allow_private_network: bool = False,
    progress: Progress | None = None,
    deadline: float | None = None,
) -> list[str]:
    """Save ``result``'s outputs into ``directory``; sets ``result.files`` and returns
    them. ``deadline`` (monotonic) bounds the downloads, else an hour each does."""
    from vtrix.base.constants import MAX_DOWNLOAD as DEFAULT_MAX_DOWNLOAD
    from vtrix.files.download import Downloader
    from vtrix.files.policy import UrlPolicy, check_save_dir

    task_id = result.id or ""
    where = check_save_dir(directory)
    ledger = session.ledger
    entry = ledger.by_task(task_id, result.provider) if ledger else None
    expires = result.expires_at.timestamp() if result.expires_at else None
    expires = expires or (entry.expires_at if entry else None)
    if expires is not None and expires <= time.time() and result.urls:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(expires))
        raise DownloadRefused(
            f"the result URLs of task {task_id} expired at {when} (the gateway "
            "said so); nothing was downloaded",
            hint=f"Ask for fresh ones: vtrix task get {task_id} --save {directory}",
            task_id=task_id,
        )
    downloader = Downloader(
        policy=UrlPolicy(allow_private=allow_private_network),
        max_bytes=max_bytes or DEFAULT_MAX_DOWNLOAD,
        overwrite=overwrite,
        progress=progress,
        network=session.settings.network(),
        deadline=deadline,
    )
    saved = downloader.save_all(
        task_id,
        result.urls,
        where,
        entry.files if entry else None,
        entry.file_sums if entry else None,
    )
    result.files = [s.path for s in saved]
    if ledger is not None:
        sums = {s.path: [s.size, s.sha256] for s in saved if s.sha256}
        ledger.saved(result.provider, task_id, result.files, sums)
    return result.files
