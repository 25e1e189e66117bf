"""What the generated typed functions call: :meth:`vtrix.Client.submit`, which validates
with the model's generated ``Params`` before anything is sent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vtrix.client import Client, Result, Task


def submit_model(model_id: str, values: dict[str, Any], client: Client | None) -> Task:
    from vtrix.client import Client

    return (client or Client()).submit(model_id, values)


def run_model(
    model_id: str, values: dict[str, Any], client: Client | None, timeout: float
) -> Result:
    return submit_model(model_id, values, client).wait(timeout=timeout)
