"""vtrix's logger (``logging.getLogger("vtrix")``) and the filter that keeps keys out of it.

Library code logs through :data:`logger` and never configures handlers; the CLI's
``--debug`` calls :func:`enable_debug`. Every record passes :class:`RedactingFilter`, which
replaces any known API key (see :mod:`vtrix.secrets`) in the message and its arguments, so
a key can't reach a log whatever the caller logs.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from vtrix.secrets import redact

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


def enable_debug(stream: TextIO | None = None) -> logging.Handler:
    """Send vtrix's debug log to ``stream`` (stderr), redacted; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_FILTER)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler
