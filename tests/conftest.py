"""Shared fixtures: a real sandbox on 127.0.0.1, an isolated home, and a CLI runner that
starts `python -m vtrix` as a real process."""

from __future__ import annotations

import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from virtual_time import CLOCK, install

from vtrix.sandbox.server import RunningSandbox
from vtrix.sandbox.state import Faults, SandboxConfig

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "tests" / "fixtures" / "seeds"  # copies of the two seed pages
CANARY = "sk-canary-7f3e9d2c1b0a4e5f"
# Real third-party data (the gateways' own schemas and recorded sessions) is kept beside the
# repository, never in it: the only tests that read outside the repository read it through
# gateway_data(), and skip, saying so, when it is absent.
GATEWAY_FIXTURES = ROOT.parent / "shared" / "fixtures" / "gateways"


def gateway_data(*parts: str) -> Path:
    """A path among the third-party gateway fixtures; the calling test skips loudly when the
    data is not there (a clone of the repository alone)."""
    path = GATEWAY_FIXTURES.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"SKIPPED LOUDLY: the third-party gateway data is not at {path}")
    return path


def codegen_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m codegen ARGS`` in this process, as a finished process would report it (its
    retries on the fake clock), with ``env`` added to the environment for the call. A
    generation renders here (``--jobs 1``): forking a test worker is not what is under test."""
    import contextlib
    import io

    from codegen.__main__ import main

    if args[0] == "generate" and "--jobs" not in args:
        args = (*args, "--jobs", "1")
    out, err = io.StringIO(), io.StringIO()
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return subprocess.CompletedProcess(["codegen", *args], code, out.getvalue(), err.getvalue())


@dataclass
class Sandbox:
    running: RunningSandbox

    @property
    def url(self) -> str:
        return self.running.url

    def _headers(self) -> dict[str, str]:
        keys = sorted(self.running.config.accepted_keys)
        return {"Authorization": f"Bearer {keys[0]}"} if keys else {}

    def stats(self) -> dict[str, Any]:
        req = urllib.request.Request(f"{self.url}/__sandbox/stats", headers=self._headers())
        with urllib.request.urlopen(req) as resp:
            data: dict[str, Any] = json.load(resp)
            return data

    def faults(self, **routes: dict[str, Any]) -> None:
        req = urllib.request.Request(
            f"{self.url}/__sandbox/faults",
            data=json.dumps({k.replace("_", "."): v for k, v in routes.items()}).encode(),
            headers={"Content-Type": "application/json", **self._headers()},
            method="POST",
        )
        urllib.request.urlopen(req).close()

    def reset(self) -> None:
        req = urllib.request.Request(
            f"{self.url}/__sandbox/reset", data=b"", method="POST", headers=self._headers()
        )
        urllib.request.urlopen(req).close()


def pytest_configure(config: pytest.Config) -> None:
    # A suite a shell started in the background inherits SIGINT ignored, and so would every
    # vtrix process it starts (an ignored signal stays ignored across exec): the Ctrl-C
    # tests need it delivered, as it is at a terminal.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    install()
    socket.getaddrinfo = _loopback_only(socket.getaddrinfo)  # type: ignore[assignment]


def _loopback_only(resolve: Any) -> Any:
    """No network but loopback: in this process, a host name other than ``localhost``
    does not resolve (a command that would reach a real gateway — a look at a live spec
    with no base URL set — finds it unreachable, as an offline machine would)."""

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host or "localhost")
        try:
            ipaddress.ip_address(name.strip("[]").split("%", 1)[0])
        except ValueError:
            if name != "localhost":
                why = f"tests reach loopback only: {name}"
                raise socket.gaierror(socket.EAI_NONAME, why) from None
        return resolve(host, *args, **kwargs)

    return getaddrinfo


@pytest.fixture(autouse=True)
def clock(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The fake clock in-process waits read (tests/virtual_time.py); real seconds for a test
    marked ``real_time``."""
    CLOCK.virtual = request.node.get_closest_marker("real_time") is None
    yield CLOCK
    CLOCK.virtual = True


