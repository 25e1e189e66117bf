"""vtrix's logger (``logging.getLogger("vtrix")``) and the filter that keeps keys out of it.

Library code logs through :data:`logger` and never configures handlers; the CLI's
``--debug`` calls :func:`enable_debug`. Every record passes :class:`RedactingFilter`, which
replaces any known API key (see :mod:`vtrix.base.secrets`) in the message and its arguments, so
a key can't reach a log whatever the caller logs.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from vtrix.base.secrets import redact

logger = logging.getLogger("vtrix")


class RedactingFilter(logging.Filter):
    """Replaces every known key in a record by ``[redacted]`` (message and arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        return True


_FILTER = RedactingFilter()
logger.addFilter(_FILTER)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (so tests can capture it)."""

    def __init__(self) -> None:
        super().__init__()

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def enable_debug() -> logging.Handler:
    """Send vtrix's debug log to stderr, redacted (once; calling again changes nothing)."""
    for existing in logger.handlers:
        if isinstance(existing, _StderrHandler):
            return existing
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_FILTER)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler


def disable_debug() -> None:
    """Undo :func:`enable_debug` (a command's ``--debug`` ends with the command)."""
    for existing in list(logger.handlers):
        if isinstance(existing, _StderrHandler):
            logger.removeHandler(existing)
    logger.setLevel(logging.NOTSET)
