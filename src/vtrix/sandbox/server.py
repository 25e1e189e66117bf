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

    app, _ = build(config)
    sock = socket.socket(socket.AF_INET6 if ":" in config.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((config.host, config.port))
    sock.listen(128)  # connections made as soon as the URL is printed wait in the backlog
    port = sock.getsockname()[1]
    host = f"[{config.host}]" if ":" in config.host else config.host
    base = f"http://{host}:{port}"
    print(base, flush=True)
    print(
        f"vtrix sandbox: both protocols at {base}\n"
        f"  export VTRIX_BASE_URL={base}\n  export MODELLIX_BASE_URL={base}\n"
        "  (any API key works unless --api-key limits them; Ctrl-C stops)",
        file=sys.stderr,
        flush=True,
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "should_exit", True))
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])


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
        self.server = uvicorn.Server(uvicorn.Config(self.app, log_level="error", lifespan="off"))
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

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.state.pool.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> RunningSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
