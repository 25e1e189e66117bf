"""A task's progress as gateways serve it: a number, on a scale each gateway chooses (0–100,
or a 0–1 fraction), read the same way by every adapter and by the wait loop."""

from __future__ import annotations

import math
from typing import Any


def progress_of(value: Any) -> int | float | None:
    """A progress value as served (a finite number in 0..100), its scale not yet decided."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) and 0 <= value <= 100 else None


class ProgressScale:
    """Reads a task's progress on the scale its gateway uses, decided from the values seen (the
    gateway's documentation reads 0–100, the official vtrix client a 0–1 fraction): a value above 1
    means percent, a non-integer in (0, 1) a fraction. Until one decides, 0 is 0 % and a float 1.0
    is a whole fraction (100 %); an integer 1 is 1 %."""

    def __init__(self) -> None:
        self.fraction: bool | None = None

    def percent(self, value: int | float | None) -> float | None:
        if value is None:
            return None
        if self.fraction is None:
            if value > 1:
                self.fraction = False
            elif 0 < value < 1:
                self.fraction = True
        if self.fraction or (self.fraction is None and isinstance(value, float) and value == 1):
            return min(float(value) * 100.0, 100.0)
        return float(value)


def percent_of(value: Any) -> float | None:
    """One progress value read alone (see :class:`ProgressScale`)."""
    return ProgressScale().percent(progress_of(value))
