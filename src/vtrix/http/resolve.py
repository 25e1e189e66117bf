"""Name resolution within a bound: the one network phase no socket timeout covers."""

from __future__ import annotations

import threading
import time
from contextlib import suppress

_RESOLVED: dict[str, float] = {}  # host -> when its last resolution within bounds ended


def resolve_within(host: str | None, seconds: float) -> None:
    """Resolve ``host`` in a helper thread, ``seconds`` at most: name resolution is the one
    network phase no socket timeout bounds (a resolver that never answers would hold a run
    for minutes). A name resolved in the last minute is not asked again."""
    import ipaddress
    import socket

    if not host or host == "localhost":
        return
    try:
        ipaddress.ip_address(host.strip("[]"))
        return  # an address needs no resolver
    except ValueError:
        pass
    now = time.monotonic()
    if now - _RESOLVED.get(host, float("-inf")) < 60:
        return
    done = threading.Event()

    def resolve() -> None:
        with suppress(OSError, UnicodeError):
            socket.getaddrinfo(host, None)
        done.set()

    threading.Thread(target=resolve, name="vtrix-resolve", daemon=True).start()
    if not done.wait(max(seconds, 0.0)):
        from vtrix.http.failures import TransportError

        raise TransportError(
            "dns", f"the name {host} did not resolve within {seconds:.0f}s", sent=False
        )
    _RESOLVED[host] = time.monotonic()
