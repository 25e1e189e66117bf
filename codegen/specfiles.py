"""Writing whole trees at once: render into a temp dir beside the target, then swap."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write one file through a temp file in its directory and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _stage(target: Path, files: dict[str, str], keep: tuple[str, ...]) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}-new-", dir=target.parent))
    try:
        for rel, text in files.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        for name in keep:
            if (target / name).exists() and not (tmp / name).exists():
                shutil.copy2(target / name, tmp / name)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return tmp


def _swap(target: Path, staged: Path) -> None:
    old = target.with_name(f".{target.name}-old-{os.getpid()}")
    if target.exists():
        target.rename(old)
    staged.rename(target)
    if old.exists():
        shutil.rmtree(old)


@contextlib.contextmanager
def stage_tree(target: Path, files: dict[str, str], keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """A new tree beside ``target`` holding ``files`` and the ``keep`` names of the old one,
    for the caller to add to and then :func:`swap_tree` in; removed if it was not."""
    staged = _stage(target.resolve(), files, keep)
    try:
        yield staged
    finally:
        shutil.rmtree(staged, ignore_errors=True)


def swap_tree(target: Path, staged: Path) -> None:
    """Put a tree made by :func:`stage_tree` in the place of ``target``."""
    _swap(target.resolve(), staged)


def replace_tree(target: Path, files: dict[str, str], keep: tuple[str, ...] = ()) -> None:
    """Make ``target`` hold exactly ``files`` (relative path -> text), atomically enough.

    The new tree is written to a sibling temp dir and swapped in with two renames, so a
    failure while writing leaves ``target`` as it was. Names in ``keep`` are carried over.
    """
    _swap(target.resolve(), _stage(target.resolve(), files, keep))


def read_tree(root: Path) -> dict[str, str]:
    """Relative path -> text of every file under ``root``."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
