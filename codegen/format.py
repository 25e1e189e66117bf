"""The last layer of generation: ruff formats every Python file, then each is compiled.

ruff runs with the project's own formatter settings (pinned version, line length 100), so
generated code is formatted exactly as `ruff format` would leave it in the repository.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from vtrix.spec.clean import SpecError

ROOT = Path(__file__).resolve().parent.parent
RUFF_SETTINGS = ("--line-length", "100", "--target-version", "py310")


def ruff_bin() -> str:
    from ruff.__main__ import find_ruff_bin

    return str(find_ruff_bin())


def ruff_version() -> str:
    proc = subprocess.run([ruff_bin(), "--version"], capture_output=True, text=True)
    return proc.stdout.strip()


def format_in_place(paths: list[Path]) -> None:
    """ruff-format these files where they are (one ruff run)."""
    if not paths:
        return
    proc = subprocess.run(
        [ruff_bin(), "format", "--isolated", "--quiet", *RUFF_SETTINGS, *map(str, paths)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SpecError("generated code", "ruff format", proc.stderr.strip()[:2000])


def check_compiles_text(path: str, text: str) -> None:
    try:
        compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise SpecError(
            path, f"line {exc.lineno}", f"generated code does not compile: {exc.msg}"
        ) from None


def format_python(files: dict[str, str]) -> dict[str, str]:
    """``files`` with every ``.py`` text formatted by ruff (one ruff run for all of them)."""
    py = [p for p in files if p.endswith((".py", ".pyi"))]
    if not py:
        return files
    with tempfile.TemporaryDirectory(prefix="vtrix-fmt-") as tmp:
        root = Path(tmp)
        for rel in py:
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[rel], encoding="utf-8")
        proc = subprocess.run(
            [ruff_bin(), "format", "--isolated", "--quiet", *RUFF_SETTINGS, str(root)],
            capture_output=True,
            text=True,
        )
        if proc.returncode != 0:
            raise SpecError("generated code", "ruff format", proc.stderr.strip()[:2000])
        return {**files, **{rel: (root / rel).read_text(encoding="utf-8") for rel in py}}


def check_compiles(files: dict[str, str]) -> None:
    """Parse and compile every Python file; a failure names the file and line."""
    for path, text in files.items():
        if path.endswith((".py", ".pyi")):
            check_compiles_text(path, text)
