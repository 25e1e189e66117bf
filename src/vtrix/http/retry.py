"""When to try again and how long to wait: backoff, ``Retry-After`` in all its forms, and the
``x-should-retry`` hint. Pure functions of the answer and the clock."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

from vtrix.base.constants import BACKOFF_BASE, BACKOFF_CAP, MAX_RETRY_AFTER
from vtrix.base.record import record

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


def retry_after(
    headers: Mapping[str, str], now: float | None = None, *, status: int = 429
) -> float | None:
    """Seconds the server asks to wait: ``retry-after-ms``, ``Retry-After`` as seconds or as
    an HTTP date, or — only on a 429, or when ``X-RateLimit-Remaining`` is 0 — the time to
    ``X-RateLimit-Reset`` (seconds, or an epoch time: a rate window's reset says nothing
    about a 5xx). None when absent or not a sane number (NaN, infinite, negative, over
    :data:`MAX_RETRY_AFTER`)."""
    now = time.time() if now is None else now
    limited = status == 429 or headers.get("x-ratelimit-remaining", "").strip() == "0"
    ms = headers.get("retry-after-ms")
    if ms is not None:
        value = _number(ms)
        if value is not None:
            return _sane(value / 1000)
    for name in ("retry-after", "x-ratelimit-reset"):
        raw = headers.get(name)
        if raw is None or (name == "x-ratelimit-reset" and not limited):
            continue
        value = _number(raw)
        if value is None and name == "retry-after":
            try:
                # only for the rare HTTP-date form (start-up: docs/architecture.md)
                from email.utils import parsedate_to_datetime

                value = parsedate_to_datetime(raw.strip()).timestamp() - now
            except (TypeError, ValueError, IndexError, OverflowError):
                value = None
        elif value is not None and name == "x-ratelimit-reset" and value > 1e9:
            value -= now  # an epoch time
        if value is not None:
            return _sane(value)
    return None


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except (ValueError, AttributeError):
        return None
    return value if math.isfinite(value) else None


def _sane(value: float) -> float | None:
    return value if 0 <= value <= MAX_RETRY_AFTER else None


def should_retry_hint(headers: Mapping[str, str]) -> bool | None:
    """The server's ``x-should-retry`` verdict: True, False, or None when it gives none."""
    value = headers.get("x-should-retry", "").strip().lower()
    return {"true": True, "false": False}.get(value)


@record
class Backoff:
    """Delays between attempts: 0.5 s, 1 s, 2 s … capped, with jitter."""

    base: float = BACKOFF_BASE
    cap: float = BACKOFF_CAP

    def delay(self, attempt: int, server: float | None = None) -> float:
        if server is not None:
            return server
        import random  # only when a retry waits (start-up: docs/architecture.md)

        d: float = min(self.cap, self.base * (2**attempt))
        return d * (0.75 + random.random() * 0.5)
