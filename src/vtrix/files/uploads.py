"""Local files as inputs: ``--image-url @./cat.png`` (``@@`` for a literal ``@``) or a
``pathlib.Path`` in Python, for parameters that take a media URL.

Before anything is sent, each file is checked (a readable regular file, a known image,
video or audio type by its first bytes, under the size cap) and the model's gateway must
have an upload route. Until the submit, the body holds a marker URL per file (so validation
and ``--dry-run`` see a URL); the submit uploads each file and puts the returned URL in its
place.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vtrix.base.constants import MAX_UPLOAD, env
from vtrix.base.gateways import GATEWAYS
from vtrix.base.record import record
from vtrix.errors import Problem, UsageError
from vtrix.files.filetypes import MEDIA_TYPES, extension
from vtrix.spec.describe import is_media_input

__all__ = ["LocalFile", "Upload", "collect", "for_display", "from_text", "is_media_input"]


def max_upload() -> int:
    text = env("VTRIX_MAX_UPLOAD")
    if not text:
        return MAX_UPLOAD
    from vtrix.files.policy import parse_size

    return parse_size(text)


_MARKER = "https://upload.pending.invalid/"


@record(frozen=True)
class LocalFile:
    """A local file given for a parameter; uploaded at submit time."""

    path: Path

    def __str__(self) -> str:
        return f"@{self.path}"


def from_text(text: str) -> str | LocalFile:
    """``@path`` -> LocalFile; ``@@x`` -> ``@x``; anything else as it is."""
    if text.startswith("@@"):
        return text[1:]
    if text.startswith("@") and len(text) > 1:
        return LocalFile(Path(text[1:]).expanduser())
    return text


@record(frozen=True)
class Upload:
    marker: str
    file: LocalFile
    content_type: str
    size: int


def inspect_file(file: LocalFile, where: str) -> tuple[str, int] | Problem:
    path = file.path
    try:
        st = os.stat(path)
    except OSError as exc:
        return Problem(where, f"cannot read the local file {path}: {exc.strerror}")
    if not os.path.isfile(path):
        return Problem(where, f"{path} is not a regular file")
    limit = max_upload()
    if st.st_size > limit:
        from vtrix.base.text import human_size

        return Problem(
            where,
            f"{path} is {human_size(st.st_size)}, over the upload limit of "
            f"{human_size(limit)} (VTRIX_MAX_UPLOAD raises it)",
        )
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        return Problem(where, f"cannot read the local file {path}: {exc.strerror}")
    ctype = MEDIA_TYPES.get(extension(head, None))
    if ctype is None:
        return Problem(where, f"{path} is not an image, video or audio file vtrix knows")
    return ctype, st.st_size


def collect(body: Any, provider: str) -> tuple[Any, list[Upload], list[Problem]]:
    """(the body with a marker URL for every local file, the uploads, problems with the
    files). A gateway without an upload route is a UsageError."""
    uploads: list[Upload] = []
    problems: list[Problem] = []

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, os.PathLike):
            value = LocalFile(Path(os.fspath(value)))
        if not isinstance(value, LocalFile):
            return value
        found = inspect_file(value, where)
        if isinstance(found, Problem):
            problems.append(found)
            return str(value)
        marker = f"{_MARKER}{len(uploads)}/{value.path.name}"
        uploads.append(Upload(marker, value, found[0], found[1]))
        return marker

    out = walk(body, "")
    if (uploads or problems) and not GATEWAYS[provider].has_upload:
        having = ", ".join(g.label for g in GATEWAYS.values() if g.has_upload)
        raise UsageError(
            f"{GATEWAYS[provider].label} has no upload route, so local files cannot be inputs "
            f"to its models; nothing was sent",
            hint=f"Give a URL instead. Gateways that take local files: {having}.",
        )
    return out, uploads, problems


def replace_markers(value: Any, urls: dict[str, str]) -> Any:
    """``value`` with each upload marker replaced by its uploaded URL."""
    if isinstance(value, dict):
        return {k: replace_markers(v, urls) for k, v in value.items()}
    if isinstance(value, list):
        return [replace_markers(v, urls) for v in value]
    if isinstance(value, str) and value in urls:
        return urls[value]
    return value


def for_display(text: str, uploads: list[Upload]) -> str:
    """A dry-run body with each marker shown as the local file it stands for."""
    for u in uploads:
        text = text.replace(u.marker, str(u.file))
    return text
