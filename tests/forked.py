"""Many vtrix commands at once, each in a process of its own, cheaply.

A test of what parallel processes do to one ledger or one config file needs real processes,
but not a fresh interpreter for each: they are forked from a server process that imported
vtrix once (multiprocessing's ``forkserver``, which is single-threaded, so a fork never
copies a lock some other thread held). Each runs one command line on click's runner with
the environment it is given, and hands back its exit code and output.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

PRELOAD = ["vtrix.cli.main", "vtrix.cli.model_command", "vtrix.client", "click.testing"]


def _one(call: tuple[list[str], dict[str, str], str | None]) -> tuple[int, str, str]:
    from click.testing import CliRunner

    from vtrix.cli.main import cli

    args, env, stdin = call
    os.environ.clear()
    os.environ.update(env)
    r = CliRunner().invoke(cli, args, input=stdin)
    return r.exit_code, r.stdout, r.stderr


def run_all(
    calls: Iterable[tuple[list[str], dict[str, str] | None, str | None]],
) -> list[tuple[int, str, str]]:
    """Run every ``(args, extra environment, stdin)`` at once, a process each; their
    (exit code, stdout, stderr) in order."""
    ctx: Any = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    base = dict(os.environ)
    jobs = [(list(args), {**base, **(env or {})}, stdin) for args, env, stdin in calls]
    with ProcessPoolExecutor(max_workers=len(jobs), mp_context=ctx) as pool:
        return list(pool.map(_one, jobs))
