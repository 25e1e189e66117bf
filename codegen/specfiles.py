"""Writing a whole tree at once: render into a temp dir beside the target, then swap."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def replace_tree(target: Path, files: dict[str, str], keep: tuple[str, ...] = ()) -> None:
    """Make ``target`` hold exactly ``files`` (relative path -> text), atomically enough.

    The new tree is written to a sibling temp dir and swapped in with two renames, so a
    failure while writing leaves ``target`` as it was. Names in ``keep`` are carried over.
    """
    target = target.resolve()
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
        old = target.with_name(f".{target.name}-old-{os.getpid()}")
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        if old.exists():
            shutil.rmtree(old)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def read_tree(root: Path) -> dict[str, str]:
    """Relative path -> text of every file under ``root``."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }
