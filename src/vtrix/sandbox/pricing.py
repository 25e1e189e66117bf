"""The sandbox's price table and balances: what a task costs (per task, per image, per
second of video with a resolution factor), reported in vtrix tasks' ``usage``; a balance per
key (``--balance AMOUNT``) that each submit spends, and 402 once it is spent."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

PER_SECOND = Decimal("0.06")  # video, at 720p
PER_IMAGE = Decimal("0.04")
PER_TASK = Decimal("0.02")  # audio and the rest
RESOLUTION = {"480p": Decimal("0.5"), "720p": Decimal("1"), "1080p": Decimal("2")}
DEFAULT_SECONDS = 5


def price(kind: str, params: dict[str, Any]) -> tuple[Decimal, int, Decimal]:
    """(unit price, quantity, cost) of a task of ``kind`` with ``params``."""
    if kind == "video":
        seconds = _whole(params.get("duration"), DEFAULT_SECONDS)
        unit = PER_SECOND * RESOLUTION.get(str(params.get("resolution", "720p")), Decimal(1))
        return unit, seconds, unit * seconds
    if kind == "image":
        count = _whole(params.get("n", params.get("num_images")), 1)
        return PER_IMAGE, count, PER_IMAGE * count
    return PER_TASK, 1, PER_TASK


def usage(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The ``usage`` object a vtrix task reports."""
    unit, quantity, cost = price(kind, params)
    return {"cost": money(cost), "quantity": quantity, "unit_price": money(unit)}


def money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):f}"


def _whole(value: Any, default: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default
