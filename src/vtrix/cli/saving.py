"""``--save DIR`` and its companions, shared by ``run``, ``task get`` and ``task wait``: checked
before anything is sent, and a failed download still prints the result URLs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.cli.output import Reporter
    from vtrix.client import Client
    from vtrix.files.save_request import SaveRequest
    from vtrix.task import Result


def save_options(f: Callable[..., Any]) -> Callable[..., Any]:
    decorators = [
        click.option(
            "--save",
            "save_dir",
            metavar="DIR",
            help="Download the results into DIR (made if need be; never overwrites).",
        ),
        click.option(
            "--overwrite",
            "save_overwrite",
            is_flag=True,
            help="With --save: replace files of the same name instead of numbering.",
        ),
        click.option(
            "--max-download-size",
            "save_max",
            metavar="SIZE",
            help="With --save: refuse results larger than SIZE (e.g. 500M) [default: 2G].",
        ),
        click.option(
            "--allow-private-network",
            "save_private",
            is_flag=True,
            help="With --save: allow result URLs on private or link-local addresses.",
        ),
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def save_request(values: dict[str, Any], *, no_wait: bool = False) -> SaveRequest | None:
    """The checked ``--save`` request from the options above (see
    :func:`vtrix.files.save_request.save_request`)."""
    from vtrix.files.save_request import save_request as checked

    return checked(
        values.get("save_dir"),
        overwrite=bool(values.get("save_overwrite")),
        max_size=values.get("save_max"),
        allow_private=bool(values.get("save_private")),
        no_wait=no_wait,
    )


def save_outputs(
    client: Client,
    result: Result,
    req: SaveRequest,
    reporter: Reporter,
    output: str,
    io: IO | None = None,
) -> list[str]:
    """Save ``result``; if that fails, print the result (its URLs) first, then the error
    (with ``-o json``, one object: the task with the error set)."""
    from vtrix.errors import DownloadFailed, DownloadRefused, Interrupted, SaveFailed, UsageError

    try:
        saved = client.save(
            result,
            req.directory,
            overwrite=req.overwrite,
            max_bytes=req.max_bytes,
            allow_private_network=req.allow_private,
            progress=reporter.transfer,
            deadline=req.deadline,
        )
    except (DownloadFailed, DownloadRefused, Interrupted):
        reporter.end_transfer()
        _show(result, output, io)
        raise
    except (UsageError, OSError) as exc:
        # Paid and finished: the directory vanished or became a file, or the disk filled.
        reporter.end_transfer()
        _show(result, output, io)
        why = exc.message if isinstance(exc, UsageError) else (exc.strerror or str(exc))
        why = why.replace("; nothing was sent", "")  # it was: the task ran and was paid
        raise SaveFailed(
            f"task {result.id} succeeded, but its files could not be saved in "
            f"{req.directory}: {why}",
            hint=f"The URLs are above. Save them later with: vtrix task get {result.id} "
            f"--save DIR (never run the task again for this)",
            task_id=result.id,
        ) from None
    reporter.end_transfer()
    for path in saved:
        reporter.line(f"  saved {path}")
    return saved


def _show(result: Result, output: str, io: IO | None) -> None:
    """A paid result whose files could not be saved: its URLs now; with ``-o json`` the
    root command prints it once, with the error set."""
    from vtrix.cli.ending import print_result
    from vtrix.cli.io import io_of

    if output == "json":
        (io or io_of()).note(task=result)
    else:
        print_result(result, output, io=io)
