"""vtrix: one CLI and typed SDK for hosted image, video and audio generation gateways.

``from vtrix import Client`` for the Python client; ``from vtrix.models import kirin_v3_i2v``
for typed per-model functions. Attributes load lazily so ``vtrix --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vtrix._version import __version__

if TYPE_CHECKING:
    from vtrix.aio import AsyncClient, AsyncTask
    from vtrix.client import Client, Task
    from vtrix.errors import VtrixError
    from vtrix.task import Result, TaskError

__all__ = [
    "AsyncClient",
    "AsyncTask",
    "Client",
    "Result",
    "Task",
    "TaskError",
    "VtrixError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in ("Client", "Task"):
        from vtrix import client

        return getattr(client, name)
    if name in ("Result", "TaskError"):
        from vtrix import task

        return getattr(task, name)
    if name in ("AsyncClient", "AsyncTask"):
        from vtrix import aio

        return getattr(aio, name)
    if name == "VtrixError":
        from vtrix.errors import VtrixError

        return VtrixError
    raise AttributeError(f"module 'vtrix' has no attribute {name!r}")
