"""Saving results: safe names, atomic and resumable downloads, a URL policy and a size cap.

* Names never come from gateway text as a path: a sanitised task id (``[A-Za-z0-9._-]``,
  bounded), an index when there are several outputs, an extension from the file's magic
  bytes or its content type (else ``.bin``). An existing file is never overwritten (the name
  gets a number) unless asked, and a symlink at the destination is never followed.
* A download goes to a hidden ``.part`` file beside the target, is checked against its
  announced length, fsynced and then linked into place: a cut or interrupted download leaves
  nothing at the final name, and the next attempt resumes with a ``Range`` request (guarded
  by ``If-Range``) where the server allows it.
* Result URLs must be https, or http on loopback; an address that is private, link-local or
  otherwise not public is refused at connect time (so no redirect or DNS answer gets round
  it) unless ``allow_private`` is set. Other schemes are refused.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from vtrix.base.constants import MAX_DOWNLOAD as DEFAULT_MAX_DOWNLOAD
from vtrix.base.constants import MAX_FILE_SECONDS, MAX_REDIRECTS
from vtrix.base.record import record
from vtrix.base.text import clean_line, human_size
from vtrix.errors import DownloadFailed, DownloadRefused, Interrupted
from vtrix.files.filetypes import extension
from vtrix.files.policy import UrlPolicy, safe_stem
from vtrix.http.network import Network
from vtrix.http.transport import Request, RequestsTransport, Timeouts, TransportError

Progress = Callable[[str, int, "int | None"], None]  # (name, bytes so far, total)


@record(frozen=True)
class Saved:
    url: str
    path: str
    size: int
    resumed: bool = False
    skipped: bool = False
    sha256: str = ""


def file_sum(path: str) -> tuple[int, str] | None:
    """(size, sha256) of a regular file, never through a symlink; None for anything else."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        digest, size = hashlib.sha256(), 0
        while chunk := os.read(fd, 1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
        return size, digest.hexdigest()
    finally:
        os.close(fd)


@record
class _Part:
    """The hidden partial file of one download and what is known of it."""

    path: Path
    meta: Path
    origin: str  # scheme://host/path of the URL (its query changes between fetches)

    def held(self) -> tuple[int, str | None]:
        """(bytes already there, ETag they came with) — (0, None) when not resumable."""
        try:
            st = os.lstat(self.path)
            info = json.loads(self.meta.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return 0, None
        if not os.path.isfile(self.path) or os.path.islink(self.path):
            return 0, None
        if not isinstance(info, dict) or info.get("origin") != self.origin:
            return 0, None
        etag = info.get("etag")
        return st.st_size, etag if isinstance(etag, str) else None

    def remember(self, etag: str | None, total: int | None) -> None:
        from vtrix.base.atomic import write_text_atomic

        write_text_atomic(
            self.meta, json.dumps({"origin": self.origin, "etag": etag, "total": total})
        )

    def open(self, append: bool) -> int:
        import stat

        # Never through a symlink, never blocking on a FIFO someone put there.
        flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK
        flags |= os.O_APPEND if append else os.O_TRUNC
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            import errno

            if exc.errno == errno.ENXIO:  # a FIFO with no reader
                raise DownloadRefused(
                    f"{self.path} is not a regular file; nothing was written there",
                    hint="Remove what is in the way and save again.",
                ) from None
            raise DownloadRefused(
                f"cannot write {self.path} ({exc.strerror})",
                hint="A symlink or a file that is not yours is in the way; remove it.",
            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise DownloadRefused(
                f"{self.path} is not a regular file; nothing was written there",
                hint="Remove what is in the way and save again.",
            )
        os.set_blocking(fd, True)
        os.fchmod(fd, 0o600)  # a partial download is private, whatever the umask
        return fd

    def discard(self) -> None:
        for p in (self.path, self.meta):
            with contextlib.suppress(OSError):
                os.unlink(p)


class Downloader:
    """Fetches result files into a directory (see the module docstring)."""

    def __init__(
        self,
        *,
        policy: UrlPolicy | None = None,
        max_bytes: int = DEFAULT_MAX_DOWNLOAD,
        overwrite: bool = False,
        progress: Progress | None = None,
        timeouts: Timeouts | None = None,
        network: Network | None = None,
        deadline: float | None = None,
    ) -> None:
        self.deadline = deadline  # monotonic; else each file gets MAX_FILE_SECONDS
        self.policy = policy or UrlPolicy()
        self.max_bytes = max_bytes
        self.overwrite = overwrite
        self.progress = progress
        self.transport = RequestsTransport(
            timeouts or Timeouts(read=60), self.policy.check_peer, network
        )

    def save_all(
        self,
        task_id: str,
        urls: list[str],
        directory: Path,
        known: list[str] | None = None,
        sums: dict[str, list[Any]] | None = None,
    ) -> list[Saved]:
        """Every URL of a task into ``directory``. A file the ledger saved there before is
        kept only when it still is what was saved (a regular file of the same size and
        SHA-256); anything else in its place — other bytes, a symlink — is never reported
        as saved: the result is fetched again, to a new name."""
        out = []
        for i, url in enumerate(urls):
            stem = safe_stem(task_id) + (f"-{i + 1}" if len(urls) > 1 else "")
            have = (known or [])[i] if i < len(known or []) else ""
            expected = (sums or {}).get(have)
            if have and Path(have).parent == directory and expected:
                found = file_sum(have)
                if found is not None and list(found) == list(expected):
                    out.append(Saved(url, have, found[0], skipped=True, sha256=found[1]))
                    continue
            out.append(self.fetch(url, directory, stem, resume_hint=task_id))
        return out

    def fetch(self, url: str, directory: Path, stem: str, resume_hint: str = "") -> Saved:
        self.policy.redirected = False
        self.policy.check_url(url)
        parts = urlsplit(url)
        part = _Part(
            directory / f".{stem}.vtrix-part",
            directory / f".{stem}.vtrix-part.json",
            f"{parts.scheme}://{parts.netloc}{parts.path}",
        )
        have, etag = part.held()
        how = _Resume(task_id=resume_hint, directory=directory)
        try:
            size, ctype, resumed = self._stream(url, part, have, etag, stem, how)
        except KeyboardInterrupt:
            raise Interrupted(
                f"Interrupted while saving {stem}; the part already fetched is kept.",
                hint=how.text(),
                task_id=resume_hint or None,
            ) from None
        fd = os.open(part.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            head = os.read(fd, 64)
        finally:
            os.close(fd)
        final = self._place(part, directory, stem + extension(head, ctype))
        os.chmod(final, 0o644, follow_symlinks=False)  # never group- or other-writable
        part.discard()
        _fsync_dir(directory)
        found = file_sum(str(final))
        return Saved(url, str(final), size, resumed=resumed, sha256=found[1] if found else "")

    # ------------------------------------------------------------------ streaming

    def _stream(
        self, url: str, part: _Part, have: int, etag: str | None, stem: str, how: _Resume
    ) -> tuple[int, str | None, bool]:
        headers = {"User-Agent": _user_agent(), "Accept-Encoding": "identity"}
        if have:
            headers["Range"] = f"bytes={have}-"
            if etag:
                headers["If-Range"] = etag
        for _ in range(MAX_REDIRECTS + 1):
            # The file exactly as served: a gzip Content-Encoding is saved, never inflated
            # (so a small bomb cannot fill the disk), and the size cap counts bytes written.
            request = Request("GET", url, headers, decode=False)
            try:
                until = time.monotonic() + MAX_FILE_SECONDS
                if self.deadline is not None:
                    until = min(until, self.deadline)
                with self.transport.open(request, deadline=until) as answer:
                    status, rheaders, _u, chunks = answer
                    if 300 <= status < 400 and rheaders.get("location"):
                        url = urljoin(url, rheaders["location"])
                        self.policy.redirected = True  # every hop checked, loopback too
                        self.policy.check_url(url)
                        continue
                    start, total = self._check_status(status, rheaders, have, url, how)
                    if start == 0 and have:
                        have = 0  # the server sent the whole file again
                    part.remember(rheaders.get("etag"), total)
                    size = self._write(part, chunks, start, total, stem, how)
                    return size, rheaders.get("content-type"), start > 0
            except TransportError as exc:
                if exc.kind == "private":
                    raise DownloadRefused(exc.detail, hint=how.text()) from None
                raise DownloadFailed(
                    f"saving {stem} failed: {exc.detail}; the part already fetched is kept",
                    hint=how.text(),
                ) from None
        raise DownloadRefused(
            f"saving {stem}: more than {MAX_REDIRECTS} redirects", hint=how.text()
        )

    def _check_status(
        self, status: int, headers: dict[str, str], have: int, url: str, how: _Resume
    ) -> tuple[int, int | None]:
        """(where the body starts in the file, the file's total size if known)."""
        length = headers.get("content-length", "")
        if status == 206 and have:
            m = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", headers.get("content-range", ""))
            if m and int(m.group(1)) == have:
                total = int(m.group(3)) if m.group(3) != "*" else None
                self._cap(total, how)
                return have, total
            raise DownloadFailed("the server resumed at another place; try again", hint=how.text())
        if status == 200:
            total = int(length) if length.isdigit() else None
            self._cap(total, how)
            return 0, total
        where = clean_line(urlsplit(url).netloc, 100)
        if status in (403, 404, 410):
            raise DownloadRefused(
                f"the result URL is gone or has expired (HTTP {status} from {where})",
                hint=f"Fresh URLs: {how.command()}",
            )
        if status == 416:
            raise DownloadFailed("the partial file does not fit the server's file", hint=how.text())
        if status >= 500 or status == 429:
            raise DownloadFailed(f"the file host answered HTTP {status}", hint=how.text())
        raise DownloadRefused(f"the file host answered HTTP {status} ({where})", hint=how.text())

    def _cap(self, total: int | None, how: _Resume) -> None:
        if total is not None and total > self.max_bytes:
            raise DownloadRefused(
                f"the result is {human_size(total)}, over the {human_size(self.max_bytes)} limit",
                hint="Raise --max-download-size, or fetch the URL yourself.",
            )

    def _write(
        self, part: _Part, chunks: object, start: int, total: int | None, stem: str, how: _Resume
    ) -> int:
        fd = part.open(append=start > 0)
        done = start
        try:
            for chunk in chunks:  # type: ignore[attr-defined]
                if done + len(chunk) > self.max_bytes:
                    os.close(fd)
                    fd = -1
                    part.discard()
                    self._cap(done + len(chunk), how)
                os.write(fd, chunk)
                done += len(chunk)
                if self.progress:
                    self.progress(stem, done, total)
            os.fsync(fd)
        finally:
            if fd >= 0:
                os.close(fd)
        if total is not None and done != total:
            raise DownloadFailed(
                f"saving {stem}: the file ended after {human_size(done)} of {human_size(total)}; "
                "the part is kept",
                hint=how.text(),
            )
        return done

    # ------------------------------------------------------------------- placing

    def _place(self, part: _Part, directory: Path, name: str) -> Path:
        """Move the finished part to ``name`` (numbered if taken, unless overwriting)."""
        target = directory / name
        if self.overwrite:
            os.replace(part.path, target)  # replaces a symlink itself, never its target
            return target
        stem, ext = os.path.splitext(name)
        for n in range(1, 10_000):
            candidate = directory / (name if n == 1 else f"{stem}_{n}{ext}")
            try:
                os.link(part.path, candidate)  # fails if anything, even a symlink, is there
                return candidate
            except FileExistsError:
                continue
            except OSError:  # no hard links here: claim the name, then replace it
                try:
                    fd = os.open(candidate, os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0))
                except FileExistsError:
                    continue
                os.close(fd)
                os.replace(part.path, candidate)
                return candidate
        raise DownloadRefused(f"no free name for {name} in {directory}")


@record(frozen=True)
class _Resume:
    task_id: str
    directory: Path

    def command(self) -> str:
        return f"vtrix task get {self.task_id} --save {self.directory}"

    def text(self) -> str:
        if not self.task_id:
            return "Try again later."
        return f"Resume with: {self.command()} (never run the task again for this)"


def _user_agent() -> str:
    from vtrix.http import USER_AGENT

    return USER_AGENT


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
