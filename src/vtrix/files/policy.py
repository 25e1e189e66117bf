"""What a download may touch: the URL policy (schemes, hosts, addresses), the save directory, and
safe file names from gateway ids."""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from vtrix.base.record import record
from vtrix.base.text import clean_line
from vtrix.errors import DownloadRefused, UsageError
from vtrix.http.network import is_loopback_host
from vtrix.http.transport import PeerRefused

_STEM_LIMIT = 80


def parse_size(text: str) -> int:
    """``500M``, ``2G``, ``1.5GB``, ``1000`` -> bytes (powers of 1024)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not m:
        raise UsageError(f"{text!r} is not a size", hint="Give it as 500M, 2G or a byte count.")
    return int(float(m.group(1)) * 1024 ** "_KMGT".index(m.group(2).upper() or "_"))


def check_save_dir(path: str | os.PathLike[str]) -> Path:
    """The directory ``--save`` names, made if need be; a UsageError (nothing sent yet)
    when it cannot hold files."""
    p = Path(path).expanduser()
    if p.exists():
        if not p.is_dir():
            raise UsageError(f"--save {path}: not a directory; nothing was sent")
    else:
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(
                f"--save {path}: cannot create it ({exc.strerror}); nothing was sent"
            ) from None
    if not os.access(p, os.W_OK | os.X_OK):
        raise UsageError(f"--save {path}: not writable; nothing was sent")
    return p.resolve()


def safe_stem(task_id: str) -> str:
    """A file name stem from a task id, never a path: ``../../x`` -> ``x-1f2e3d4c``."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", task_id)
    stem = re.sub(r"\.{2,}", ".", stem).strip("._-")[:_STEM_LIMIT]
    if stem != task_id or not stem:
        digest = hashlib.sha256(task_id.encode("utf-8", "replace")).hexdigest()[:8]
        stem = f"{stem}-{digest}" if stem else f"task-{digest}"
    return stem


@record
class UrlPolicy:
    """Where results may be fetched from."""

    allow_private: bool = False
    redirected: bool = False  # set per hop: after a redirect, loopback is no longer trusted

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(host)):
            if host == "localhost" and self.redirected and not self.allow_private:
                raise DownloadRefused(
                    "a result URL redirected to localhost; refused "
                    "(pass --allow-private-network to allow it)"
                )
            try:
                literal = ipaddress.ip_address(host)
            except ValueError:
                return  # a name: its addresses are checked when connecting
            try:
                self.check_peer(str(literal))
            except PeerRefused as exc:
                raise DownloadRefused(str(exc)) from None
            return
        if parts.scheme == "http":
            raise DownloadRefused(
                f"refusing to fetch a result over plain http from {clean_line(host, 100)}",
                hint="Result URLs must be https (http only on loopback).",
            )
        raise DownloadRefused(
            f"refusing to fetch a result URL with the scheme {clean_line(parts.scheme, 20)!r}",
            hint="Only https (and http on loopback) result URLs are fetched.",
        )

    def check_peer(self, address: str) -> None:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if self.allow_private or (ip.is_loopback and not self.redirected):
            return  # a gateway on loopback (a sandbox) names its own files there
        if not ip.is_global or ip.is_multicast:
            raise PeerRefused(
                f"the result host resolves to {ip}, a private or link-local address; "
                "refused (pass --allow-private-network to allow it)"
            )
