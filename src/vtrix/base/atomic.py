"""Writing files so that a reader never sees half of one and concurrent writers never mix:
a temp file in the same directory, flushed, fsynced and renamed over the target."""

from __future__ import annotations

import contextlib
import os
import tempfile


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` in one rename (parent directories are created)."""
    path = os.fspath(path)
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str, *, mode: int = 0o644) -> None:
    write_bytes_atomic(path, text.encode("utf-8"), mode=mode)


def write_text_given(path: str | os.PathLike[str], text: str, *, mode: int = 0o600) -> None:
    """Write ``text`` at a path the user gave: atomically when it is a regular file or new;
    in place when it is something else — a FIFO, ``/dev/stdout`` — which is never replaced
    by a file (a FIFO with no reader is an OSError at once, never a hang)."""
    import stat

    try:
        kind = os.stat(path).st_mode
    except FileNotFoundError:
        kind = None
    if kind is None or stat.S_ISREG(kind):
        write_text_atomic(path, text, mode=mode)
        return
    if stat.S_ISDIR(kind):
        raise IsADirectoryError(21, "Is a directory", os.fspath(path))
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    try:
        os.set_blocking(fd, True)  # opened without waiting; written as a stream
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)
