"""Gateway answers vtrix could not use, kept on disk so that nothing a paid task said is lost
and a bug report can include it. Keys never reach these files (they are redacted)."""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from typing import Any


def keep(what: str, body: bytes | str | Any) -> str | None:
    """Write ``body`` to ``<data dir>/answers/`` and return the path (None if that fails)."""
    from vtrix.base.atomic import write_bytes_atomic
    from vtrix.base.dirs import data_dir, private_dir
    from vtrix.base.secrets import redact

    if isinstance(body, bytes):
        text = body.decode("utf-8", "replace")
    elif isinstance(body, str):
        text = body
    else:
        try:
            text = json.dumps(body, ensure_ascii=False, indent=2, default=str)
        except (RecursionError, ValueError):  # too deep to write as JSON: as Python sees it
            text = repr(body)[: 16 * 1024 * 1024]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", what).strip("-")[:40] or "answer"
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    try:
        where = private_dir(private_dir(data_dir()) / "answers")
    except OSError:
        return None
    path = os.path.join(str(where), f"{stamp}-{slug}-{uuid.uuid4().hex[:6]}.txt")
    try:
        write_bytes_atomic(path, redact(text).encode("utf-8", "replace"), mode=0o600)
    except (OSError, RecursionError):
        return None
    return path
