"""Money amounts as vtrix accepts them: from a user (a cap, a price) or from a gateway (a
reported cost). A Decimal, finite, not negative, at most :data:`MAX_AMOUNT`, with at most
:data:`MAX_PLACES` decimals; anything else is not an amount (``None``), never a crash or a
1 GB line."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

MAX_AMOUNT = Decimal(10) ** 6
MAX_PLACES = 6


def amount(text: Any) -> Decimal | None:
    """``text`` as an amount, or None when it is not one (see the module docstring)."""
    if isinstance(text, bool) or text is None:
        return None
    raw = str(text).strip()
    if not raw or len(raw) > 40:
        return None
    try:
        value = Decimal(raw)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value > MAX_AMOUNT:
        return None
    exponent = value.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and exponent < -MAX_PLACES
        and value != value.quantize(Decimal(1).scaleb(-MAX_PLACES))
    ):
        return None
    return value