def start_sandbox(**kwargs: Any) -> RunningSandbox:
    faults = kwargs.pop("faults", None) or Faults()
    cfg = SandboxConfig(task_seconds=kwargs.pop("task_seconds", 0.6), faults=faults, **kwargs)
    return RunningSandbox(cfg).start()


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[Sandbox]:
    sb = start_sandbox()
    yield Sandbox(sb)
    sb.stop()


@pytest.fixture
def sandbox(shared_sandbox: Sandbox) -> Sandbox:
    shared_sandbox.reset()
    return shared_sandbox


@pytest.fixture(scope="session")
def mypy_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One mypy cache for the whole run, shared by its test workers: a later run reuses what an
    earlier one analysed (vtrix itself, mostly). mypy writes each cache file whole (a temporary
    file renamed over it), and runs at once write the same analysis, so sharing is safe."""
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the run's directory, above each worker's own
    cache = base / "mypy-cache"
    cache.mkdir(exist_ok=True)
    return str(cache)


@pytest.fixture
def make_sandbox() -> Iterator[Any]:
    started: list[RunningSandbox] = []

    def make(**kwargs: Any) -> Sandbox:
        sb = start_sandbox(**kwargs)
        started.append(sb)
        return Sandbox(sb)

    yield make
    for sb in started:
        sb.stop(wait=False)  # each ends on its own within a tenth of a second


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Isolated config/data/cache dirs and no inherited keys or URLs."""
    for var in (
        "VTRIX_API_KEY",
        "MODELLIX_API_KEY",
        "VTRIX_BASE_URL",
        "VTRIX_MODELS_URL",
        "VTRIX_GENERATION_URL",
        "MODELLIX_BASE_URL",
        "VTRIX_PROFILE",
        "VTRIX_SUBMIT_FORM",
        "VTRIX_MAX_UPLOAD",
        "MODELLIX_SCHEMA_URL",
        "FAL_KEY",
        "FAL_QUEUE_URL",
        "FAL_API_URL",
        "FAL_SCHEMA_URL",
        "REPLICATE_API_TOKEN",
        "REPLICATE_BASE_URL",
        "WAVESPEED_API_KEY",
        "WAVESPEED_BASE_URL",
        "NO_COLOR",
        "REQUESTS_CA_BUNDLE",
        "SSL_CERT_FILE",
        "CURL_CA_BUNDLE",
        *(f"{p}_PROXY" for p in ("HTTPS", "HTTP", "ALL", "NO")),
        *(f"{p}_proxy" for p in ("https", "http", "all", "no")),
    ):
        monkeypatch.delenv(var, raising=False)
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"VTRIX_{name}_DIR", str(tmp_path / name.lower()))
    return tmp_path


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(home: Path) -> Any:
    """Run `python -m vtrix ARGS` as a real process in the isolated home."""

    def run(
        *args: str, env: dict[str, str] | None = None, input: str | None = None, timeout: float = 60
    ) -> Result:
        full = {k: v for k, v in os.environ.items()}
        full.update(env or {})
        full = {**offline_defaults(full), **full}
        proc = subprocess.run(
            [sys.executable, "-m", "vtrix", *args],
            capture_output=True,
            text=True,
            env=full,
            input=input,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


def offline_defaults(env: dict[str, str]) -> dict[str, str]:
    """For a process of its own (which the in-process guard above does not reach): the
    services no setting in ``env`` moves point at a refused loopback port, so that nothing
    it runs reaches a real gateway."""
    out = {}
    if not env.get("VTRIX_BASE_URL") and not env.get("VTRIX_MODELS_URL"):
        out["VTRIX_MODELS_URL"] = REFUSED
    if not env.get("MODELLIX_BASE_URL") and not env.get("MODELLIX_SCHEMA_URL"):
        out["MODELLIX_SCHEMA_URL"] = REFUSED
    if not any(env.get(v) for v in ("VTRIX_BASE_URL", "MODELLIX_BASE_URL")):
        from vtrix.base.gateways import GATEWAYS

        for url in (u for g in GATEWAYS.values() for u in g.urls):  # the table's own hosts
            out[url.variable] = env.get(url.variable) or REFUSED
    return out


REFUSED = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture
def vtrix(home: Path) -> Any:
    """Run the CLI in this process (click's runner): fast, with real HTTP to 127.0.0.1.
    Any exception that escapes the CLI fails the test (no traceback may reach a user)."""
    from click.testing import CliRunner

    from vtrix.cli.main import cli as root

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> Result:
        r = CliRunner().invoke(root, list(args), env=env, input=input, catch_exceptions=False)
        return Result(r.exit_code, r.stdout, r.stderr)

    return run


@pytest.fixture
def hostile() -> Iterator[Any]:
    from hostile import HostileGateway

    with HostileGateway() as gw:
        yield gw


def env_for(sb: Sandbox, key: str | None = CANARY) -> dict[str, str]:
    """Both gateways at ``sb``, each with its own key (the same canary: vtrix never lends one
    gateway's key to the other, so a test of one gateway alone sets only that one)."""
    env = {"VTRIX_BASE_URL": sb.url, "MODELLIX_BASE_URL": sb.url}
    if key:
        env["VTRIX_API_KEY"] = key
        env["MODELLIX_API_KEY"] = key
    return env


# ---------------------------------------------------------------- PostgreSQL
# A throwaway server per test process (pgserver's wheel ships the binaries), a fresh schema
# per test. Every test that uses it is counted, and the count is printed at the end, so a
# skip cannot hide.

_PG: dict[str, Any] = {}


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from pg import start_postgres

    try:
        server, url = start_postgres(tmp_path_factory.mktemp("pg"))
    except Exception as exc:
        _PG["error"] = f"{type(exc).__name__}: {exc}"
        pytest.skip(f"NO POSTGRESQL: the server could not be started ({_PG['error']})")
    yield url
    server.cleanup()


@pytest.fixture
def pg_url(pg_server: str) -> str:
    """A URL of the test server whose search_path is a new, empty schema."""
    from pg import fresh_schema

    return fresh_schema(pg_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each ledger backend in turn: a file path, or a PostgreSQL URL (fresh schema)."""
    if request.param == "sqlite":
        return str(tmp_path / "ledger.sqlite3")
    url: str = request.getfixturevalue("pg_url")
    return url


# Modules whose tests run many processes or wait on real time for seconds. They run first:
# a worker that ends on one of them would finish alone, while the other had nothing left to
# take from it (pytest-xdist's workers steal the tail of each other's queues).
LONG_FIRST = (
    "test_workers.py",
    "test_paid_path.py",
    "test_money_kernel.py",
    "test_wheel.py",
    "test_readme.py",
    "test_mcp.py",
    "test_teams.py",
    "test_codegen_incremental.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "pg_url" in names or "pg_server" in names or "postgresql" in params.values():
            item.add_marker("postgres")
    items.sort(key=lambda item: item.path.name not in LONG_FIRST)  # stable: order kept within


_PG_COUNTS: dict[str, int] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if "postgres" in report.keywords and (report.when == "call" or report.skipped):
        outcome = "skipped" if report.skipped else report.outcome
        _PG_COUNTS[outcome] = _PG_COUNTS.get(outcome, 0) + 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    ran = _PG_COUNTS.get("passed", 0) + _PG_COUNTS.get("failed", 0)
    skipped = _PG_COUNTS.get("skipped", 0)
    line = f"PostgreSQL tests: {ran} ran, {skipped} skipped"
    terminalreporter.write_sep("=", line, red=bool(skipped), green=not skipped and ran > 0)
