"""A command's IO: where results go (stdout) and status goes (stderr), whether each is a
terminal and takes colour, the output mode ``-o`` chose, and how the command ended — what it
knows of its task and whether it printed its one JSON object already.

The root command makes one per command and hands it down in click's context
(:func:`io_of`); commands and the root's error handling read and write that object, never a
module global (``tests/test_layers.py`` holds ``cli/`` to it).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import click

    from vtrix.cli.output import Reporter
    from vtrix.task import Result


class IO:
    """What one command reads and writes, and how it ended."""

    def __init__(self, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self._stdout, self._stderr = stdout, stderr
        self.quiet = False
        self.output = ""  # the -o mode, once its option is read
        self.json_lines = False  # -o json prints one object per line (a command of many)
        self.printed = False  # the command's object is on stdout: nothing more goes there
        self.model = ""
        self.provider = ""
        self.sending = False  # a submit is being prepared or sent: 75 means "not sent"
        self.task: Result | None = None

    @property
    def stdout(self) -> TextIO:
        return self._stdout or sys.stdout  # (click's test runner swaps sys.stdout per call)

    @property
    def stderr(self) -> TextIO:
        return self._stderr or sys.stderr

    @property
    def terminal(self) -> bool:
        return self.stdout.isatty()

    def can_ask(self) -> bool:
        """Whether a person is there to answer a question (stdin and stderr are terminals)."""
        return sys.stdin.isatty() and self.stderr.isatty()

    def confirm(self, question: str) -> bool:
        """Ask ``question`` on stderr (default: no)."""
        import click

        return bool(click.confirm(question, default=False, err=True))

    def reporter(self, *, quiet: bool | None = None) -> Reporter:
        """Status lines and the progress bar on this command's stderr."""
        from vtrix.cli.output import Reporter

        return Reporter(self.stderr, quiet=self.quiet if quiet is None else quiet)

    def emit(self, text: str) -> None:
        """A result on stdout (redacted, control characters stripped)."""
        from vtrix.cli.output import emit

        emit(text, self.stdout)

    def note(self, **facts: Any) -> None:
        """Remember facts of the command's task: ``model``, ``provider``, ``task``,
        ``sending``, ``printed``."""
        for name, value in facts.items():
            if not hasattr(self, name):
                raise AttributeError(f"IO has no fact {name!r}")
            setattr(self, name, value)

    def done(self) -> None:
        """The command printed its JSON object: nothing more goes to stdout."""
        self.printed = True


def io_of(ctx: click.Context | None = None) -> IO:
    """The IO of the running command (``ctx``: any context of it; else click's current)."""
    import click

    ctx = ctx or click.get_current_context(silent=True)
    found: IO | None = ctx.find_root().meta.get(IO_KEY) if ctx is not None else None
    if found is None:  # a command invoked on its own (outside the root): its own IO
        found = IO()
        if ctx is not None:
            ctx.find_root().meta[IO_KEY] = found
    return found


IO_KEY = "vtrix.io"
