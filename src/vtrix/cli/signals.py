"""SIGTERM and SIGHUP treated as Ctrl-C by commands that talk to a gateway, and the exit
code they end with (128 + the signal's number)."""

from __future__ import annotations

from typing import Any

from vtrix.errors import INTERRUPTED

SIGNALLED: list[int] = []
_PREVIOUS: dict[int, Any] = {}


def install() -> None:
    """SIGTERM and SIGHUP act as Ctrl-C does (the ledger write, the task id and the resume
    hint all survive). Installed by commands that talk to a gateway (help and completion
    never pay for the imports), in the main thread, until the command ends."""
    import signal
    import threading

    from vtrix.errors import Terminated

    if _PREVIOUS or threading.current_thread() is not threading.main_thread():
        return

    def handler(signum: int, _frame: object) -> None:
        SIGNALLED.append(signum)
        raise Terminated(signum)

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            number = getattr(signal, name)
            _PREVIOUS[number] = signal.signal(number, handler)


def restore() -> None:
    if not _PREVIOUS:
        return
    import signal

    for number, handler in _PREVIOUS.items():
        signal.signal(number, handler)
    _PREVIOUS.clear()


def exit_code() -> int:
    """130 for Ctrl-C; 128 + the number for SIGTERM (143) or SIGHUP (129)."""
    return 128 + SIGNALLED[-1] if SIGNALLED else INTERRUPTED


def cancel_on_signals() -> None:
    """Ctrl-C, SIGTERM and SIGHUP cancel the batch from the event loop, never inside a
    line's code: submits on the wire finish and record their task ids, lines not started
    are not sent, then the batch ends (130, 143, 129)."""
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    main = asyncio.current_task()
    if main is None:
        return

    def stop(number: int) -> None:
        SIGNALLED.append(number)
        main.cancel()

    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            try:
                loop.add_signal_handler(number, stop, number)
            except (NotImplementedError, RuntimeError, ValueError):
                return  # not the main thread, or no signals here: Ctrl-C as before
