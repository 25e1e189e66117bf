"""Where vtrix keeps things: the config, data and cache directories (each overridable by an
environment variable), made private, and how an unreadable file is set aside."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

# platformdirs' own answer on Linux (XDG base directories), without its import on every
# network command (start-up: docs/architecture.md); a test checks the two agree.
_XDG = {
    "config": ("XDG_CONFIG_HOME", "~/.config"),
    "data": ("XDG_DATA_HOME", "~/.local/share"),
    "cache": ("XDG_CACHE_HOME", "~/.cache"),
}


def _dir(env: str, kind: str) -> Path:
    from vtrix.base.constants import env as read

    value = read(env)
    if value:
        return Path(value)
    if sys.platform.startswith("linux") and not read("ANDROID_DATA"):
        var, default = _XDG[kind]
        base = read(var)
        return Path(base or os.path.expanduser(default)) / "vtrix"
    import platformdirs

    fn: Callable[..., str] = getattr(platformdirs, f"user_{kind}_dir")
    return Path(fn("vtrix", appauthor=False))


def private_dir(path: Path) -> Path:
    """``path`` made if need be, readable by its owner only (0700) whatever the umask. A
    directory that was already there keeps its mode: vtrix never re-permissions what it did
    not create (a shared 0755 or a sticky, world-writable one is someone else's)."""
    try:
        path.mkdir(mode=0o700, parents=True)
    except FileExistsError:
        return path
    with contextlib.suppress(OSError):
        os.chmod(path, 0o700)
    return path


def config_dir() -> Path:
    return _dir("VTRIX_CONFIG_DIR", "config")


def data_dir() -> Path:
    return _dir("VTRIX_DATA_DIR", "data")


def cache_dir() -> Path:
    return _dir("VTRIX_CACHE_DIR", "cache")


def config_path() -> Path:
    return config_dir() / "config.json"


def set_aside(path: Path, why: str) -> Path | None:
    """Rename an unreadable file out of the way (kept, never deleted) and say so once."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
    try:
        path.rename(aside)
    except FileNotFoundError:
        return None
    except OSError:
        aside = path
    print(f"! {path} {why}; set aside as {aside.name}, starting afresh", file=sys.stderr)
    return aside
