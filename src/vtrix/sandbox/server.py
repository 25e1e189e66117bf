"""Running the sandbox: ``vtrix sandbox`` (:func:`serve`) and :class:`RunningSandbox`, one
on a real socket in a background thread for tests and scripts."""

from __future__ import annotations

import contextlib
import signal
import sys
import time

from vtrix.sandbox.app import build
from vtrix.sandbox.state import SandboxConfig


def serve(config: SandboxConfig) -> None:
    """Run until Ctrl-C/SIGTERM; print the base URL first (stdout), then how to use it."""
    import socket

    import uvicorn

    from vtrix.errors import UsageError

    app, _ = build(config)
    sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((config.host, config.port))
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {config.host}:{config.port}: {exc.strerror}",
            hint="Pick another --port (0 picks a free one).",
        ) from None
    sock.listen(1024)  # connections made as soon as the URL is printed wait in the backlog
    port = sock.getsockname()[1]
    base = usable_url(config.host, port)
    print(base, flush=True)
    everywhere = config.host in ("0.0.0.0", "::")
    print(
        f"vtrix sandbox: both protocols at {base}"
        + (f" (listening on every interface, port {port})" if everywhere else "")
        + f"\n  export VTRIX_BASE_URL={base}\n  export MODELLIX_BASE_URL={base}\n"
        "  (any API key works unless --api-key limits them; Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False, **fast_loop())
    )
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])


def usable_url(host: str, port: int) -> str:
    """A base URL clients can use: an "every interface" address is reached on loopback."""
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def fast_loop() -> dict[str, str]:
    """uvloop and httptools when installed (the sandbox extra has them): several times the
    capacity of the pure-Python defaults."""
    import importlib.util

    out = {}
    if importlib.util.find_spec("uvloop") is not None:
        out["loop"] = "uvloop"
    if importlib.util.find_spec("httptools") is not None:
        out["http"] = "httptools"
    return out


class RunningSandbox:
    """A sandbox on a real socket in a background thread (for tests and scripts)::

    with RunningSandbox(SandboxConfig(task_seconds=0.5)) as sb:
        os.environ["VTRIX_BASE_URL"] = sb.url
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        import socket
        import threading

        import uvicorn

        self.config = config or SandboxConfig()
        self.app, self.state = build(self.config)
        self.sock = socket.socket(socket.AF_INET)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((self.config.host, self.config.port))
        self.url = f"http://{self.config.host}:{self.sock.getsockname()[1]}"
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app, log_level="error", lifespan="off", access_log=False, **fast_loop()
            )
        )
        self.server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> RunningSandbox:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        return self

    def stop(self, wait: bool = True) -> None:
        """Stop serving; ``wait``: until the server's thread has ended (it notices within a
        tenth of a second), else return at once and let it end on its own."""
        self.server.should_exit = True
        if wait:
            self.thread.join(timeout=5)
        self.state.pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> RunningSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
