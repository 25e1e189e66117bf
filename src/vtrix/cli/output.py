"""What the CLI prints: results on stdout, status and progress on stderr.

On a terminal, waiting shows the README's status lines and a progress bar with percent and time
remaining; when stderr is not a terminal, only the status lines; ``--quiet`` silences stderr.
``NO_COLOR`` turns colour off.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

from vtrix.base.secrets import redact
from vtrix.base.text import for_terminal

BAR_WIDTH = 25


def use_color(stream: TextIO) -> bool:
    from vtrix.base.constants import env

    return stream.isatty() and not env("NO_COLOR") and env("TERM") != "dumb"


def progress_bar(percent: float, remaining: float | None) -> str:
    """``████████████████████████░  96%  ~3s remaining``"""
    pct = max(0.0, min(100.0, percent))
    filled = round(pct / 100 * BAR_WIDTH)
    bar = "█" * filled + "░" * (BAR_WIDTH - filled)
    text = f"{bar} {pct:3.0f}%"
    if remaining is not None and pct < 100:
        text += f"  ~{_duration(remaining)} remaining"
    return text


def _duration(seconds: float) -> str:
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    return f"{s // 60}m{s % 60:02d}s"


class Reporter:
    """Status lines and the progress bar, on stderr."""

    def __init__(self, stream: TextIO | None = None, *, quiet: bool = False) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.tty = self.stream.isatty()
        self.color = use_color(self.stream)
        self._bar_shown = False
        self._started = time.monotonic()
        self._transfer: str | None = None
        self._transfer_start = 0.0
        self._last = 0.0
        self._status = ""

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def line(self, text: str = "") -> None:
        if self.quiet:
            return
        self._end_bar()
        print(for_terminal(redact(text)), file=self.stream, flush=True)

    def ok(self, text: str) -> None:
        self._mark("✓", "32", text)

    def warn(self, text: str) -> None:
        self._mark("!", "33", text)

    def _mark(self, mark: str, code: str, text: str) -> None:
        if self.quiet:
            return
        self._end_bar()
        print(
            f"{self._paint(mark, code)} {for_terminal(redact(text))}", file=self.stream, flush=True
        )

    def error(self, text: str) -> None:
        self._end_bar()
        text = for_terminal(redact(text))
        print(
            f"{self._paint('✗', '31')} {text}" if self.color else f"Error: {text}",
            file=self.stream,
            flush=True,
        )

    def progress(self, percent: float | None, remaining: float | None, status: str) -> None:
        if self.quiet:
            return
        if not self.tty:  # plain lines: one each time the gateway's status word changes
            if status and status != self._status:
                self._status = status
                print(f"Status: {for_terminal(redact(status))}", file=self.stream, flush=True)
            return
        if percent is None:
            text = f"{for_terminal(status)}…  {_duration(time.monotonic() - self._started)} elapsed"
        else:
            text = progress_bar(percent, remaining)
        self.stream.write("\r\033[K" + text)
        self.stream.flush()
        self._bar_shown = True

    def transfer(self, name: str, done: int, total: int | None) -> None:
        """A download's progress (bytes, total, rate) on a terminal; nothing otherwise."""
        if self.quiet or not self.tty:
            return
        from vtrix.base.text import human_size

        now = time.monotonic()
        if self._transfer != name:
            self._transfer, self._transfer_start, self._last = name, now, 0.0
        if now - self._last < 0.1 and (total is None or done < total):
            return
        self._last = now
        rate = done / max(now - self._transfer_start, 1e-3)
        size = f"{human_size(done)} / {human_size(total)}" if total else human_size(done)
        self.stream.write(f"\r\033[Ksaving {for_terminal(name)}  {size}  {human_size(rate)}/s")
        self.stream.flush()
        self._bar_shown = True

    def status(self, text: str) -> None:
        """One line that updates in place on a terminal (nothing otherwise)."""
        if self.quiet or not self.tty:
            return
        self.stream.write("\r\033[K" + for_terminal(text))
        self.stream.flush()
        self._bar_shown = True

    def end_status(self) -> None:
        self._end_bar()

    def end_transfer(self) -> None:
        self._transfer = None
        self._end_bar()

    def _end_bar(self) -> None:
        if self._bar_shown:
            self.stream.write("\n")
            self.stream.flush()
            self._bar_shown = False


def emit(text: str, stream: TextIO | None = None) -> None:
    """Write a result to stdout: redacted, and without control characters from anywhere."""
    print(for_terminal(redact(text)), file=stream or sys.stdout, flush=True)


def _numeric(cell: str) -> bool:
    return cell.lstrip("-").replace(".", "", 1).isdigit()


def table_text(head: list[str], rows: list[list[str]]) -> str:
    """Rows under a header, each column as wide as its widest cell; numbers to the right,
    those of a column with fractions all with as many places (the points line up)."""
    texts = [[str(c) for c in r] for r in rows]
    for i in range(1, len(head)):
        places = max((len(r[i].partition(".")[2]) for r in texts if _numeric(r[i])), default=0)
        if places:
            for r in texts:
                if _numeric(r[i]):
                    whole, _, part = r[i].partition(".")
                    r[i] = f"{whole}.{part.ljust(places, '0')}"
    widths = [max(len(r[i]) for r in [head, *texts]) for i in range(len(head))]

    def line(cells: list[str]) -> str:
        out = []
        for i, (c, w) in enumerate(zip(cells, widths, strict=True)):
            out.append(f"{c:>{w}}" if i > 0 and _numeric(c) else f"{c:<{w}}")
        return "  ".join(out).rstrip()

    return "\n".join(line(r) for r in [head, *texts])


def to_json(obj: Any, *, line: bool = False) -> str:
    """JSON for stdout: readable UTF-8, with every control character escaped rather than
    dropped (so :func:`emit` has nothing to strip and the data is exact); ``line``: on one
    line, for JSON Lines."""
    from vtrix.base.text import escape_json_controls

    indent = None if line else 2
    try:
        text = json.dumps(obj, indent=indent, ensure_ascii=False)
    except (RecursionError, ValueError):  # a gateway's raw answer nested too deep
        if not isinstance(obj, dict) or "raw" not in obj:
            raise
        text = json.dumps(
            {**obj, "raw": {"note": "the gateway's answer is nested too deeply to print"}},
            indent=indent,
            ensure_ascii=False,
        )
    return escape_json_controls(text)


def human_result(
    *,
    status: str,
    task_id: str,
    model: str,
    urls: list[str],
    cost: str | None,
    saved: list[str] | None = None,
) -> str:
    lines = [f"Status:  {status}", f"Task:    {task_id}", f"Model:   {model}"]
    if cost:
        lines.append(f"Cost:    {cost}")
    if urls:
        lines.append("Output:")
        lines += [f"  {u}" for u in urls]
    if saved:
        lines.append("Saved:")
        lines += [f"  {p}" for p in saved]
    return "\n".join(lines)
