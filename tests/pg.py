"""A throwaway PostgreSQL for the tests: pgserver's wheel (it ships the server binaries and,
run as root, runs them as its own system user), in a directory of the test run's."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote


def start_postgres(where: Path) -> tuple[Any, str]:
    """(the server, a URL on its Unix socket)."""
    import warnings

    with warnings.catch_warnings():  # "XDG_RUNTIME_DIR is not set": its lock goes in /tmp
        warnings.simplefilter("ignore")
        import pgserver

    server = pgserver.get_server(where / "data", cleanup_mode="delete")
    return server, server.get_uri()


def fresh_schema(url: str) -> str:
    """Make a new schema and return ``url`` with it as the search path."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={name}')}"
