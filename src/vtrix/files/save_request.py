"""What ``--save DIR`` and its companions ask (:class:`SaveRequest`), checked before anything
is sent: the directory is usable, the size limit reads, and there is a result to save."""

from __future__ import annotations

from pathlib import Path

from vtrix.base.record import record


@record(frozen=True)
class SaveRequest:
    """Where a command saves its results, and how: ``overwrite`` files of the same name
    (else they are numbered), refuse files over ``max_bytes``, ``allow_private`` result URLs
    on private addresses, all within ``deadline`` (a ``time.monotonic()`` time) when given."""

    directory: Path
    overwrite: bool = False
    max_bytes: int | None = None
    allow_private: bool = False
    deadline: float | None = None


def save_request(
    directory: str | None,
    *,
    overwrite: bool = False,
    max_size: str | None = None,
    allow_private: bool = False,
    no_wait: bool = False,
) -> SaveRequest | None:
    """The checked request (None: nothing to save). A :class:`~vtrix.errors.UsageError`,
    with nothing sent, when it cannot work."""
    if not directory:
        return None
    from vtrix.errors import UsageError
    from vtrix.files.policy import check_save_dir, parse_size

    if no_wait:
        raise UsageError(
            "--save needs the result, and --no-wait does not wait for it; nothing was sent",
            hint="Drop --no-wait, or save later with `vtrix task wait <id> --save DIR`.",
        )
    return SaveRequest(
        directory=check_save_dir(directory),
        overwrite=overwrite,
        max_bytes=parse_size(max_size) if max_size else None,
        allow_private=allow_private,
    )
