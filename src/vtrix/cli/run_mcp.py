"""The MCP server's start, as an options value and a run function (see
:mod:`vtrix.cli.run_model`): ``vtrix mcp`` is safe by default — a workspace of its own, a bearer
token for HTTP kept off the command line, and the keys it will use said at start."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from vtrix.base.record import record

if TYPE_CHECKING:
    from vtrix.cli.io import IO
    from vtrix.client import Client


@record(frozen=True)
class McpOptions:
    """How to serve (stdio, or ``http`` on a loopback ``port`` with a bearer token from
    ``token_file``, the environment or one made now; ``token_given``: one was put on the
    command line, which is refused), the workspace, the typed tools, and the caps."""

    http: bool = False
    port: int = 8766
    token_file: Path | None = None
    token_given: bool = False
    no_auth: bool = False
    root: Path | None = None
    allow_broad_root: bool = False
    patterns: tuple[str, ...] = ()
    max_spend: str | None = None
    budget_name: str | None = None
    max_submits: int | None = None


def run_mcp(opts: McpOptions, io: IO) -> None:
    """Check everything a server needs before it starts, say what it will use, then serve
    until the host ends it."""
    from vtrix.cli.run_options import max_cost_of
    from vtrix.errors import UsageError

    try:
        from vtrix.mcp.serving import serve
    except ImportError:
        raise UsageError(
            "the MCP server needs the `mcp` package", hint="pip install 'vtrix[mcp]'"
        ) from None
    if opts.token_given:
        raise UsageError(
            "--token puts the token on the command line, where every local user sees it "
            "(ps, /proc); the server was not started",
            hint="Set VTRIX_MCP_TOKEN, or pass --token-file PATH (a 0600 file).",
        )
    client = _client()
    workspace = _workspace(opts.root, opts.allow_broad_root)
    secret = _token(opts.token_file, opts.no_auth, io) if opts.http else None
    if opts.budget_name:
        _check_budget(opts.budget_name, client)
    _say(io, "workspace " + str(workspace) + " (saves and uploads stay under it)")
    _say_keys(client, io)
    _check_patterns(opts.patterns)
    serve(
        root=workspace,
        typed=list(opts.patterns),
        max_submits=opts.max_submits,
        max_spend=max_cost_of(opts.max_spend, "--max-spend"),
        budget_name=opts.budget_name,
        http=opts.http,
        port=opts.port,
        token=secret,
    )


def _client() -> Client | None:
    """A client for what the server will use (None: the config cannot be read yet)."""
    from vtrix.client import Client

    try:
        return Client()
    except Exception:  # an unreadable config says so when the first call reads it
        return None


def _say(io: IO, text: str) -> None:
    print(f"vtrix mcp: {text}", file=io.stderr, flush=True)


def _workspace(root: Path | None, broad: bool) -> Path:
    """The server's workspace: ``--root`` (an existing directory, not / or HOME or one of
    its parents unless ``broad``), else a directory of vtrix's own in the data dir."""
    from vtrix.base.dirs import data_dir, private_dir
    from vtrix.errors import UsageError

    if root is None:
        return private_dir(data_dir() / "mcp-workspace")
    given = root.expanduser()
    if not given.is_dir():
        raise UsageError(
            f"--root {root}: no such directory; the server was not started",
            hint="Create it first, or leave --root out for a workspace of vtrix's own.",
        )
    resolved = given.resolve()
    home = Path.home().resolve()
    if not broad and (resolved == home or resolved in home.parents or resolved == Path("/")):
        raise UsageError(
            f"--root {root} would let the agent read (and upload to a gateway) any file under "
            f"{resolved}; the server was not started",
            hint="Give a project directory, leave --root out for a workspace of vtrix's own, "
            "or pass --allow-broad-root if you mean it.",
        )
    return resolved


def _token(token_file: Path | None, no_auth: bool, io: IO) -> str | None:
    """The HTTP bearer token: VTRIX_MCP_TOKEN, --token-file, or one made now into a 0600
    file (its path printed, never the token); None only with --no-auth."""
    import secrets

    from vtrix.base.atomic import write_text_atomic
    from vtrix.base.dirs import data_dir, private_dir
    from vtrix.base.secrets import Secret
    from vtrix.errors import UsageError

    if no_auth:
        _say(
            io, "!! --no-auth: ANY local process may call the paid tools; for a deliberate run only"
        )
        return None
    from vtrix.base.constants import env

    found = env("VTRIX_MCP_TOKEN")
    if token_file is not None:
        try:
            if token_file.stat().st_mode & 0o077:
                raise UsageError(
                    f"--token-file {token_file} is readable by others; the server was not started",
                    hint=f"chmod 600 {token_file}",
                )
            found = token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"--token-file {token_file}: {exc.strerror}") from None
        if not found:
            raise UsageError(f"--token-file {token_file} is empty")
    if not found:
        path = private_dir(data_dir()) / "mcp-token"
        found = secrets.token_urlsafe(32)
        write_text_atomic(path, found + "\n", mode=0o600)
        _say(io, f"bearer token made in {path} (send it as Authorization: Bearer <token>)")
    Secret(found)  # never printed or logged
    return found


def _say_keys(client: Client | None, io: IO) -> None:
    """Which gateways this server can submit to (hosts pass no environment of yours)."""
    from vtrix.base.gateways import GATEWAYS

    if client is None:  # an unreadable config says so when the first call reads it
        return
    settings = client.settings
    parts = []
    for name, gateway in GATEWAYS.items():
        source = settings.key_source.get(name)
        parts.append(
            f"{gateway.label}: key from {source}"
            if settings.key_for(name) is not None
            else f'{gateway.label}: NO KEY (set {gateway.key_env} in the host\'s "env", or '
            "run `vtrix auth login`)"
        )
    _say(io, "; ".join(parts))


def _check_patterns(patterns: tuple[str, ...]) -> None:
    from vtrix.errors import UsageError
    from vtrix.mcp.tools import matching_models

    for pattern in patterns:
        if not matching_models([pattern]):
            raise UsageError(
                f"--typed {pattern!r} matches no model with a spec; the server was not started",
                hint="`vtrix models list --typed` lists them.",
            )


def _check_budget(name: str, client: Client | None) -> None:
    """A server whose budget does not exist says so before it starts, not at the first paid
    call."""
    from vtrix.engine.money import budget_account
    from vtrix.store.accounts import current
    from vtrix.store.ledger import Ledger

    ledger = client.ledger if client is not None and client.ledger is not None else Ledger()
    ledger.check(count=False)
    current(ledger.database, budget_account(name))  # the check every charged submit makes
